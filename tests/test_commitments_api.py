"""The source cases' time-limit commitments end to end through the API, on SQLite and
PostgreSQL: events ingested (alerts raised in the same transaction), the sweep at a later
instant (what falls due while no event comes; twice raises nothing twice), the figures of
``GET /cases/{case_id}?at=`` and the rates of ``GET /commitments/on-time``, a late or
corrected event repairing the figures. Every figure is worked by hand in the comment
beside it; times are Beijing time (UTC+8) where the source's cases happen, answers UTC.

The configuration is ``config/examples/hotel-commitments.yaml`` (seeds 002 and 003).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from core.alerts.commitments import commitment_alerts
from core.operations import cases as case_operations
from core.operations.cases import sweep_tenant
from tests.helpers import ROOT, SMALL, app_session, use_customer_fields, use_evaluator

HOTEL = (ROOT / "config" / "examples" / "hotel-commitments.yaml").read_text(encoding="utf-8")


def bj(text: str) -> datetime:
    """``03-01 12:00`` (or ``03-01 12:00:30``) Beijing time as a UTC instant."""
    seconds = "" if text.count(":") == 2 else ":00"
    return pd.Timestamp(f"2026-{text}{seconds}+08:00").tz_convert("UTC").to_pydatetime()


def z(text: str) -> str:
    """``03-01 12:00`` Beijing time as the API writes it: ``2026-03-01T04:00:00Z``."""
    return bj(text).strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock:
    """The instant the API takes as now (ingest's evaluation, the default ``at``)."""

    now: datetime


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr("core.operations.cases.utcnow", lambda: c.now)
    monkeypatch.setattr("core.operations.commitments.utcnow", lambda: c.now)
    return c


@pytest.fixture
def hotel(make_tenant):
    t = make_tenant("hotel")
    t.upload(HOTEL)
    return t


def send(t, clock, when: str, *events, **case_fields):
    """Ingest events at ``when`` (Beijing): (case_id, type, at[, event_id]) tuples."""
    clock.now = bj(when)
    items = [{"case_id": e[0], "type": e[1], "at": bj(e[2]).isoformat(), **({"event_id": e[3]} if len(e) > 3 else {})} for e in events]
    r = t.post("/api/v1/case-events", json={"events": items})
    assert r.status_code == 201, r.json
    return r.json


def sweep(app, t, when: str) -> tuple[int, list[str]]:
    """The worker's sweep of the tenant at ``when`` (Beijing): (cases looked at, dedup keys raised)."""
    with app_session(app, t.id) as session:
        looked_at, raised = sweep_tenant(session, t.id, bj(when))
        return looked_at, sorted(a.dedup_key for a in raised)


def figures(t, case_id: str, when: str) -> dict:
    r = t.get(f"/api/v1/cases/{case_id}?at={bj(when).isoformat().replace('+00:00', 'Z')}")
    assert r.status_code == 200, r.json
    return r.json["commitments"]


def next_check(t, case_id: str) -> str | None:
    return {c["case_id"]: c["next_check_at"] for c in t.get("/api/v1/cases").json}[case_id]


def alerts(t) -> list[tuple[str, str, str]]:
    """(dedup key, occurred_at, kind) of every alert, oldest occurred first."""
    found = [(a["dedup_key"], a["occurred_at"], a["kind"]) for a in t.get("/api/v1/alerts?page_size=100").json]
    return sorted(found, key=lambda a: (a[1], a[0]))


def utc(text: str) -> str:
    return bj(text).isoformat()


# --- the restaurant (seed 003): fruit plate at 10 min, 20 % off at 15, double compensation
# within 5 min of a complaint after 20 --------------------------------------------------------


def test_the_restaurant_ladder_step_by_step_at_ingest_and_by_the_sweep(app, hotel, clock):
    t = hotel
    # 12:00 table 7 orders; the cases' own record says what it is
    clock.now = bj("03-01 12:00")
    assert t.post("/api/v1/cases", json={"cases": [{"case_id": "t7", "case_type": "dine_in", "touchpoint": "restaurant"},
                                                    {"case_id": "t8", "case_type": "dine_in", "touchpoint": "restaurant"}]}).status_code == 201
    assert send(t, clock, "03-01 12:00", ("t7", "ordered", "03-01 12:00"), ("t8", "ordered", "03-01 12:00"))["alerts_raised"] == 0
    # nothing is due before 12:10, when 10 counted minutes are exceeded (the fruit plate and the breach)
    assert next_check(t, "t7") == utc("03-01 12:10")
    assert sweep(app, t, "03-01 12:09") == (0, [])
    # 12:11: the sweep raises the breach and the fruit plate for both tables, both dated 12:10
    assert sweep(app, t, "03-01 12:11") == (2, ["breached:t7:first_dish:1", "breached:t8:first_dish:1",
                                                "step_reached:t7:first_dish:1:fruit_plate", "step_reached:t8:first_dish:1:fruit_plate"])
    assert next_check(t, "t7") == utc("03-01 12:15")  # the next step, 20 % off at 15 min
    # a second sweep at the same instant looks at nothing and raises nothing; forced, still nothing
    assert sweep(app, t, "03-01 12:11") == (0, [])
    with app_session(app, t.id) as session:
        ids = list(case_operations.CaseRepository(session).ids(t.id, ["t7", "t8"]).values())
        assert case_operations.evaluate_cases(session, t.id, ids, bj("03-01 12:11")) == []
    # 12:18 table 7 complains: the ingest evaluates at 12:18 and raises 20 % off (reached 12:15)
    # in its own transaction; the double compensation needs 20 min: next check 12:20
    assert send(t, clock, "03-01 12:18", ("t7", "complained", "03-01 12:18"))["alerts_raised"] == 1
    assert next_check(t, "t7") == utc("03-01 12:20")
    # 12:21 the sweep: table 7's double compensation (20 min passed after the complaint,
    # reached 12:20, owed by 12:25); both tables' 20 % off (table 7's was raised already)
    assert sweep(app, t, "03-01 12:21") == (2, ["step_reached:t7:first_dish:1:double_refund", "step_reached:t8:first_dish:1:discount_20"])
    f = figures(t, "t7", "03-01 12:21")["first_dish"]
    # elapsed 21 min = 1260 s, 10 min limit: remaining -660 s; still open, so breached and overdue
    assert (f["status"], f["open"], f["elapsed_seconds"], f["limit_seconds"], f["remaining_seconds"], f["overdue"]) == ("breached", True, 1260.0, 600.0, -660.0, True)
    assert (f["started_at"], f["stopped_at"], f["due_at"], f["breached_at"]) == (z("03-01 12:00"), None, z("03-01 12:10"), z("03-01 12:10"))
    assert f["reached"] == {"fruit_plate": z("03-01 12:10"), "discount_20": z("03-01 12:15"), "double_refund": z("03-01 12:20")}
    assert [(m["step"], m["status"], m["respond_by"], m["on_time"]) for m in f["remedies_due"]] == [
        ("fruit_plate", "due", None, None), ("discount_20", "due", None, None), ("double_refund", "due", z("03-01 12:25"), None)]
    assert (f["next_step"], f["next_check_at"]) == (None, z("03-01 12:25"))  # no step left; the remedy's time runs out at 12:25
    # 12:24 the manager brings the compensation (in time: by 12:25); 12:31 the dish comes
    send(t, clock, "03-01 12:24", ("t7", "compensation_paid", "03-01 12:24"))
    send(t, clock, "03-01 12:31", ("t7", "dish_served", "03-01 12:31"))
    f = figures(t, "t7", "03-01 13:00")["first_dish"]
    # stopped at 31 min: 1860 s counted, 1260 s over; closed, breached; the remedy given on time
    assert (f["status"], f["open"], f["elapsed_seconds"], f["remaining_seconds"], f["stopped_at"]) == ("breached", False, 1860.0, -1260.0, z("03-01 12:31"))
    assert f["remedies_due"][2] | {"remedy_zh": None} == {"step": "double_refund", "remedy": "the manager brings double compensation", "remedy_zh": None,
                                                          "reached_at": z("03-01 12:20"), "respond_by": z("03-01 12:25"), "delivered_at": z("03-01 12:24"),
                                                          "status": "delivered", "on_time": True}
    # table 8 complains at 12:22 (after 20 min, so the step is reached at the complaint), owed by
    # 12:27, and nobody comes: the sweep at 12:28 raises both the step and the remedy overdue (12:27)
    send(t, clock, "03-01 12:22", ("t8", "complained", "03-01 12:22"))
    assert sweep(app, t, "03-01 12:28") == (1, ["remedy_overdue:t8:first_dish:1:double_refund"])
    assert sweep(app, t, "03-01 13:00") == (0, [])  # nothing further can fall due without an event
    assert [(k, at) for k, at, _ in alerts(t) if k.startswith(("step_reached:t8:first_dish:1:double", "remedy"))] == [
        ("step_reached:t8:first_dish:1:double_refund", utc("03-01 12:22")), ("remedy_overdue:t8:first_dish:1:double_refund", utc("03-01 12:27"))]
    # 4 alerts each for t7 (breach, three steps) and t8 (breach, three steps) plus t8's overdue remedy
    assert len(alerts(t)) == 9
    # the same events sent again raise nothing
    assert send(t, clock, "03-01 13:00", ("t7", "ordered", "03-01 12:00"), ("t8", "complained", "03-01 12:22"))["alerts_raised"] == 0
    # on time: both tables breached (0 of 2)
    rates = t.get("/api/v1/commitments/on-time?at=2026-03-01T05:00:00Z").json["commitments"]["first_dish"]
    assert (rates["rate"], rates["n"], rates["met"], rates["breached"]) == (0.0, 2, 0, 2)


# --- the hotel (seed 003): check-in within 3 min, check-out within 4, a 1200 call answered in
# person within 3 ------------------------------------------------------------------------------


def test_the_hotel_front_desk_and_the_1200_line(app, hotel, clock):
    t = hotel
    clock.now = bj("03-01 15:00")
    assert t.post("/api/v1/cases", json={"cases": [{"case_id": "stay-101", "case_type": "stay", "touchpoint": "front_desk", "attributes": {"segment": "member"}},
                                                    {"case_id": "stay-102", "case_type": "stay", "touchpoint": "front_desk", "attributes": {"segment": "walk_in"}}]}).status_code == 201
    # stay-101: checked in after 2 min 40 s (met, 20 s to spare); the 1200 call at 21:10 answered
    # at 21:13 (exactly 3 min: met, the limit is included), a second call at 23:00 answered at
    # 23:04 (4 min: breached at 23:03); checked out after 3 min 30 s (met)
    r = send(t, clock, "03-02 11:10",
             ("stay-101", "arrived_at_desk", "03-01 15:00"), ("stay-101", "checked_in", "03-01 15:02:40"),
             ("stay-101", "called_1200", "03-01 21:10"), ("stay-101", "staff_arrived", "03-01 21:13"),
             ("stay-101", "called_1200", "03-01 23:00"), ("stay-101", "staff_arrived", "03-01 23:04"),
             ("stay-101", "check_out_requested", "03-02 11:00"), ("stay-101", "checked_out", "03-02 11:03:30"),
             # stay-102: check-in took 5 min (breached at 15:33), check-out 4 min exactly (met)
             ("stay-102", "arrived_at_desk", "03-01 15:30"), ("stay-102", "checked_in", "03-01 15:35"),
             ("stay-102", "check_out_requested", "03-02 11:05"), ("stay-102", "checked_out", "03-02 11:09"))
    # the two breaches are raised by the ingest itself, in its transaction
    assert (r["alerts_raised"], r["unknown_types"]) == (2, [])
    assert [(k, at) for k, at, _ in alerts(t)] == [("breached:stay-102:check_in:1", utc("03-01 15:33")), ("breached:stay-101:request_1200:2", utc("03-01 23:03"))]
    f = figures(t, "stay-101", "03-02 12:00")
    assert (f["check_in"]["status"], f["check_in"]["elapsed_seconds"], f["check_in"]["remaining_seconds"]) == ("met", 160.0, 20.0)
    assert (f["check_out"]["status"], f["check_out"]["elapsed_seconds"], f["check_out"]["limit_seconds"]) == ("met", 210.0, 240.0)
    call = f["request_1200"]  # the latest cycle, the earlier one summarised
    assert (call["cycle"], call["status"], call["elapsed_seconds"], call["breached_at"]) == (2, "breached", 240.0, z("03-01 23:03"))
    assert call["previous_cycles"] == [{"cycle": 1, "status": "met", "started_at": z("03-01 21:10"), "stopped_at": z("03-01 21:13"), "elapsed_seconds": 180.0, "steps": []}]
    assert "first_dish" not in f and "green_channel_gm" not in f  # not a dine_in nor a green_channel case
    # on time, by segment: check-in 1 of 2 (member met, walk-in breached), check-out 2 of 2,
    # the 1200 line 1 of 2 cycles
    r = t.get("/api/v1/commitments/on-time?by=segment&at=2026-03-02T04:00:00Z")
    assert r.status_code == 200, r.json
    rates = r.json["commitments"]
    assert {c: (rates[c]["rate"], rates[c]["n"]) for c in ("check_in", "check_out", "request_1200")} == {"check_in": (0.5, 2), "check_out": (1.0, 2), "request_1200": (0.5, 2)}
    assert {g: (v["rate"], v["n"]) for g, v in rates["check_in"]["groups"].items()} == {"member": (1.0, 1), "walk_in": (0.0, 1)}
    # by period and touchpoint, and only cycles started on 1 March (Beijing: [03-01 00:00, 03-02 00:00)):
    # check-out (started 2 March) drops out, check-in keeps its 2
    window = f"from={bj('03-01 00:00').isoformat()}&to={bj('03-02 00:00').isoformat()}".replace("+00:00", "Z")
    r = t.get(f"/api/v1/commitments/on-time?by=touchpoint,period&{window}&at=2026-03-02T04:00:00Z").json
    assert (r["group_by"], r["period"], r["from"], r["to"]) == (["touchpoint", "period"], "month", z("03-01 00:00"), z("03-02 00:00"))
    assert r["commitments"]["check_out"]["n"] == 0
    # (15:00 Beijing on 1 March is 07:00 UTC on 1 March: both check-ins fall in 2026-03 UTC)
    assert r["commitments"]["check_in"]["groups"] == {"front_desk | 2026-03": {"rate": 0.5, "n": 2, "met": 1, "breached": 1}}


# --- the destroyer's green channel (seed 003): 12 h to the general manager's office, a reply
# within 24 h ------------------------------------------------------------------------------------


def test_the_green_channel_by_the_sweep_and_at_any_instant(app, hotel, clock):
    t = hotel
    clock.now = bj("03-01 09:00")
    assert t.post("/api/v1/cases", json={"cases": [{"case_id": "complaint-3", "case_type": "green_channel", "touchpoint": "hotline"}]}).status_code == 201
    send(t, clock, "03-01 09:00", ("complaint-3", "complaint_received", "03-01 09:00"))
    assert next_check(t, "complaint-3") == utc("03-01 21:00")  # 12 h: the general manager's office
    # 20:00 it reaches the office (11 h: met); the reply is due by 09:00 the next day
    send(t, clock, "03-01 20:00", ("complaint-3", "reached_gm_office", "03-01 20:00"))
    assert next_check(t, "complaint-3") == utc("03-02 09:00")
    assert sweep(app, t, "03-02 08:59") == (0, [])
    assert sweep(app, t, "03-02 09:01") == (1, ["breached:complaint-3:green_channel_reply:1"])
    assert sweep(app, t, "03-02 09:01") == (0, [])
    # at 09:30 on 2 March: the reply clock is open and 30 min over
    f = figures(t, "complaint-3", "03-02 09:30")
    assert (f["green_channel_gm"]["status"], f["green_channel_gm"]["elapsed_seconds"], f["green_channel_gm"]["remaining_seconds"]) == ("met", 11 * 3600.0, 3600.0)
    reply = f["green_channel_reply"]
    assert (reply["status"], reply["open"], reply["elapsed_seconds"], reply["remaining_seconds"], reply["overdue"]) == ("breached", True, 24.5 * 3600, -1800.0, True)
    # replied at 10:00: 25 h, breached by 1 h; the same case asked about at 20:00 on 1 March
    # knows nothing later: the office not reached yet (11 h counted, 1 h left), no reply yet
    send(t, clock, "03-02 10:00", ("complaint-3", "customer_replied", "03-02 10:00"))
    assert figures(t, "complaint-3", "03-02 12:00")["green_channel_reply"]["remaining_seconds"] == -3600.0
    early = figures(t, "complaint-3", "03-01 19:59")
    assert (early["green_channel_gm"]["status"], early["green_channel_gm"]["remaining_seconds"], early["green_channel_reply"]["remaining_seconds"]) == ("running", 3660.0, 13 * 3600.0 + 60)
    rates = t.get("/api/v1/commitments/on-time?at=2026-03-02T04:00:00Z").json["commitments"]
    assert (rates["green_channel_gm"]["rate"], rates["green_channel_reply"]["rate"]) == (1.0, 0.0)


# --- 3-5-3 after-sales (seed 002): contact the customer within 1 h of their call to the
# service centre, within 30 min of an order dispatched by the call centre ----------------------


def test_three_five_three_contact_and_a_late_event_repairs_the_figures(app, hotel, clock):
    t = hotel
    clock.now = bj("03-03 09:00")
    assert t.post("/api/v1/cases", json={"cases": [{"case_id": "a1", "case_type": "after_sales"}, {"case_id": "a2", "case_type": "after_sales"}]}).status_code == 201
    # a1 called the centre at 09:00 and was contacted at 09:40: met, 40 min counted, 20 left
    send(t, clock, "03-03 09:40", ("a1", "customer_called_asc", "03-03 09:00"), ("a1", "customer_contacted", "03-03 09:40", "contact-a1"))
    f = figures(t, "a1", "03-03 12:00")
    assert list(f) == ["contact_direct"] and (f["contact_direct"]["status"], f["contact_direct"]["remaining_seconds"]) == ("met", 1200.0)
    # a2: the call centre dispatched an order at 10:00; no contact is logged by 10:31, so the
    # sweep raises the breach, dated 10:30
    send(t, clock, "03-03 10:00", ("a2", "order_dispatched", "03-03 10:00"))
    assert next_check(t, "a2") == utc("03-03 10:30")
    assert sweep(app, t, "03-03 10:31") == (1, ["breached:a2:contact_dispatched:1"])
    assert figures(t, "a2", "03-03 10:31")["contact_dispatched"]["status"] == "breached"
    # 10:35 the engineer's contact at 10:20 is logged late: the figures are recomputed from the
    # log: met, 20 min counted, 10 min left; the alert raised meanwhile stays (it was true then)
    r = send(t, clock, "03-03 10:35", ("a2", "customer_contacted", "03-03 10:20"))
    assert r["alerts_raised"] == 0
    f = figures(t, "a2", "03-03 12:00")["contact_dispatched"]
    assert (f["status"], f["elapsed_seconds"], f["remaining_seconds"], f["stopped_at"], f["breached_at"]) == ("met", 1200.0, 600.0, z("03-03 10:20"), None)
    assert next_check(t, "a2") is None
    rates = t.get("/api/v1/commitments/on-time?at=2026-03-03T04:00:00Z").json["commitments"]
    assert {c: (rates[c]["rate"], rates[c]["n"]) for c in ("contact_direct", "contact_dispatched")} == {"contact_direct": (1.0, 1), "contact_dispatched": (1.0, 1)}
    # a correction (the same event_id) moves a1's contact to 10:05: 65 min, breached at 10:00;
    # the ingest of the correction raises the breach
    r = send(t, clock, "03-03 11:00", ("a1", "customer_contacted", "03-03 10:05", "contact-a1"))
    assert (r["updated"], r["alerts_raised"]) == (1, 1)
    f = figures(t, "a1", "03-03 12:00")["contact_direct"]
    assert (f["status"], f["elapsed_seconds"], f["remaining_seconds"], f["breached_at"]) == ("breached", 3900.0, -300.0, z("03-03 10:00"))
    rates = t.get("/api/v1/commitments/on-time?at=2026-03-03T04:00:00Z").json["commitments"]
    assert (rates["contact_direct"]["rate"], rates["contact_direct"]["n"]) == (0.0, 1)


# --- the hook for customer fields, batching, refusals, isolation ---------------------------------


VIP_ONLY = SMALL + """commitments:
  - code: vip_callback
    applies_to: 'customer.grade == "G9"'
    clock: {start: requested, stop: called_back}
    limit: 15m
"""


def test_customer_fields_come_through_the_hook_and_one_engine_call_serves_a_batch(app, make_tenant, clock):
    t = make_tenant("grades")
    t.upload(VIP_ONLY)
    calls = []

    def counting(config, cases, at, customers=None):
        calls.append(len(cases))
        return commitment_alerts(config, cases, at, customers)

    use_evaluator(app, counting)
    asked = []

    def grades(session, tenant_id, customer_ids):
        asked.append((tenant_id, list(customer_ids)))
        return {"c-vip": {"grade": "G9"}, "c-new": {"grade": "G1"}}

    use_customer_fields(app, grades)
    try:
        clock.now = bj("03-01 10:00")
        t.post("/api/v1/cases", json={"cases": [{"case_id": "k1", "customer_id": "c-vip"}, {"case_id": "k2", "customer_id": "c-new"}, {"case_id": "k3"}]})
        calls.clear()
        # the G9 customer's request at 10:00, not called back by 10:20: breached at 10:15; the
        # G1 customer's and the anonymous one's requests start no clock
        r = send(t, clock, "03-01 10:20", *[(k, "requested", "03-01 10:00") for k in ("k1", "k2", "k3")])
        assert r["alerts_raised"] == 1 and calls == [3]  # one evaluator call for the three cases
        assert asked[-1] == (t.id, ["c-new", "c-vip"])
        assert [k for k, _, _ in alerts(t)] == ["breached:k1:vip_callback:1"]
        assert list(figures(t, "k1", "03-01 10:20")) == ["vip_callback"] and figures(t, "k2", "03-01 10:20") == {}
    finally:
        use_customer_fields(app, None)


def test_types_no_commitment_names_are_stored_and_told(hotel, clock):
    r = send(hotel, clock, "03-01 12:30", ("t1", "ordered", "03-01 12:00"), ("t1", "complained", "03-01 12:10"), ("t1", "odered", "03-01 12:11"))
    # "complained" is named by the double compensation's condition; "odered" by nothing
    assert (r["accepted"], r["unknown_types"]) == (3, ["odered"])
    clock.now = bj("03-01 12:30")
    r = hotel.post("/api/v1/cases", json={"cases": [{"case_id": "t1", "case_type": "dine_in"}, {"case_id": "t2", "case_type": "dine-in"}]})
    assert r.json["unknown_types"] == ["dine-in"]


def test_bad_query_parameters_are_named(hotel, clock):
    clock.now = bj("03-01 12:00")
    hotel.post("/api/v1/cases", json={"cases": [{"case_id": "t1", "case_type": "dine_in"}]})
    send(hotel, clock, "03-01 12:08", ("t1", "ordered", "03-01 12:00"), ("t1", "dish_served", "03-01 12:08"))
    for url, field in (("/api/v1/cases/t1?at=yesterday", "at"), ("/api/v1/cases/t1?when=2026-03-01T00:00:00Z", "when"),
                       ("/api/v1/commitments/on-time?at=soon", "at"), ("/api/v1/commitments/on-time?by=colour", "by"),
                       ("/api/v1/commitments/on-time?by=touchpoint,touchpoint", "by"), ("/api/v1/commitments/on-time?period=month", "period"),
                       ("/api/v1/commitments/on-time?period=week&by=period", "period"),
                       ("/api/v1/commitments/on-time?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to")):
        r = hotel.get(url)
        assert r.status_code == 422 and field in [e["field"] for e in r.json["errors"] if e["location"] == "query"], (url, r.json)
    assert hotel.get("/api/v1/cases/nobody?at=2026-03-01T00:00:00Z").status_code == 404


def test_one_tenants_cases_never_reach_anothers_figures_or_rates(make_tenant, hotel, clock):
    other = make_tenant("other")
    other.upload(HOTEL)
    clock.now = bj("03-01 12:00")
    hotel.post("/api/v1/cases", json={"cases": [{"case_id": "t1", "case_type": "dine_in"}]})
    send(hotel, clock, "03-01 12:30", ("t1", "ordered", "03-01 12:00"), ("t1", "dish_served", "03-01 12:05"))
    assert other.get("/api/v1/cases/t1").status_code == 404
    assert other.get("/api/v1/commitments/on-time").json["commitments"]["first_dish"]["n"] == 0
    assert hotel.get("/api/v1/commitments/on-time").json["commitments"]["first_dish"]["n"] == 1
    # a viewer reads the rates
    viewer = hotel.post("/api/v1/keys", json={"name": "viewer", "role": "viewer"}).json["api_key"]
    assert hotel.client.get("/api/v1/commitments/on-time", headers={"Authorization": f"Bearer {viewer}"}).status_code == 200


def test_the_workers_sweep_job_uses_the_commitments_by_default(app, hotel, clock):
    """The worker's job as ``csm worker`` builds it (no evaluator given): the green
    channel's complaint at 09:00 is swept at 21:01, 12 h having passed at 21:00 without
    reaching the general manager's office; a second run raises nothing."""
    from core.worker.jobs import WorkerState, sweep_all

    clock.now = bj("03-01 09:00")
    hotel.post("/api/v1/cases", json={"cases": [{"case_id": "complaint-9", "case_type": "green_channel"}]})
    send(hotel, clock, "03-01 09:00", ("complaint-9", "complaint_received", "03-01 09:00"))
    state = WorkerState.build({"DATABASE_URL": app.extensions["csm"].settings["DATABASE_URL"]})
    try:
        assert sweep_all(state, bj("03-01 20:59")) == {}
        assert sweep_all(state, bj("03-01 21:01")) == {hotel.id: 1}
        assert sweep_all(state, bj("03-01 21:01")) == {}
    finally:
        state.engine.dispose()
    assert [(k, at) for k, at, _ in alerts(hotel)] == [("breached:complaint-9:green_channel_gm:1", utc("03-01 21:00"))]
