"""The batch toolkit (core/batch/), module by module, and the record-kind contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.batch import BatchError, Context, PreparedRows, RowError, errors_at, parse_csv, parse_items, prepare, read_csv, require, seal
from core.batch import limits, records, text, timestamps
from core.batch.errors import check_row_count, too_many_rows
from core.config import load_config
from core.ingest import KINDS, RESPONSES, batch_from_records, prepare_rows
from tests.helpers import STORE_YAML

ISET = load_config(STORE_YAML).indicator_set
NOW = pd.Timestamp("2026-06-01T00:00:00Z")


def problems(fn):
    with pytest.raises(BatchError) as info:
        fn()
    return [(e.row, e.field, e.message) for e in info.value.errors]


# --- errors -----------------------------------------------------------------------------


def test_a_batch_error_keeps_the_first_max_errors_and_counts_them_all():
    many = [RowError(i, "f", "bad") for i in range(limits.MAX_ERRORS + 5)]
    exc = BatchError(many)
    assert len(exc.errors) == limits.MAX_ERRORS and exc.total == limits.MAX_ERRORS + 5
    assert str(exc) == f"{limits.MAX_ERRORS + 5} problem(s) in the batch; first: f: bad"
    assert BatchError(many[:2], total=40).total == 40


def test_errors_at_locates_flagged_rows_with_a_fixed_or_a_per_row_message():
    mask = np.array([False, True, False, True])
    assert errors_at(mask, "x", "no") == [RowError(1, "x", "no"), RowError(3, "x", "no")]
    assert errors_at(mask, "x", lambda r: f"row {r}") == [RowError(1, "x", "row 1"), RowError(3, "x", "row 3")]
    assert len(errors_at(np.ones(limits.MAX_ERRORS * 2, dtype=bool), "x", "no")) == limits.MAX_ERRORS


def test_the_row_limit_refusal_is_one_message_for_every_entry_point():
    assert too_many_rows("responses", 3).errors == [RowError(-1, "responses", "the batch holds more than 3 responses; at most 3 per batch")]
    check_row_count(3, 3, "responses")
    check_row_count(10**9, None, "responses")
    assert problems(lambda: check_row_count(4, 3, "events")) == [(-1, "events", "the batch holds more than 3 events; at most 3 per batch")]


# --- text -------------------------------------------------------------------------------


def test_scalar_text_strips_strings_writes_numbers_and_refuses_the_rest():
    errors: list[RowError] = []
    out = text.scalar_text(pd.Series([" vip ", 3.0, 2.5, 7, None, "", True, ["a"], {"b": 1}], dtype=object), "attributes.segment", errors)
    assert out.tolist() == ["vip", "3", "2.5", "7", None, None, None, None, None]
    assert [(e.row, e.field, e.message) for e in errors] == [(r, "attributes.segment", "must be a string or a number") for r in (6, 7, 8)]


def test_optional_text_is_all_none_for_a_missing_column():
    frame = pd.DataFrame({"customer_id": [" c1", None]})
    assert text.optional_text(frame, "customer_id", []).tolist() == ["c1", None]
    assert text.optional_text(frame, "touchpoint", []).tolist() == [None, None]


def test_check_text_refuses_over_long_text_nul_and_lone_surrogates():
    errors: list[RowError] = []
    values = pd.Series(["ok", "x" * 6, "a\x00b", "\ud800", None, "emoji 😀 and \u200f marks"], dtype=object)
    bad = text.check_text(values, "touchpoint", 5, errors)
    assert bad.tolist() == [False, False, True, True, False, False]
    assert [(e.row, e.message) for e in errors] == [
        (1, "longer than 5 characters"),
        (5, "longer than 5 characters"),
        (2, "contains a NUL character or an unpaired surrogate"),
        (3, "contains a NUL character or an unpaired surrogate"),
    ]


def test_check_text_fast_path_and_its_fallback_agree():
    clean = pd.Series(["a", "b", None, "c\n"], dtype=object)  # the newline joining the cells is storable
    errors: list[RowError] = []
    assert not text.check_text(clean, "f", 10, errors).any() and errors == []
    # two lone surrogates in neighbouring cells are not a pair once joined
    assert text.check_text(pd.Series(["\ud83d", "\ude00"], dtype=object), "f", 10, []).tolist() == [True, True]
    # a cell that is not text: cell by cell, as text
    assert text.check_text(pd.Series([1.5, "a\x00"], dtype=object), "f", 10, []).tolist() == [False, True]


def test_check_names_refuses_blank_long_and_control_character_names():
    errors: list[RowError] = []
    text.check_names(["segment", "", " ", "s" * 65, "s" * 64, "tab\there", "\ud800", 5], "attributes", "attribute names", errors)
    assert [e.field for e in errors] == ["attributes.", "attributes. ", "attributes." + "s" * 65, "attributes.tab\there", "attributes.\ud800", "attributes.5"]
    assert {e.row for e in errors} == {0}
    assert errors[0].message == "attribute names must be 1-64 characters, without control characters or unpaired surrogates"


def test_unstorable_matches_exactly_nul_and_surrogates():
    assert [bool(text.UNSTORABLE.search(c)) for c in ("\x00", "\ud800", "\udfff", "\x01", "\u200b", "😀", "\t")] == [True, True, True, False, False, False, False]


# --- timestamps -------------------------------------------------------------------------


def test_a_timestamp_column_of_any_name_becomes_utc():
    frame = pd.DataFrame({"occurred_at": ["2026-03-01T08:00:00+08:00", "2026-03-01T00:00:00", None, "2026-05-31T12:00:00.250Z"]})
    out = timestamps.timestamp_column(frame, "occurred_at", errors := [], now=NOW)
    assert errors == [] and str(out.dtype) == "datetime64[us, UTC]"
    assert out.tolist() == [pd.Timestamp("2026-03-01T00:00:00Z"), pd.Timestamp("2026-03-01T00:00:00Z"), NOW, pd.Timestamp("2026-05-31T12:00:00.250Z")]


def test_bad_and_future_timestamps_are_named_by_row_and_column():
    frame = pd.DataFrame({"occurred_at": ["last tuesday", 20260301, "2026-06-01T23:00:00Z", "2026-06-02T00:00:01Z"]}, dtype=object)
    errors: list[RowError] = []
    timestamps.timestamp_column(frame, "occurred_at", errors, now=NOW)
    assert [(e.row, e.field, e.message) for e in errors] == [
        (0, "occurred_at", "'last tuesday' is not an ISO 8601 date-time (e.g. 2026-03-31T14:05:00+08:00)"),
        (1, "occurred_at", "20260301 is not an ISO 8601 date-time (e.g. 2026-03-31T14:05:00+08:00)"),
        (3, "occurred_at", "lies in the future"),  # up to a day ahead is a fast clock, not the future
    ]


def test_a_missing_timestamp_column_is_now():
    out = timestamps.timestamp_column(pd.DataFrame(index=range(2)), "collected_at", [], now=NOW)
    assert out.tolist() == [NOW, NOW] and str(out.dtype) == "datetime64[us, UTC]"


# --- CSV reader -------------------------------------------------------------------------


def test_the_csv_reader_returns_text_cells_with_a_range_index():
    frame = read_csv("\ufeffa, b,c\n 1,,x\n\n007,2.50,\n".encode(), max_columns=3)
    assert list(frame.columns) == ["a", "b", "c"] and list(frame.index) == [0, 1]
    assert frame["a"].tolist() == ["1", "007"] and frame["b"].tolist()[1] == "2.50"
    assert pd.isna(frame.loc[0, "b"]) and pd.isna(frame.loc[1, "c"])


def test_the_csv_reader_refuses_a_ragged_row_naming_it():
    # blank lines and a line break inside quotes do not shift the count: row 2 is the third data row
    data = b'a,b\n1,2\n\n"multi\nline",3\n4,5,6\n7,8\n'
    assert problems(lambda: read_csv(data, max_columns=10)) == [(2, "(file)", "the row has 3 fields but the header has 2: a field without a column would shift every value")]


def test_the_csv_reader_refuses_a_short_row_like_a_long_one():
    # row 1 (after a blank line) lost its last field; row 2 writes its empty last cell and is whole
    data = b'a,b,c\n1,2,3\n\n4,5\n6,7,\n"x\ny",8\n'
    short = "but the header has 3: a row cut short would be stored with blanks"
    assert problems(lambda: read_csv(data, max_columns=10)) == [(1, "(file)", f"the row has 2 fields {short}"), (3, "(file)", f"the row has 2 fields {short}")]
    frame = read_csv(b"a,b,c\n1,2,\n,,\n", max_columns=10)
    assert frame["a"].tolist()[0] == "1" and frame.iloc[:, 2].isna().all()
    assert read_csv(b"a\n1\n\n2\n", max_columns=10)["a"].tolist() == ["1", "2"]  # one column: nothing can be short


def test_the_csv_reader_drops_the_files_bom_and_refuses_stray_ones():
    bom = "\ufeff"
    assert list(read_csv(f"{bom}response_id,b\nr1,x\n".encode(), max_columns=5)["response_id"]) == ["r1"]
    assert list(read_csv(f"{bom}response_id,b\nr1,x\n", max_columns=5)["response_id"]) == ["r1"]  # text too
    # two files joined: the second one's BOM opens a data row; another opens a cell
    joined = f"{bom}response_id,b\nr1,x\n{bom}r2,y\nr3,{bom}z\n".encode()
    message = "the cell starts with a byte-order mark (U+FEFF): only the file itself may start with one (files joined together?)"
    assert problems(lambda: read_csv(joined, max_columns=5)) == [(1, "response_id", message), (2, "b", message)]
    assert read_csv(f"{bom}{bom}a,b\n1,2\n".encode(), max_columns=5)["a"].tolist() == ["1"]  # marks before the first character
    assert problems(lambda: read_csv(f"a,{bom}b\n1,2\n".encode(), max_columns=5)) == [
        (-1, "(header)", "a column name starts with a byte-order mark (U+FEFF); only the file itself may start with one")
    ]
    # inside a cell it is text (a zero-width no-break space), kept as JSON keeps it
    assert read_csv(f"a,b\nx{bom}y,2\n".encode(), max_columns=5)["a"].tolist() == [f"x{bom}y"]


def test_the_csv_reader_refuses_hostile_files_before_parsing_them():
    assert problems(lambda: read_csv(b"\xff\xfeA", max_columns=5)) == [(-1, "(file)", "the CSV is not valid UTF-8 (byte 0)")]
    assert problems(lambda: read_csv(b"\xef\xbb\xbf\n \n", max_columns=5)) == [(-1, "(file)", "the CSV is empty")]
    assert problems(lambda: read_csv(b"a,b,c,d\n1,2,3,4\n", max_columns=3, columns_hint="1 id, 2 questions")) == [(-1, "(header)", "the header has 4 columns; at most 3 (1 id, 2 questions)")]
    assert problems(lambda: read_csv(b"a,a\n1,2\n", max_columns=5)) == [(-1, "a", "the column appears more than once in the header")]
    assert problems(lambda: read_csv(b"a,,b\n1,2,3\n", max_columns=5)) == [(-1, "(header)", "a column has no name in the header")]
    assert problems(lambda: read_csv(b'a,b\n"1,2\n', max_columns=5))[0][:2] == (-1, "(file)")


def test_the_csv_reader_stops_one_row_past_the_row_limit():
    three = b"a\n1\n2\n3\n"
    assert len(read_csv(three, max_columns=1, max_rows=3)) == 3
    assert problems(lambda: read_csv(three + b"4\n", max_columns=1, max_rows=3, what="events")) == [(-1, "events", "the batch holds more than 3 events; at most 3 per batch")]
    # the rest of an over-long file is never parsed: a broken row after the limit is not seen
    assert problems(lambda: read_csv(three + b"4\n5,6,7\n", max_columns=1, max_rows=3))[0][1] == "rows"


# --- JSON items -------------------------------------------------------------------------


def test_items_that_are_not_objects_are_all_listed():
    assert problems(lambda: records.items_frame([{}, "x", 3, None], {"a"}, (), "events", [])) == [(r, "events", "each event must be an object") for r in (1, 2, 3)]


def test_unknown_fields_are_named_on_the_first_item_using_them():
    errors: list[RowError] = []
    frame = records.items_frame([{"a": 1}, {"a": 2, "tenant_id": 9}], {"a", "b"}, ("a",), "events", errors)
    assert list(frame.columns) == ["a", "tenant_id"] and len(frame) == 2
    assert errors == [RowError(1, "tenant_id", "unknown field (allowed: a, b)")]


def test_a_required_field_no_item_has_refuses_the_batch():
    assert problems(lambda: records.items_frame([{"b": 1}], {"a", "b"}, ("a",), "events", [])) == [(0, "a", "required field is missing")]
    empty = records.items_frame([], {"a"}, ("a",), "events", [])  # the kind refuses an empty batch
    assert list(empty.columns) == ["a"] and len(empty) == 0


def test_too_many_distinct_names_refuse_the_batch_before_any_frame():
    items = [{f"f{i}": 1} for i in range(limits.MAX_UNKNOWN_NAMES + 1)]
    (found,) = problems(lambda: records.items_frame(items, {"a"}, (), "events", []))
    assert found[:2] == (-1, "events") and found[2].startswith(f"the batch uses {limits.MAX_UNKNOWN_NAMES + 1} different unknown fields (e.g. 'f0', 'f1', 'f10'")
    records.refuse_too_many_names([{"x": 1}, {"y": 1, "x": 2}], "attributes", "attribute names", 2, "hint")
    assert problems(lambda: records.refuse_too_many_names([{"x": 1}, {"y": 1}, {"z": 1}], "attributes", "attribute names", 2, "name fewer"))[0][2] == "the batch uses 3 different attribute names (e.g. 'x', 'y', 'z'); at most 2: name fewer"
    # names that are allowed do not count; only the others do
    records.refuse_too_many_names([{"a": 1, "b": 1, "x": 1}], "answers", "unknown question codes", 1, "hint", {"a", "b"})


def test_too_many_names_are_refused_without_gathering_them_all():
    """One object wider than the limit is refused from its size alone (counted as "more
    than"), and across many objects the count stops a chunk after the limit is passed:
    5 objects x 60 distinct names, limit 100, chunks of 256 objects -> refused in the
    first chunk, all 300 names seen, the exact count given since that chunk was the last;
    1,000 objects x 3 names -> refused after the first chunk (768 names), "more than"."""
    wide = [{f"k{i:06d}": 0 for i in range(600_000)}]
    (found,) = problems(lambda: records.refuse_too_many_names(wide, "answers", "unknown question codes", 50, "hint", {"q1"}))
    assert found[2].startswith("the batch uses more than 50 different unknown question codes (e.g. 'k000000', 'k000001'")
    spread = [{f"k{o}_{i}": 0 for i in range(60)} for o in range(5)]
    (found,) = problems(lambda: records.refuse_too_many_names(spread, "attributes", "attribute names", 100, "hint"))
    assert found[2].startswith("the batch uses 300 different attribute names")
    many = [{f"k{o}_{i}": 0 for i in range(3)} for o in range(1000)]  # 3,000 names over 4 chunks
    (found,) = problems(lambda: records.refuse_too_many_names(many, "attributes", "attribute names", 100, "hint"))
    assert found[2].startswith("the batch uses more than 100 different attribute names")


def test_object_columns_required_and_optional():
    frame = pd.DataFrame.from_records([{"o": {"a": 1}}, {"o": "x"}, {}, {"o": None}])
    errors: list[RowError] = []
    assert records.object_column(frame, "o", "must be an object", errors, required=False) == [{"a": 1}, {}, {}, {}]
    assert errors == [RowError(1, "o", "must be an object")]
    errors = []
    records.object_column(frame, "o", "must be an object", errors, required=True)
    assert [e.row for e in errors] == [1, 2, 3]
    assert records.object_column(frame, "absent", "-", [], required=False) == [{}] * 4


# --- PreparedRows and the record-kind contract -------------------------------------------


def test_prepared_rows_are_only_made_by_sealing_a_kinds_checked_frame():
    frame = pd.DataFrame({c: [None] for c in RESPONSES.columns})
    with pytest.raises(TypeError, match="made by a record kind's prepare"):
        PreparedRows("responses", frame)
    with pytest.raises(ValueError, match="must have the columns response_key, customer_id"):
        seal(RESPONSES, frame.drop(columns=["answers"]))
    rows = seal(RESPONSES, frame.set_axis([7]))
    assert rows.kind == "responses" and list(rows.frame.index) == [0] and len(rows) == 1
    assert require(rows, "responses") is rows
    with pytest.raises(TypeError, match="expected PreparedRows of events, got PreparedRows of responses"):
        require(rows, "events")
    with pytest.raises(TypeError, match="got DataFrame"):
        require(frame, "responses")


def test_responses_are_the_first_registered_kind_and_fulfil_the_contract():
    assert list(KINDS) == ["responses", "cases", "events"] and KINDS["responses"] is RESPONSES
    for name, kind in KINDS.items():
        assert kind.name == name and isinstance(kind.fields, frozenset) and kind.columns
    assert RESPONSES.fields == {"response_id", "customer_id", "touchpoint", "collected_at", "attributes", "answers"}
    assert RESPONSES.csv_header_limit(ISET) == (4 + 5 + limits.MAX_ATTRIBUTES, f"4 meta columns, 5 questions, {limits.MAX_ATTRIBUTES} attributes")
    items = [{"response_id": "r1", "attributes": {"segment": "vip"}, "answers": {"env_overall": "比较满意", "nps_recommend": 9}}]
    rows = prepare(RESPONSES, parse_items(RESPONSES, items, ISET), Context(ISET, now=NOW))
    assert isinstance(rows, PreparedRows) and tuple(rows.frame.columns) == RESPONSES.columns
    assert rows.frame.iloc[0].tolist() == ["r1", None, None, NOW, '{"segment":"vip"}', '{"env_overall":"B","nps_recommend":9.0}']
    csv_rows = prepare(RESPONSES, parse_csv(RESPONSES, b"response_id,segment,env_overall,nps_recommend\nr1,vip,B,9\n", ISET), Context(ISET, now=NOW))
    assert csv_rows.frame.equals(rows.frame)
    assert prepare_rows(batch_from_records(items, ISET), ISET, now=NOW).frame.equals(rows.frame)


def test_json_and_csv_batches_over_the_limit_get_the_same_refusal():
    items = [{"answers": {"env_overall": "A"}}] * 4
    data = b"env_overall\nA\nA\nA\nA\n"
    assert problems(lambda: parse_items(RESPONSES, items, ISET, max_rows=3)) == problems(lambda: parse_csv(RESPONSES, data, ISET, max_rows=3)) == [
        (-1, "responses", "the batch holds more than 3 responses; at most 3 per batch")
    ]
    assert len(parse_items(RESPONSES, items[:3], ISET, max_rows=3)) == len(parse_csv(RESPONSES, b"env_overall\nA\nA\nA\n", ISET, max_rows=3)) == 3
