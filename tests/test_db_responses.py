"""Responses: bulk insert and bulk load keep every value's type, and stay inside the tenant."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import IntegrityError

from core.batch import PreparedRows
from core.config import load_config
from core.db import (
    ConfigVersionRepository,
    DuplicateResponseKey,
    ResponseRepository,
    TenantRepository,
    UnknownConfigVersion,
    make_engine,
    make_session_factory,
    unit_of_work,
)
from core.db.repositories import responses as responses_module
from core.db.tables import ResponseRow
from core.ingest import RESPONSES, batch_from_records, prepare_rows

UTC = timezone.utc
# The questions these tests answer: codes that look like numbers stay strings, numbers
# stay numbers, text stays text, and two codes clash with a fixed column and an attribute.
REPO_YAML = """
version: 1
scales:
  codes:
    kind: ordinal
    options: [{code: "05", score: 10}, {code: "0", score: 0}, {code: "1", score: 1}, {code: "2", score: 2},
              {code: "3", score: 3}, {code: "4", score: 4}, {code: "5", score: 5}, {code: "9", score: 9}]
  nps: {kind: nps}
  text: {kind: text}
indicator_set:
  code: repo
  children:
    - {code: q, scale: codes}
    - {code: q1, scale: codes}
    - {code: q2, scale: codes}
    - {code: touchpoint, scale: codes}
    - {code: nps, scale: nps}
    - {code: q9, scale: text}
    - {code: comment, scale: text}
    - {code: visit, scale: text}
    - {code: region, scale: text}
