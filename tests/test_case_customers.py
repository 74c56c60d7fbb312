"""Commitments that read the customer's grade, with the grades the customers' records give
(``core.operations.customers.customer_fields``, the default ``customer.*`` of case
conditions), end to end through the API on SQLite and PostgreSQL.

The tobacco grading (config/examples/tobacco.yaml): score = 0.5 contribution + 0.3
compliance + 0.2 capability. ``c-top``: 0.5 x 100 + 0.3 x 90 + 0.2 x 80 = 50 + 27 + 16 = 93
-> G9 (min 90); ``c-low``: 0.5 x 10 + 0.3 x 20 + 0.2 x 30 = 5 + 6 + 6 = 17 -> G1.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers import CUSTOMER_SECTIONS, SMALL

# Only the top grade is promised a call back within 15 minutes.
TOP_CALLBACK = SMALL + """commitments:
  - code: top_callback
    applies_to: 'customer.grade == "G9"'
    clock: {start: requested, stop: called_back}
    limit: 15m
""" + CUSTOMER_SECTIONS


@pytest.fixture
def graded(make_tenant, monkeypatch):
    now = datetime(2026, 3, 1, 10, 20, tzinfo=UTC)
    monkeypatch.setattr("core.operations.cases.utcnow", lambda: now)
    t = make_tenant("graded")
    t.upload(TOP_CALLBACK)
    customers = [{"customer_id": "c-top", "attributes": {"contribution": 100, "compliance": 90, "capability": 80}},
                 {"customer_id": "c-low", "attributes": {"contribution": 10, "compliance": 20, "capability": 30}}]
    r = t.post("/api/v1/customers", json={"customers": customers, "period": "2026-03"})
    assert r.status_code == 201 and {g: n for g, n in r.json["counts"].items() if n} == {"G9": 1, "G1": 1}, r.json
    return t


def test_a_commitment_for_a_grade_holds_for_that_grades_customers_only(graded):
    t = graded
    r = t.post("/api/v1/cases", json={"cases": [{"case_id": "k-top", "customer_id": "c-top"}, {"case_id": "k-low", "customer_id": "c-low"},
                                                {"case_id": "k-none", "customer_id": "c-unknown"}]})
    assert r.status_code == 201, r.json
    # each asked at 10:00, none called back by 10:20 (the clock's now): the G9 customer's
    # clock passed its 15 minutes at 10:15; the G1 one and the unstored one have no clock
    events = [{"case_id": k, "type": "requested", "at": "2026-03-01T10:00:00Z"} for k in ("k-top", "k-low", "k-none")]
    r = t.post("/api/v1/case-events", json={"events": events})
    assert r.status_code == 201 and r.json["alerts_raised"] == 1, r.json
    (alert,) = t.get("/api/v1/alerts").json
    assert (alert["kind"], alert["case_id"], alert["occurred_at"]) == ("breached", "k-top", "2026-03-01T10:15:00+00:00")
    top = t.get("/api/v1/cases/k-top?at=2026-03-01T10:20:00Z").json["commitments"]
    assert list(top) == ["top_callback"]
    assert t.get("/api/v1/cases/k-low?at=2026-03-01T10:20:00Z").json["commitments"] == {}
    assert t.get("/api/v1/cases/k-none?at=2026-03-01T10:20:00Z").json["commitments"] == {}
