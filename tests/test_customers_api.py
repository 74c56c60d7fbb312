"""Customers, their grades and service requests through the API and the operations.

The tobacco configuration (config/examples/tobacco.yaml) and the customers worked by hand
in tests/test_customers.py (WORKED: score = 0.5 contribution + 0.3 compliance + 0.2
capability, bands G9 >= 90, G8 >= 80, ... G1 >= 0). Every test runs on SQLite and on
PostgreSQL (as the row-level-security-bound application role).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from core.operations import customers as ops
from tests.helpers import BASIC, EXPECTED, STORE_YAML, TOBACCO_YAML, WORKED, app_session

# WORKED: (id, contribution, compliance, capability, score, grade), worked by hand in tests/helpers.py


def item(cid, c, k, a, **extra):
    return {"customer_id": cid, "attributes": {"contribution": c, "compliance": k, "capability": a, **extra}}


ITEMS = [item(*r[:4]) for r in WORKED]


def rows(engine, sql, **params):
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql), params)]


@pytest.fixture
def tobacco(make_tenant):
    t = make_tenant("tobacco-co")
    t.upload(TOBACCO_YAML)
    return t


def post_customers(t, items, **kw):
    return t.post("/api/v1/customers", json={"customers": items, **kw.pop("body", {})}, **kw)


def test_ingest_grades_the_worked_customers_and_stores_each_grade_with_its_inputs(tobacco, engine):
    r = post_customers(tobacco, ITEMS, body={"period": "2026-03"})
    assert r.status_code == 201, r.json
    assert r.headers["Location"].endswith("/api/v1/customers")
    assert r.json == {
        "accepted": 7, "created": 7, "updated": 0, "unchanged": 0, "period": "2026-03",
        "counts": {"G9": 1, "G8": 2, "G7": 1, "G6": 0, "G5": 0, "G4": 1, "G3": 1, "G2": 0, "G1": 1},
    }
    for cid, c, k, a, score, grade in WORKED:
        [g] = tobacco.get(f"/api/v1/customers/{cid}/grades").json
        assert (g["period"], g["grade"], g["config_version"]) == ("2026-03", grade, 1)
        assert g["score"] == pytest.approx(score)
        assert g["inputs"] == {"contribution": c, "compliance": k, "capability": a}
    a = tobacco.get("/api/v1/customers/A").json
    assert a["attributes"] == {"contribution": 90.0, "compliance": 80.0, "capability": 70.0}
    # the grade in force now is March's (no later period graded)
    assert (a["grade"], a["period"], a["score"], a["config_version"]) == ("G8", "2026-03", 83.0, 1)
    assert a["services"] == BASIC + EXPECTED + ["online_allocation"]  # G8: 80 <= 83, G7 and up get online allocation
    assert tobacco.get("/api/v1/customers/C").json["services"] == BASIC  # G3: below agreed supply's G4
    stored = rows(engine, "SELECT g.grade, g.score, g.period FROM customer_grades g JOIN customers c ON c.id = g.customer_id WHERE c.customer_key = 'G' AND g.tenant_id = :t", t=tobacco.id)
    assert stored == [("G8", pytest.approx(89.95), "2026-03")]
    page = tobacco.get("/api/v1/customers?page_size=2&page=2")
    assert page.status_code == 200 and [c["customer_id"] for c in page.json] == ["C", "D"]
    assert [c["grade"] for c in page.json] == ["G3", "G9"]


def test_history_across_two_periods_and_the_grade_in_force_at_a_time(tobacco):
    assert post_customers(tobacco, [item("A", 90, 80, 70)], body={"period": "2026-03"}).status_code == 201
    # April: A improves to 100/100/100 -> 50 + 30 + 20 = 100, G9; posting A again updates it
    r = post_customers(tobacco, [item("A", 100, 100, 100, region="urban")], body={"period": "2026-04"})
    assert r.json["created"] == 0 and r.json["updated"] == 1 and r.json["counts"]["G9"] == 1
    history = tobacco.get("/api/v1/customers/A/grades").json
    assert [(g["period"], g["grade"], g["score"]) for g in history] == [("2026-03", "G8", 83.0), ("2026-04", "G9", 100.0)]
    assert history[0]["inputs"] == {"contribution": 90.0, "compliance": 80.0, "capability": 70.0}
    assert history[1]["inputs"] == {"contribution": 100.0, "compliance": 100.0, "capability": 100.0, "region": "urban"}
    assert tobacco.get("/api/v1/customers/A").json["attributes"]["region"] == "urban"
    # March's grade was G8, April's G9; May has none yet, so April's holds
    for at, grade in (("2026-03-15T10:00:00Z", "G8"), ("2026-04-30T23:59:59Z", "G9"), ("2026-05-02T08:00:00+08:00", "G9")):
        r = tobacco.post("/api/v1/service-requests", json={"customer_id": "A", "service": "online_allocation", "at": at})
        assert r.status_code == 201 and r.json["grade"] == grade and r.json["outcome"] == "entitled", r.json
    # before any period was graded: ungraded, so above grade
    r = tobacco.post("/api/v1/service-requests", json={"customer_id": "A", "service": "phone_order", "at": "2026-02-01T00:00:00Z"})
    assert (r.json["grade"], r.json["period"], r.json["outcome"]) == (None, "2026-02", "above_grade")


def test_grades_of_monthly_and_quarterly_periods_are_ordered_by_time(tobacco):
    """A tenant grading quarterly (2026-Q1: A is G8) that switches to monthly (2026-05: G9).
    As text 2026-05 sorts before 2026-Q1; by time Q1 (January to March) comes first, so in
    February the Q1 grade is in force and May's is not, and the history lists Q1 first."""
    quarterly = TOBACCO_YAML.replace("reevaluate: monthly", "reevaluate: quarterly")
    assert quarterly != TOBACCO_YAML
    tobacco.upload(quarterly)
    assert post_customers(tobacco, [item("A", 90, 80, 70)], body={"period": "2026-Q1"}).status_code == 201
    tobacco.upload(TOBACCO_YAML)
    assert post_customers(tobacco, [item("A", 100, 100, 100)], body={"period": "2026-05"}).status_code == 201
    history = tobacco.get("/api/v1/customers/A/grades").json
    assert [(g["period"], g["grade"]) for g in history] == [("2026-Q1", "G8"), ("2026-05", "G9")]
    for at, grade in (("2026-02-10T10:00:00Z", "G8"), ("2026-04-10T10:00:00Z", "G8"), ("2026-05-10T10:00:00Z", "G9")):
        r = tobacco.post("/api/v1/service-requests", json={"customer_id": "A", "service": "online_allocation", "at": at})
        assert r.status_code == 201 and r.json["grade"] == grade, (at, r.json)