"""
ISET = load_config(REPO_YAML).indicator_set


def frame(rows: list[dict]) -> PreparedRows:
    """Rows as the repository gets them: through the real pipeline (JSON items → checks)."""
    items = [{("response_id" if k == "response_key" else k): v for k, v in r.items() if v is not None} for r in rows]
    return prepare_rows(batch_from_records(items, ISET), ISET)


def row(key, at, answers, attributes=None, customer="c1", touchpoint="store") -> dict:
    return {
        "response_key": key,
        "customer_id": customer,
        "touchpoint": touchpoint,
        "collected_at": at,
        "attributes": attributes or {},
        "answers": answers,
    }


@pytest.fixture
def setup(session_factory):
    """Two tenants, each with config versions 1 and 2: {slug: (tenant_id, {number: id})}."""
    out = {}
    with unit_of_work(session_factory) as session:
        for slug in ("acme", "beta"):
            tenant = TenantRepository(session).create(slug, slug.title())
            versions = ConfigVersionRepository(session)
            ids = {n: versions.add(tenant.id, f"v{n}", {}, "x").id for n in (1, 2)}
            out[slug] = (tenant.id, ids)
    return out


def test_round_trip_keeps_codes_as_strings_times_in_utc_and_unicode(session_factory, setup):
    acme, ids = setup["acme"]
    batch = frame(
        [
            row(
                "r1",
                "2024-05-01T18:30:00+08:00",  # = 10:30 UTC
                {"q1": "1", "q2": "05", "nps": 10, "comment": "服务很好 😀", "visit": "2024-01-02"},
                {"region": "华东", "store": "007"},
            ),
            row(
                "r2",
                "2024-05-01T09:00:00Z",  # earlier instant, comes back first
                {"q1": "2", "q2": "1", "nps": 6, "comment": "", "visit": "1e3"},
                {"region": "north", "store": "12"},
                customer=None,
                touchpoint=None,
            ),
        ]
    )
    with unit_of_work(session_factory) as session:
        assert ResponseRepository(session).insert_many(acme, ids[1], 1, batch) == 2
    with unit_of_work(session_factory) as session:
        loaded = ResponseRepository(session).load_frame(acme, 1)

    assert list(loaded.columns) == [
        "response_id", "customer_id", "touchpoint", "collected_at",
        "region", "store",
        "q1", "q2", "nps", "comment", "visit",
    ]  # fmt: skip
    assert loaded.attrs["attribute_columns"] == ["region", "store"]
    assert loaded.attrs["answer_columns"] == ["q1", "q2", "nps", "comment", "visit"]
    assert loaded["response_id"].tolist() == ["r2", "r1"]
    assert str(loaded["collected_at"].dtype) == "datetime64[us, UTC]"
    assert loaded["collected_at"].tolist() == [
        pd.Timestamp("2024-05-01T09:00:00Z"),
        pd.Timestamp("2024-05-01T10:30:00Z"),
    ]
    # Codes that look like numbers or dates stay exactly the strings that were stored.
    assert loaded["q1"].tolist() == ["2", "1"]
    assert loaded["q2"].tolist() == ["1", "05"]
    assert loaded["store"].tolist() == ["12", "007"]
    assert loaded["visit"].tolist() == ["1e3", "2024-01-02"]
    assert all(isinstance(v, str) for v in loaded["q1"])
    # Numbers stay numbers.
    assert loaded["nps"].tolist() == [6, 10]
    assert loaded["nps"].dtype.kind == "f"  # canonical numbers are floats
    assert pd.isna(loaded["comment"][0]) and loaded["comment"][1] == "服务很好 😀"  # a blank text answer is no answer
    assert loaded["region"].tolist() == ["north", "华东"]
    assert loaded["customer_id"].isna().tolist() == [True, False]
    assert loaded["touchpoint"].tolist()[1] == "store" and pd.isna(loaded["touchpoint"][0])


def test_missing_answers_become_missing_values(session_factory, setup):
    acme, ids = setup["acme"]
    batch = frame(
        [
            row("a", "2024-05-01T00:00:00Z", {"q1": "1", "nps": 9}),
            row("b", "2024-05-02T00:00:00Z", {"q1": "2"}),
            row("c", "2024-05-03T00:00:00Z", {"nps": 7, "q9": "x"}),
        ]
    )
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        repo.insert_many(acme, ids[1], 1, batch)
        loaded = repo.load_frame(acme, 1)
    assert loaded["q1"].tolist()[:2] == ["1", "2"] and pd.isna(loaded["q1"][2])
    # An integer column with a gap becomes float: 9, NaN, 7.
    assert loaded["nps"].tolist()[0] == 9.0 and pd.isna(loaded["nps"][1]) and loaded["nps"][2] == 7.0
    assert pd.isna(loaded["q9"][0]) and loaded["q9"][2] == "x"


def test_load_frame_filters_by_version_and_half_open_time_window(session_factory, setup):
    acme, ids = setup["acme"]
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        repo.insert_many(
            acme,
            ids[1],
            1,
            frame(
                [
                    row("d1", "2024-06-01T00:00:00Z", {"q": "1"}),
                    row("d2", "2024-06-02T00:00:00Z", {"q": "2"}),
                    row("d3", "2024-06-03T00:00:00Z", {"q": "3"}),
                ]
            ),
        )
        repo.insert_many(acme, ids[2], 2, frame([row("v2", "2024-06-02T00:00:00Z", {"q": "9"})]))
    start = datetime(2024, 6, 2, 8, 0, tzinfo=timezone(timedelta(hours=8)))  # = 06-02 00:00 UTC
    end = datetime(2024, 6, 3, tzinfo=UTC)
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        assert repo.load_frame(acme, 1, start=start)["response_id"].tolist() == ["d2", "d3"]
        assert repo.load_frame(acme, 1, end=end)["response_id"].tolist() == ["d1", "d2"]
        assert repo.load_frame(acme, 1, start=start, end=end)["response_id"].tolist() == ["d2"]
        assert repo.load_frame(acme, 2)["response_id"].tolist() == ["v2"]
        with pytest.raises(ValueError, match="tz-aware"):
            repo.load_frame(acme, 1, start=datetime(2024, 6, 2))


def test_empty_load_has_the_fixed_columns(session_factory, setup):
    acme, _ = setup["acme"]
    with unit_of_work(session_factory) as session:
        empty = ResponseRepository(session).load_frame(acme, 1)
    assert list(empty.columns) == ["response_id", "customer_id", "touchpoint", "collected_at"]
    assert len(empty) == 0
    assert str(empty["collected_at"].dtype) == "datetime64[us, UTC]"
    assert empty.attrs == {"attribute_columns": [], "answer_columns": []}


def test_clashing_names_are_prefixed_not_lost(session_factory, setup):
    acme, ids = setup["acme"]
    batch = frame(
        [row("k", "2024-05-01T00:00:00Z", {"touchpoint": "3", "region": "a"}, {"region": "north", "touchpoint": "x"})]
    )
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        repo.insert_many(acme, ids[1], 1, batch)
        loaded = repo.load_frame(acme, 1)
    assert loaded.attrs["answer_columns"] == ["answers.touchpoint", "region"]
    assert loaded.attrs["attribute_columns"] == ["attributes.region", "attributes.touchpoint"]
    assert loaded.iloc[0][["touchpoint", "answers.touchpoint", "attributes.touchpoint"]].tolist() == [
        "store", "3", "x",
    ]  # fmt: skip
    assert loaded.iloc[0][["region", "attributes.region"]].tolist() == ["a", "north"]


def test_response_keys_are_unique_per_tenant_only(session_factory, setup):
    (acme, acme_ids), (beta, beta_ids) = setup["acme"], setup["beta"]
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        repo.insert_many(acme, acme_ids[1], 1, frame([row("same", "2024-05-01T00:00:00Z", {"q": "1"})]))
        # The same key in another tenant is a different response.
        repo.insert_many(beta, beta_ids[1], 1, frame([row("same", "2024-05-01T00:00:00Z", {"q": "2"})]))
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        again = frame(
            [
                row("new", "2024-05-02T00:00:00Z", {"q": "3"}),
                row("same", "2024-05-02T00:00:00Z", {"q": "4"}),
            ]
        )
        with pytest.raises(DuplicateResponseKey):
            repo.insert_many(acme, acme_ids[1], 1, again)
        # All or nothing: "new" was not kept, and the transaction is still usable.
        assert repo.count(acme) == 1
        repo.insert_many(acme, acme_ids[1], 1, frame([row("later", "2024-05-03T00:00:00Z", {"q": "5"})]))
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        assert repo.load_frame(acme, 1)["response_id"].tolist() == ["same", "later"]
        assert repo.load_frame(beta, 1)["q"].tolist() == ["2"]


def test_responses_without_a_key_may_repeat(session_factory, setup):
    acme, ids = setup["acme"]
    batch = frame([row(None, "2024-05-01T00:00:00Z", {"q": "1"}), row(None, "2024-05-02T00:00:00Z", {"q": "2"})])
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        repo.insert_many(acme, ids[1], 1, batch)
        repo.insert_many(acme, ids[1], 1, batch)
        assert repo.count(acme) == 4


def test_the_database_itself_enforces_tenant_and_key_uniqueness(session_factory, setup):
    acme, ids = setup["acme"]
    at = datetime(2024, 5, 1, tzinfo=UTC)
    with pytest.raises(IntegrityError):
        with unit_of_work(session_factory) as session:
            for _ in range(2):
                session.add(
                    ResponseRow(
                        tenant_id=acme, config_version_id=ids[1], version=1, response_key="k",
                        collected_at=at, attributes="{}", answers="{}",
                    )
                )  # fmt: skip
            session.flush()


def test_another_tenants_config_version_is_refused(session_factory, setup):
    (acme, acme_ids), (beta, beta_ids) = setup["acme"], setup["beta"]
    batch = frame([row("k", "2024-05-01T00:00:00Z", {"q": "1"})])
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        with pytest.raises(UnknownConfigVersion):
            repo.insert_many(acme, beta_ids[1], 1, batch)  # beta's version id
        with pytest.raises(UnknownConfigVersion):
            repo.insert_many(acme, acme_ids[1], 2, batch)  # id of version 1, number 2
        assert repo.count(acme) == 0 and repo.count(beta) == 0


def test_insert_many_stores_only_prepared_rows_of_responses(session_factory, setup):
    """The repository stores prepared rows as they are, unchecked; a raw frame (or another
    kind's rows) is refused by type before anything is written."""
    acme, ids = setup["acme"]
    good = frame([row("k", "2024-05-01T00:00:00Z", {"q": "1"})])
    raw = good.frame.copy()
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        with pytest.raises(TypeError, match="expected PreparedRows of responses .* got DataFrame"):
            repo.insert_many(acme, ids[1], 1, raw)
        with pytest.raises(TypeError, match="expected PreparedRows of responses"):
            repo.insert_many(acme, ids[1], 1, raw.to_dict("records"))
        assert repo.count(acme) == 0
        assert repo.insert_many(acme, ids[1], 1, good) == 1
    with pytest.raises(TypeError, match="made by a record kind's prepare"):
        PreparedRows("responses", raw)
    assert responses_module.KIND == RESPONSES.name


def test_existing_keys_spans_chunks_and_stays_in_the_tenant(session_factory, setup, monkeypatch):
    (acme, acme_ids), (beta, _) = setup["acme"], setup["beta"]
    monkeypatch.setattr(responses_module, "KEY_CHUNK", 100)
    n = 2 * 100 + 7  # three chunks on either database
    stored = [f"k{i:05d}" for i in range(0, n, 2)]  # every other key
    batch = frame([row(k, "2024-05-01T00:00:00Z", {"q": "1"}) for k in stored])
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        repo.insert_many(acme, acme_ids[1], 1, batch)
        asked = [f"k{i:05d}" for i in range(n)] + [None, "k00000"]
        assert repo.existing_keys(acme, asked) == set(stored)
        assert repo.existing_keys(beta, asked) == set()
        assert repo.existing_keys(acme, []) == set()


def test_counts_and_versions_with_data_are_per_tenant(session_factory, setup):
    (acme, acme_ids), (beta, beta_ids) = setup["acme"], setup["beta"]
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        repo.insert_many(acme, acme_ids[1], 1, frame([row(f"a{i}", "2024-05-01T00:00:00Z", {"q": "1"}) for i in range(3)]))
        repo.insert_many(acme, acme_ids[2], 2, frame([row(f"b{i}", "2024-05-01T00:00:00Z", {"q": "1"}) for i in range(2)]))
        repo.insert_many(beta, beta_ids[2], 2, frame([row("c", "2024-05-01T00:00:00Z", {"q": "1"})]))
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        assert repo.versions_with_data(acme) == {1: 3, 2: 2}
        assert repo.versions_with_data(beta) == {2: 1}
        assert (repo.count(acme), repo.count(acme, 1), repo.count(acme, 2)) == (5, 3, 2)
        assert (repo.count(beta), repo.count(beta, 1)) == (1, 0)
        # Tenant beta asking for version 1 / 2 frames never sees acme's rows.
        assert repo.load_frame(beta, 1).empty
        assert repo.load_frame(beta, 2)["response_id"].tolist() == ["c"]
        assert repo.list_page(beta, version=1) == []


def test_list_page_pages_in_time_order(session_factory, setup):
    acme, ids = setup["acme"]
    rows = [row(f"p{i}", f"2024-05-0{i + 1}T12:00:00Z", {"q": str(i)}, {"n": str(i)}) for i in range(5)]
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        repo.insert_many(acme, ids[1], 1, frame(list(reversed(rows))))
        repo.insert_many(acme, ids[2], 2, frame([row("v2", "2024-05-01T00:00:00Z", {"q": "1"})]))
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        page = repo.list_page(acme, version=1, limit=2, offset=1)
        everything = repo.list_page(acme, limit=100)
    assert [p["response_id"] for p in page] == ["p1", "p2"]
    assert page[0]["answers"] == {"q": "1"} and page[0]["attributes"] == {"n": "1"}
    assert page[0]["collected_at"] == datetime(2024, 5, 2, 12, tzinfo=UTC)
    assert page[0]["version"] == 1 and page[0]["customer_id"] == "c1"
    assert page[0]["created_at"].utcoffset() == timedelta(0)
    assert [p["response_id"] for p in everything] == ["v2", "p0", "p1", "p2", "p3", "p4"]


def test_bulk_timestamps_compare_like_orm_timestamps(session_factory, setup):
    """insert_many writes timestamps its own way; the same instant bound by the ORM type
    must still match exactly (equal, not off by an offset or a format difference)."""
    acme, ids = setup["acme"]
    with unit_of_work(session_factory) as session:
        repo = ResponseRepository(session)
        repo.insert_many(acme, ids[1], 1, frame([row("t", "2024-05-01T10:00:00.250000+02:00", {"q": "1"})]))
        exact = datetime(2024, 5, 1, 8, 0, 0, 250000, tzinfo=UTC)
        assert repo.load_frame(acme, 1, start=exact, end=exact + timedelta(microseconds=1))[
            "response_id"
        ].tolist() == ["t"]
        assert repo.load_frame(acme, 1, end=exact).empty
        assert repo.list_page(acme)[0]["collected_at"] == exact


def test_times_survive_a_session_time_zone_other_than_utc(migrated_db_url, setup):
    """A PostgreSQL session in Asia/Shanghai (+08:00) gets timestamptz values in +08:00;
    they must still be written and read as the same UTC instants."""
    acme, ids = setup["acme"]
    url = make_url(migrated_db_url)
    if url.get_backend_name() == "postgresql":
        url = url.update_query_dict({"options": url.query["options"] + " -cTimeZone=Asia/Shanghai"})
    engine = make_engine(url)
    try:
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            repo = ResponseRepository(session)
            repo.insert_many(acme, ids[1], 1, frame([row("z", "2024-05-01T23:30:00Z", {"q": "1"})]))
        with unit_of_work(factory) as session:
            if url.get_backend_name() == "postgresql":
                assert session.execute(text("SHOW TimeZone")).scalar() == "Asia/Shanghai"
            repo = ResponseRepository(session)
            loaded = repo.load_frame(acme, 1, start=datetime(2024, 5, 1, 23, 30, tzinfo=UTC))
            listed = repo.list_page(acme)
        assert loaded["collected_at"].tolist() == [pd.Timestamp("2024-05-01T23:30:00Z")]
        assert listed[0]["collected_at"] == datetime(2024, 5, 1, 23, 30, tzinfo=UTC)
        assert listed[0]["collected_at"].utcoffset() == timedelta(0)
    finally:
        engine.dispose()
