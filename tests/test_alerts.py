"""Alerts: raised once per dedup key, in the transaction of their cause, readable,
filterable and acknowledgeable; the sweep raises what falls due, and twice raises nothing
twice. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from core.alerts import AlertCandidate, CaseEvent, CaseSnapshot, Deadline, Evaluation, no_commitments
from core.operations.alerts import raise_alerts
from core.db.repositories import CaseRepository
from core.operations.cases import evaluate_cases, sweep_tenant
from tests.helpers import PUBLIC_HOOK_URL, app_session, use_evaluator

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
TEN = timedelta(minutes=10)


def snapshot(*events) -> CaseSnapshot:
    return CaseSnapshot("c1", "dine_in", "cust", None, None, {}, tuple(CaseEvent(t, at) for t, at in events))


def test_the_deadline_evaluator_by_hand():
    """Opened 10:00, limit 10 min: at 10:05 nothing, next check 10:10; at 10:12 one breach
    dated 10:10; closed 10:08 (in time): nothing and no next check; closed 10:15: breach at 10:10."""
    rule = Deadline(TEN)
    assert rule.one(snapshot(("opened", T0)), T0 + timedelta(minutes=5)) == Evaluation((), T0 + TEN)
    late = rule.one(snapshot(("opened", T0)), T0 + timedelta(minutes=12))
    assert [(a.kind, a.dedup_key, a.occurred_at, a.case_id, a.customer_id) for a in late.alerts] == [("breached", "breached:c1:deadline", T0 + TEN, "c1", "cust")]
    assert late.next_check_at is None
    assert rule.one(snapshot(("opened", T0), ("closed", T0 + timedelta(minutes=8))), T0 + timedelta(hours=1)) == Evaluation()
    assert len(rule.one(snapshot(("opened", T0), ("closed", T0 + timedelta(minutes=15))), T0 + timedelta(hours=1)).alerts) == 1
    assert rule.one(snapshot(("closed", T0)), T0) == Evaluation()
    assert no_commitments(None, [snapshot(("opened", T0))], T0 + timedelta(days=9)) == [Evaluation()]
    assert rule(None, [snapshot(("opened", T0)), snapshot()], T0 + timedelta(minutes=5)) == [Evaluation((), T0 + TEN), Evaluation()]


def test_a_candidate_is_checked():
    with pytest.raises(ValueError, match="not one of step_reached, breached, remedy_overdue, above_grade"):
        AlertCandidate("late", "k", T0)
    with pytest.raises(ValueError, match="1-500 characters"):
        AlertCandidate("breached", "k" * 501, T0)
    with pytest.raises(ValueError, match="tz-aware"):
        AlertCandidate("breached", "k", T0.replace(tzinfo=None))


def test_raise_alerts_is_idempotent_by_dedup_key_and_writes_the_outbox_with_the_alert(app, make_tenant, engine):
    t = make_tenant("acme")
    assert t.post("/api/v1/webhooks", json={"url": PUBLIC_HOOK_URL, "kinds": ["above_grade"]}).status_code == 201
    assert t.post("/api/v1/webhooks", json={"url": PUBLIC_HOOK_URL}).status_code == 201
    first = [AlertCandidate("above_grade", "above:cust-1:svc:2026-03", T0, customer_id="cust-1", payload={"service": "online_allocation"}),
             AlertCandidate("breached", "breached:c1:x", T0, case_id="c1")]
    with app_session(app, t.id) as session:
        raised = raise_alerts(session, t.id, [*first, first[0]], now=T0)
        assert [a.dedup_key for a in raised] == ["above:cust-1:svc:2026-03", "breached:c1:x"]
    with app_session(app, t.id) as session:
        assert raise_alerts(session, t.id, first, now=T0 + TEN) == []
        again = raise_alerts(session, t.id, [*first, AlertCandidate("step_reached", "step:c1:x:s1", T0, case_id="c1")], now=T0 + TEN)
        assert [a.dedup_key for a in again] == ["step:c1:x:s1"]
    # an alert raised in a transaction that rolls back leaves no alert and no delivery
    with pytest.raises(RuntimeError), app_session(app, t.id) as session:
        raise_alerts(session, t.id, [AlertCandidate("breached", "breached:c2:x", T0)], now=T0)
        raise RuntimeError("the cause fails after the alert was raised")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT dedup_key FROM alerts ORDER BY id")).scalars().all()
        deliveries = connection.execute(text("SELECT e.kinds, a.dedup_key FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN alerts a ON a.id = d.alert_id ORDER BY d.id")).all()
    assert stored == ["above:cust-1:svc:2026-03", "breached:c1:x", "step:c1:x:s1"]
    # the above_grade-only endpoint got the above_grade alert; the other every alert
    assert sorted(map(tuple, deliveries), key=repr) == sorted([('["above_grade"]', "above:cust-1:svc:2026-03"), (None, "above:cust-1:svc:2026-03"), (None, "breached:c1:x"), (None, "step:c1:x:s1")], key=repr)


def test_an_event_raises_its_alert_in_the_same_request_and_a_failed_batch_raises_none(app, make_tenant, engine):
    use_evaluator(app, Deadline(TEN))
    t = make_tenant("acme")
    opened = {"case_id": "c1", "type": "opened", "at": "2026-03-01T10:00:00Z"}
    r = t.post("/api/v1/case-events", json={"events": [opened, {"case_id": "c2", "type": "opened", "at": "bad"}]})
    assert r.status_code == 422
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alerts")).scalar() == 0
    r = t.post("/api/v1/case-events", json={"events": [opened]})
    assert r.status_code == 201 and r.json["alerts_raised"] == 1
    assert t.post("/api/v1/case-events", json={"events": [opened]}).json["alerts_raised"] == 0
    [alert] = t.get("/api/v1/alerts").json
    assert (alert["kind"], alert["case_id"], alert["occurred_at"], alert["payload"]) == (
        "breached", "c1", "2026-03-01T10:10:00+00:00", {"commitment": "deadline", "limit_seconds": 600.0, "started_at": "2026-03-01T10:00:00+00:00"},
    )


def test_the_sweep_raises_what_fell_due_once(app, make_tenant):
    use_evaluator(app, Deadline(TEN))
    t = make_tenant("acme")
    now = datetime.now(timezone.utc)
    events = [{"case_id": f"c{i}", "type": "opened", "at": (now - timedelta(minutes=9)).isoformat()} for i in range(3)]
    events.append({"case_id": "c0", "type": "closed", "at": (now - timedelta(minutes=1)).isoformat()})  # c0 met its deadline
    assert t.post("/api/v1/case-events", json={"events": events}).json["alerts_raised"] == 0
    due = {c["case_id"]: c["next_check_at"] for c in t.get("/api/v1/cases").json}
    assert due["c0"] is None and due["c1"] == due["c2"] is not None
    with app_session(app, t.id) as session:
        assert sweep_tenant(session, t.id, now) == (0, [])  # not due yet: nothing looked at
    later = now + timedelta(minutes=2)
    with app_session(app, t.id) as session:
        looked_at, raised = sweep_tenant(session, t.id, later)
        assert looked_at == 2 and sorted(a.case_id for a in raised) == ["c1", "c2"]
    for _ in range(2):  # swept again: the cases are no longer due, and forcing them raises nothing new
        with app_session(app, t.id) as session:
            assert sweep_tenant(session, t.id, later + timedelta(hours=1)) == (0, [])
            ids = CaseRepository(session).ids(t.id, ["c0", "c1", "c2"]).values()
            assert evaluate_cases(session, t.id, ids, later + timedelta(hours=1)) == []
    assert len(t.get("/api/v1/alerts").json) == 2


def test_listing_filters_pages_and_acknowledges(app, make_tenant):
    t = make_tenant("acme")
    with app_session(app, t.id) as session:
        for i, kind in enumerate(["breached", "step_reached", "breached", "remedy_overdue"]):
            raise_alerts(session, t.id, [AlertCandidate(kind, f"{kind}:{i}", T0, case_id=f"c{i % 2}")], now=T0 + timedelta(hours=i))
    everything = t.get("/api/v1/alerts").json
    assert [a["dedup_key"] for a in everything] == ["remedy_overdue:3", "breached:2", "step_reached:1", "breached:0"]  # newest first
    assert [a["dedup_key"] for a in t.get("/api/v1/alerts?kind=breached").json] == ["breached:2", "breached:0"]
    window = t.get("/api/v1/alerts?from=2026-03-01T11:00:00Z&to=2026-03-01T13:00:00Z").json
    assert [a["dedup_key"] for a in window] == ["breached:2", "step_reached:1"]  # from inclusive, to exclusive
    assert [a["dedup_key"] for a in t.get("/api/v1/alerts?case_id=c1").json] == ["remedy_overdue:3", "step_reached:1"]
    page = t.get("/api/v1/alerts?page=2&page_size=3")
    assert [a["dedup_key"] for a in page.json] == ["breached:0"] and '"total": 4' in page.headers["X-Pagination"]
    target = everything[1]["id"]
    r = t.post(f"/api/v1/alerts/{target}/acknowledge")
    assert r.status_code == 200 and r.json["acknowledged_at"] is not None and r.json["acknowledged_by_key_id"] is not None
    assert t.post(f"/api/v1/alerts/{target}/acknowledge").json["acknowledged_at"] == r.json["acknowledged_at"]  # the first one is kept
    assert [a["id"] for a in t.get("/api/v1/alerts?acknowledged=true").json] == [target]
    assert len(t.get("/api/v1/alerts?acknowledged=false").json) == 3
    assert t.get(f"/api/v1/alerts/{target}").json["acknowledged_at"] == r.json["acknowledged_at"]
    assert [e["action"] for e in t.get("/api/v1/audit").json].count("alert.acknowledge") == 1
    # precise refusals
    r = t.get("/api/v1/alerts?kind=late")
    assert r.status_code == 422 and "kind" in [e["field"] for e in r.json["errors"] if e["location"] == "query"]
    r = t.get("/api/v1/alerts?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z")
    assert r.status_code == 422 and [(e["location"], e["field"], e["reason"]) for e in r.json["errors"]] == [("query", "to", "`from` must be before `to`")]
    assert t.get("/api/v1/alerts?kinds=breached").status_code == 422
    assert t.get("/api/v1/alerts/999999").status_code == 404 and t.post("/api/v1/alerts/999999/acknowledge").status_code == 404