def test_each_outcome_and_one_above_grade_alert_per_request(tobacco, engine):
    assert post_customers(tobacco, ITEMS, body={"period": "2026-03"}).status_code == 201
    at = "2026-03-20T09:00:00Z"
    checks = [("B", "agreement_supply", "G4", "entitled"), ("C", "agreement_supply", "G3", "above_grade"), ("D", "free_gifts", "G9", "unknown_service")]
    ids = {}
    for cid, service, grade, outcome in checks:
        r = tobacco.post("/api/v1/service-requests", json={"customer_id": cid, "service": service, "at": at})
        assert r.status_code == 201, r.json
        assert (r.json["grade"], r.json["outcome"], r.json["period"], r.json["config_version"]) == (grade, outcome, "2026-03", 1)
        assert (r.json["alert_id"] is not None) == (outcome == "above_grade")
        ids[outcome] = r.json
    [alert] = tobacco.get("/api/v1/alerts?kind=above_grade").json
    assert alert["id"] == ids["above_grade"]["alert_id"] and alert["customer_id"] == "C"
    assert alert["payload"] == {"service_request_id": ids["above_grade"]["id"], "service": "agreement_supply", "grade": "G3", "period": "2026-03", "entitled": BASIC}
    # the same request again is another request: another alert; its replay is not
    body = {"customer_id": "C", "service": "online_allocation", "at": at}
    first = tobacco.post("/api/v1/service-requests", json=body, headers={"Idempotency-Key": "req-1"})
    replay = tobacco.post("/api/v1/service-requests", json=body, headers={"Idempotency-Key": "req-1"})
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json == first.json
    again = tobacco.post("/api/v1/service-requests", json=body)
    assert again.json["alert_id"] not in (None, first.json["alert_id"])
    assert len(tobacco.get("/api/v1/alerts?kind=above_grade").json) == 3
    assert rows(engine, "SELECT count(*) FROM service_requests WHERE tenant_id = :t", t=tobacco.id) == [(5,)]
    listed = tobacco.get("/api/v1/service-requests?outcome=above_grade&customer_id=C")
    assert [(x["service"], x["outcome"]) for x in listed.json] == [("agreement_supply", "above_grade"), ("online_allocation", "above_grade"), ("online_allocation", "above_grade")]
    assert listed.headers["X-Pagination"]
    assert [x["customer_id"] for x in tobacco.get("/api/v1/service-requests?service=free_gifts").json] == ["D"]
    assert tobacco.get("/api/v1/service-requests?from=2026-03-21T00:00:00Z").json == []


