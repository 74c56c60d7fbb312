"""Incoming batches (CSV and JSON) → validated rows, or every problem by row and field."""

import json

import pandas as pd
import pytest

from core.config import load_config
from core.ingest import BatchError, batch_from_records, prepare_rows, read_csv_batch
from tests.helpers import STORE_YAML

ISET = load_config(STORE_YAML).indicator_set
NOW = pd.Timestamp("2026-06-01T00:00:00Z")


def problems(fn):
    with pytest.raises(BatchError) as info:
        fn()
    return [(e.row, e.field, e.message) for e in info.value.errors]


def test_csv_with_bom_labels_and_attributes_becomes_canonical_rows():
    csv = "\ufeffresponse_id,collected_at,region,env_overall,env_noise,nps_recommend\n r9 ,2026-03-01T08:00:00+08:00,北区,比较满意,3,9\n"
    rows = prepare_rows(read_csv_batch(csv.encode("utf-8"), ISET), ISET, now=NOW)
    assert rows.frame.loc[0, "response_key"] == "r9"
    assert rows.frame.loc[0, "collected_at"] == pd.Timestamp("2026-03-01T00:00:00Z")
    assert json.loads(rows.frame.loc[0, "attributes"]) == {"region": "北区"}
    assert json.loads(rows.frame.loc[0, "answers"]) == {"env_overall": "B", "env_noise": 3.0, "nps_recommend": 9.0}


def test_missing_collected_at_defaults_to_now():
    rows = prepare_rows(read_csv_batch(b"env_overall\nA\n", ISET), ISET, now=NOW)
    assert rows.frame.loc[0, "collected_at"] == NOW and rows.frame.loc[0, "response_key"] is None


def test_csv_header_problems():
    assert problems(lambda: read_csv_batch(b"env_overall,env_overall\nA,B\n", ISET)) == [(-1, "env_overall", "the column appears more than once in the header")]
    assert problems(lambda: read_csv_batch(b"", ISET)) == [(-1, "(file)", "the CSV is empty")]
    assert problems(lambda: read_csv_batch(b"\xff\xfeA", ISET)) == [(-1, "(file)", "the CSV is not valid UTF-8 (byte 0)")]


def test_every_row_problem_is_reported_and_nothing_is_returned():
    long_id = "x" * 201
    items = [
        {"response_id": long_id, "answers": {"env_overall": "A"}},
        {"response_id": "dup", "answers": {"env_overall": "A"}, "collected_at": "2099-01-01T00:00:00Z"},
        {"response_id": "dup", "answers": {"env_overall": "A"}, "attributes": {"tags": ["a", "b"]}},
        {"answers": {}},
        {"answers": {"env_noise": "loud"}, "customer_id": True},
    ]
    found = problems(lambda: prepare_rows(batch_from_records(items, ISET), ISET, now=NOW))
    assert [(r, f) for r, f, _ in found] == [
        (0, "response_id"),
        (1, "collected_at"),
        (2, "attributes.tags"),
        (2, "response_id"),
        (3, "answers"),
        (4, "answers.env_noise"),
        (4, "customer_id"),
    ]
    messages = dict(((r, f), m) for r, f, m in found)
    assert messages[(0, "response_id")] == "longer than 200 characters"
    assert messages[(1, "collected_at")] == "lies in the future"
    assert messages[(2, "response_id")] == "duplicate response_id 'dup' in this batch"
    assert messages[(3, "answers")] == "the response answers no question"


def test_json_structure_problems():
    assert problems(lambda: batch_from_records([{"answers": "A"}], ISET)) == [(0, "answers", "must be an object mapping question codes to answers")]
    assert problems(lambda: batch_from_records([{"answers": {}, "tenant_id": 2}], ISET))[0][:2] == (0, "tenant_id")
    assert problems(lambda: batch_from_records(["x"], ISET)) == [(0, "responses", "each response must be an object")]


def test_stored_keys_are_refused_row_by_row():
    items = [{"response_id": "a", "answers": {"env_overall": "A"}}, {"response_id": "b", "answers": {"env_overall": "A"}}]
    found = problems(lambda: prepare_rows(batch_from_records(items, ISET), ISET, now=NOW, stored_keys=lambda keys: {"b"} & set(keys)))
    assert found == [(1, "response_id", "response_id 'b' is already stored")]


def test_unstorable_and_non_scalar_values_are_refused_not_crashed_on():
    items = [
        {"response_id": "\ud800", "answers": {"env_overall": "A"}},
        {"answers": {"env_overall": ["A"]}},
        {"answers": {"env_overall": {"x": 1}}, "attributes": {"store": "a\x00b"}},
    ]
    found = problems(lambda: prepare_rows(batch_from_records(items, ISET), ISET, now=NOW, stored_keys=lambda keys: set()))
    assert [(r, f) for r, f, _ in found] == [(0, "response_id"), (1, "answers.env_overall"), (2, "answers.env_overall"), (2, "attributes.store")]
    assert found[0][2] == "contains a NUL character or an unpaired surrogate"
    assert found[1][2] == "must be a single value (an option code, a label or a number)"
