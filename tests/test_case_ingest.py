"""Cases and their events through the API: bulk, all or nothing, idempotent, any order.

Every test runs on SQLite and on PostgreSQL (as the row-level-security-bound role).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.batch import BatchError, Context, parse_csv, parse_items, prepare
from core.ingest import CASE_EVENTS, CASES, KINDS

EVENTS = [
    {"case_id": "t-1", "type": "ordered", "at": "2026-03-01T12:00:00+08:00", "attributes": {"table": 7, "vip": True}},
    {"case_id": "t-1", "type": "dish_served", "at": "2026-03-01T04:12:30Z", "event_id": "served-1"},
    {"case_id": "t-2", "type": "ordered", "at": "2026-03-01T05:00:00Z"},
]


def rows(engine, sql):
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql))]


def test_both_kinds_are_registered():
    assert KINDS["cases"] is CASES and KINDS["events"] is CASE_EVENTS


def test_an_event_key_is_its_id_or_type_at_utc():
    prepared = prepare(CASE_EVENTS, parse_items(CASE_EVENTS, EVENTS, None), Context(None))
    # 12:00+08:00 is 04:00 UTC; the derived key spells the UTC time to the microsecond
    assert prepared.frame["event_key"].tolist() == ["ordered@2026-03-01T04:00:00.000000Z", "served-1", "ordered@2026-03-01T05:00:00.000000Z"]
    assert prepared.frame["attributes"].tolist() == ['{"table":7,"vip":true}', "{}", "{}"]


def test_every_problem_of_a_batch_is_named_by_row_and_field():
    bad = [
        {"case_id": "a", "type": "not a code", "at": "yesterday"},
        {"type": "ordered", "at": "2026-01-01T00:00:00Z"},
        {"case_id": "b", "type": "ordered"},
        {"case_id": "c", "type": "x", "at": "2026-01-01T00:00:00Z", "attributes": {"list": [1]}},
        {"case_id": "c", "type": "x", "at": "2026-01-01T00:00:00Z"},
        {"case_id": "d", "type": "x", "at": "2999-01-01T00:00:00Z"},
    ]
    with pytest.raises(BatchError) as caught:
        prepare(CASE_EVENTS, parse_items(CASE_EVENTS, bad, None), Context(None))
    found = {(e.row, e.field): e.message for e in caught.value.errors}
    assert set(found) == {(0, "at"), (0, "type"), (1, "case_id"), (2, "at"), (3, "attributes.list"), (4, "event_id"), (5, "at")}
    assert found[(0, "type")].startswith("'not a code' is not a code of 1-100")
    assert found[(4, "event_id")] == "event 'x@2026-01-01T00:00:00.000000Z' of case 'c' appears twice in this batch"
    assert found[(5, "at")] == "lies in the future"
    with pytest.raises(BatchError) as caught:
        parse_items(CASES, [{"case_id": "a", "colour": "red"}], None)
    assert [(e.row, e.field) for e in caught.value.errors] == [(0, "colour")]


def test_csv_frames_read_as_the_json_items():
    csv = "case_id,type,at,table\nt-1,ordered,2026-03-01T12:00:00+08:00,7\nt-1,served,2026-03-01T04:12:30Z,\n"
    prepared = prepare(CASE_EVENTS, parse_csv(CASE_EVENTS, csv, None), Context(None))
    assert prepared.frame["event_key"].tolist() == ["ordered@2026-03-01T04:00:00.000000Z", "served@2026-03-01T04:12:30.000000Z"]
    assert prepared.frame["attributes"].tolist() == ['{"table":"7"}', "{}"]  # CSV cells are text


def test_events_before_their_case_then_the_case_then_the_same_batches_again(make_tenant, engine):
    t = make_tenant("acme")  # no configuration: no commitment names any type
    r = t.post("/api/v1/case-events", json={"events": EVENTS})
    assert r.status_code == 201 and r.json == {"accepted": 3, "created": 3, "updated": 0, "unchanged": 0, "alerts_raised": 0, "unknown_types": ["dish_served", "ordered"]}, r.json
    # the events created two bare cases
    assert rows(engine, "SELECT case_key, case_type FROM cases ORDER BY case_key") == [("t-1", None), ("t-2", None)]
    case = {"case_id": "t-1", "case_type": "dine_in", "customer_id": "c-9", "touchpoint": "hall", "opened_at": "2026-03-01T03:59:00Z", "attributes": {"party": 4}}
    r = t.post("/api/v1/cases", json={"cases": [case, {"case_id": "t-3"}]})
    assert r.status_code == 201 and r.json == {"accepted": 2, "created": 1, "updated": 1, "unchanged": 0, "alerts_raised": 0, "unknown_types": ["dine_in"]}, r.json
    # the same two batches again change nothing
    assert t.post("/api/v1/cases", json={"cases": [case, {"case_id": "t-3"}]}).json == {"accepted": 2, "created": 0, "updated": 0, "unchanged": 2, "alerts_raised": 0, "unknown_types": ["dine_in"]}
    assert t.post("/api/v1/case-events", json={"events": EVENTS}).json == {"accepted": 3, "created": 0, "updated": 0, "unchanged": 3, "alerts_raised": 0, "unknown_types": ["dish_served", "ordered"]}
    got = t.get("/api/v1/cases/t-1").json
    assert {k: got[k] for k in ("case_id", "case_type", "customer_id", "touchpoint", "opened_at", "attributes")} == {
        "case_id": "t-1", "case_type": "dine_in", "customer_id": "c-9", "touchpoint": "hall", "opened_at": "2026-03-01T03:59:00+00:00", "attributes": {"party": 4},
    }
    assert [(e["event_id"], e["type"], e["at"], e["attributes"]) for e in got["events"]] == [
        ("ordered@2026-03-01T04:00:00.000000Z", "ordered", "2026-03-01T04:00:00+00:00", {"table": 7, "vip": True}),
        ("served-1", "dish_served", "2026-03-01T04:12:30+00:00", {}),
    ]
    assert [c["case_id"] for c in t.get("/api/v1/cases").json] == ["t-1", "t-2", "t-3"]
    assert t.get("/api/v1/cases?page_size=2&page=2").json[0]["case_id"] == "t-3"


def test_a_corrected_event_replaces_the_stored_one(make_tenant):
    t = make_tenant("acme")
    assert t.post("/api/v1/case-events", json={"events": EVENTS}).status_code == 201
    late = {"case_id": "t-1", "type": "dish_served", "at": "2026-03-01T04:09:00Z", "event_id": "served-1"}
    assert t.post("/api/v1/case-events", json={"events": [late]}).json == {"accepted": 1, "created": 0, "updated": 1, "unchanged": 0, "alerts_raised": 0, "unknown_types": ["dish_served"]}
    events = t.get("/api/v1/cases/t-1").json["events"]
    assert [(e["event_id"], e["at"]) for e in events] == [("ordered@2026-03-01T04:00:00.000000Z", "2026-03-01T04:00:00+00:00"), ("served-1", "2026-03-01T04:09:00+00:00")]


def test_a_bad_batch_stores_nothing(make_tenant, engine):
    t = make_tenant("acme")
    r = t.post("/api/v1/case-events", json={"events": [*EVENTS, {"case_id": "t-9", "type": "ordered", "at": "not a time"}]})
    assert r.status_code == 422
    assert [(e["index"], e["field"], e["reason"]) for e in r.json["errors"]] == [(3, "at", "'not a time' is not an ISO 8601 date-time (e.g. 2026-03-31T14:05:00+08:00)")]
    assert rows(engine, "SELECT count(*) FROM cases") == [(0,)] and rows(engine, "SELECT count(*) FROM case_events") == [(0,)]
    r = t.post("/api/v1/cases", json={"cases": [{"case_id": "x" * 201}]})
    assert r.status_code == 422 and [(e["index"], e["field"], e["reason"]) for e in r.json["errors"]] == [(0, "case_id", "longer than 200 characters")]
    r = t.post("/api/v1/cases", json={"cases": "nope"})
    assert r.status_code == 422 and "cases" in [e["field"].split(".")[0] for e in r.json["errors"]]
    assert t.get("/api/v1/cases/nobody").status_code == 404


def test_an_idempotency_key_replays_the_first_answer(make_tenant):
    t = make_tenant("acme")
    first = t.post("/api/v1/case-events", json={"events": EVENTS}, headers={"Idempotency-Key": "ev-1"})
    again = t.post("/api/v1/case-events", json={"events": EVENTS}, headers={"Idempotency-Key": "ev-1"})
    assert first.status_code == again.status_code == 201 and again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    other = t.post("/api/v1/case-events", json={"events": EVENTS[:1]}, headers={"Idempotency-Key": "ev-1"})
    assert other.status_code == 422 and "Idempotency-Key" in [e["field"] for e in other.json["errors"]]


def test_too_many_records_are_refused_before_anything_is_built(app, make_tenant):
    app.extensions["csm"].settings["MAX_BATCH"] = 2
    t = make_tenant("acme")
    r = t.post("/api/v1/case-events", json={"events": EVENTS})
    assert r.status_code == 422 and [(e["index"], e["field"], e["reason"]) for e in r.json["errors"]] == [(None, "events", "the batch holds more than 2 events; at most 2 per batch")]