def test_a_batch_is_stored_whole_or_not_at_all(tobacco, engine):
    bad = [*ITEMS[:3], item("X", "ninety", 80, 70), item("Y", 90, 80, 70, colour="red"), {"customer_id": "Z", "attributes": {"contribution": 101, "compliance": 1}}]
    r = post_customers(tobacco, bad)
    assert r.status_code == 422
    assert [(e["location"], e["index"], e["field"], e["reason"]) for e in r.json["errors"]] == [
        ("item", 3, "attributes.contribution", "must be a number"),
        ("item", 4, "attributes.colour", "unknown attribute (declared: capability, compliance, contribution, region)"),
        ("item", 5, "attributes.capability", "required"),
        ("item", 5, "attributes.contribution", "must be at most 100"),
    ]
    assert rows(engine, "SELECT count(*) FROM customers WHERE tenant_id = :t", t=tobacco.id) == [(0,)]
    assert rows(engine, "SELECT count(*) FROM customer_grades WHERE tenant_id = :t", t=tobacco.id) == [(0,)]


def test_an_idempotent_replay_and_a_batch_sent_again(tobacco, engine):
    first = post_customers(tobacco, ITEMS, body={"period": "2026-03"}, headers={"Idempotency-Key": "load-1"})
    replay = post_customers(tobacco, ITEMS, body={"period": "2026-03"}, headers={"Idempotency-Key": "load-1"})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true" and replay.json == first.json
    again = post_customers(tobacco, ITEMS, body={"period": "2026-03"})
    assert (again.json["created"], again.json["updated"], again.json["unchanged"]) == (0, 0, 7)
    other = post_customers(tobacco, ITEMS[:1], body={"period": "2026-03"}, headers={"Idempotency-Key": "load-1"})
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"
    # one grade per customer and period: grading March again replaced March's
    assert rows(engine, "SELECT count(*) FROM customer_grades WHERE tenant_id = :t", t=tobacco.id) == [(7,)]


def test_the_default_period_is_the_current_one(tobacco):
    r = post_customers(tobacco, ITEMS[:1])
    assert r.json["period"] == datetime.now(timezone.utc).strftime("%Y-%m")


@pytest.mark.parametrize(
    "body, location, field, reason",
    [
        ({"customers": [item("A", 1, 1, 1)], "period": "2026-Q1"}, "body", "period", "'2026-Q1' is not a month: write it as 2026-03 (monthly periods)"),
        ({"customers": [item("A", 1, 1, 1)], "period": "2026-13"}, "body", "period", "'2026-13' is not a month: write it as 2026-03 (monthly periods)"),
        ({"customers": [item("A", 1, 1, 1)], "period": "March"}, "body", "period", "String does not match expected pattern."),
        ({"customers": "A"}, "body", "customers", "Not a valid list."),
        ({"customers": []}, "body", "customers", "Shorter than minimum length 1."),
        ({"customers": ["A"]}, "item", "customers", "each customer must be an object"),
        ({"customers": [{"attributes": {}}]}, "item", "customer_id", "required field is missing"),
        ({"customers": [{"customer_id": "A", "attributes": [1]}]}, "item", "attributes", "must be an object of attribute name → value"),
        ({"customers": [item("A", [1], 1, 1)]}, "item", "attributes.contribution", "must be a single value (text, a number or a boolean)"),
        ({"customers": [item("A", {"x": 1}, 1, 1)]}, "item", "attributes.contribution", "must be a single value (text, a number or a boolean)"),
        ({"customers": [item("A", True, 1, 1)]}, "item", "attributes.contribution", "must be a number"),
        ({"customers": [item("A", 1, 1, 1, region="city")]}, "item", "attributes.region", "'city' is not one of urban, rural"),
        ({"customers": [item("A", 1, 1, 1, region="urban\u0000")]}, "item", "attributes.region", "contains a NUL character or an unpaired surrogate"),
        ({"customers": [item("A\u0000", 1, 1, 1)]}, "item", "customer_id", "contains a NUL character or an unpaired surrogate"),
        ({"customers": [item("x" * 201, 1, 1, 1)]}, "item", "customer_id", "at most 200 characters"),
        ({"customers": [item(1.5, 1, 1, 1)]}, "item", "customer_id", "must be text or an integer"),
        ({"customers": [item("A", 1, 1, 1), item("A", 2, 2, 2)]}, "item", "customer_id", "customer 'A' appears more than once"),
    ],
)
def test_hostile_customer_batches_are_refused_with_the_field_named(tobacco, engine, body, location, field, reason):
    r = tobacco.post("/api/v1/customers", json=body)
    assert r.status_code == 422, r.json
    assert (r.json["errors"][0]["location"], r.json["errors"][0]["field"], r.json["errors"][0]["reason"]) == (location, field, reason)
    assert rows(engine, "SELECT count(*) FROM customers WHERE tenant_id = :t", t=tobacco.id) == [(0,)]


def test_hostile_service_requests_roles_and_missing_prerequisites(tobacco, make_tenant):
    assert post_customers(tobacco, ITEMS[:1], body={"period": "2026-03"}).status_code == 201
    for body, field in (({"customer_id": "A"}, "service"), ({"customer_id": "A", "service": "x\u0000"}, "service"), ({"customer_id": "A", "service": "s", "at": "yesterday"}, "at"), ({"service": "s"}, "customer_id")):
        r = tobacco.post("/api/v1/service-requests", json=body)
        assert r.status_code == 422 and [e["field"] for e in r.json["errors"]] == [field], r.json
    r = tobacco.post("/api/v1/service-requests", json={"customer_id": "nobody", "service": "phone_order"})
    assert r.status_code == 404 and r.json["message"] == "customer 'nobody' does not exist"
    assert tobacco.get("/api/v1/customers/nobody").status_code == 404
    assert tobacco.get("/api/v1/customers/nobody/grades").status_code == 404
    assert tobacco.get("/api/v1/service-requests?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z").json["errors"][0]["field"] == "to"
    viewer = tobacco.post("/api/v1/keys", json={"name": "dashboard", "role": "viewer"}).json["api_key"]
    headers = {"Authorization": f"Bearer {viewer}"}
    assert tobacco.client.post("/api/v1/customers", json={"customers": ITEMS}, headers=headers).status_code == 403
    assert tobacco.client.post("/api/v1/service-requests", json={"customer_id": "A", "service": "phone_order"}, headers=headers).status_code == 403
    assert tobacco.client.get("/api/v1/customers/A", headers=headers).json["grade"] == "G8"
    store = make_tenant("store-only")
    store.upload(STORE_YAML)
    r = post_customers(store, ITEMS)
    assert r.status_code == 409 and r.json["message"] == "configuration version 1 has no customers section; upload one that declares the customers' attributes"


def test_customer_fields_are_the_attributes_and_the_grade_in_force(tobacco, app):
    assert post_customers(tobacco, ITEMS[:3], body={"period": "2026-03"}).status_code == 201
    with app_session(app, tobacco.id) as session:
        fields = ops.customer_fields(session, tobacco.id, ["A", "C", "nobody"], at=datetime(2026, 3, 31, tzinfo=timezone.utc))
        before = ops.customer_fields(session, tobacco.id, ["A"], at=datetime(2026, 2, 1, tzinfo=timezone.utc))
    assert fields == {
        "A": {"contribution": 90.0, "compliance": 80.0, "capability": 70.0, "grade": "G8"},
        "C": {"contribution": 30.0, "compliance": 50.0, "capability": 40.0, "grade": "G3"},
    }
    assert before == {"A": {"contribution": 90.0, "compliance": 80.0, "capability": 70.0, "grade": None}}


def test_regrading_stored_customers_for_a_period(tobacco, app):
    assert post_customers(tobacco, ITEMS, body={"period": "2026-03"}).status_code == 201
    seen = []
    with app_session(app, tobacco.id) as session:
        run = ops.grade_stored(session, tobacco.id, "2026-04", on_chunk=lambda done, total: seen.append((done, total)))
    assert (run.period, run.config_version, run.graded) == ("2026-04", 1, 7)
    assert run.counts == {"G9": 1, "G8": 2, "G7": 1, "G6": 0, "G5": 0, "G4": 1, "G3": 1, "G2": 0, "G1": 1}
    assert seen == [(7, 7)]
    assert [g["period"] for g in tobacco.get("/api/v1/customers/G/grades").json] == ["2026-03", "2026-04"]
