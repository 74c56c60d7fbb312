"""Time-limit commitments worked from the source cases (seeds 002 and 003), each figure
computed by hand in the comment beside it, plus the clock rules: pause and resume,
reopen, cancel and reset, out-of-order and late events, evaluation at any instant."""

import random

import pandas as pd
import pytest

from core.commitments import evaluate
from core.commitments.table import case_log
from core.config import load_config
from tests.helpers import RESTAURANT, SMALL

MIN = 60.0



def run(section: str, rows: list[tuple], at: str, columns=("case_id", "type", "at"), **kw):
    config = load_config(SMALL + section, "t.yaml")
    log = case_log(pd.DataFrame(rows, columns=list(columns)))
    return evaluate(config.section("commitments"), log, at=pd.Timestamp(at), calendars=config.section("calendars") or {})


def dine_in(*rows):
    """Rows of one restaurant order, t1, times as minutes after 12:00 (Beijing time)."""
    out = [("t1", "ordered", "2026-03-01T12:00:00+08:00", "dine_in")]
    out += [("t1", kind, f"2026-03-01T12:{m:02d}:00+08:00", None) for kind, m in rows]
    return out


def restaurant(*rows, at="2026-03-01T13:00:00+08:00"):
    return run(RESTAURANT, dine_in(*rows), at, columns=("case_id", "type", "at", "case_type")).cases()["t1"]["first_dish"]


# --- restaurant ladder (seed 003): 10 min fruit plate, 15 min + 20 % off, 20 min on complaint double within 5 min


def test_restaurant_dish_within_ten_minutes_is_met_and_owes_nothing():
    f = restaurant(("dish_served", 8))
    assert (f["status"], f["elapsed_seconds"], f["remaining_seconds"], f["steps"], f["remedies_due"]) == ("met", 8 * MIN, 2 * MIN, [], [])


def test_restaurant_dish_at_exactly_ten_minutes_is_still_within_the_promise():
    f = restaurant(("dish_served", 10))
    assert (f["status"], f["steps"]) == ("met", [])


def test_restaurant_dish_at_twelve_minutes_owes_the_fruit_plate():
    f = restaurant(("dish_served", 12))
    # breached at 12:10 (the 10 minutes are exceeded from then on); the fruit plate is reached then
    assert (f["status"], f["open"], f["breached_at"], f["steps"]) == ("breached", False, "2026-03-01T04:10:00Z", ["fruit_plate"])
    assert f["remedies_due"] == [{"step": "fruit_plate", "remedy": "free fruit plate", "reached_at": "2026-03-01T04:10:00Z",
                                  "respond_by": None, "delivered_at": None, "status": "due", "on_time": None}]


def test_restaurant_waiting_without_a_dish_at_12_16_shows_two_steps_and_what_comes_next():
    f = restaurant(at="2026-03-01T12:16:00+08:00")
    # open and past its limit: breached, still open; 16 min counted, 6 over
    assert (f["status"], f["open"], f["overdue"], f["elapsed_seconds"], f["remaining_seconds"]) == ("breached", True, True, 16 * MIN, -6 * MIN)
    assert f["steps"] == ["fruit_plate", "discount_20"]
    assert f["reached"] == {"fruit_plate": "2026-03-01T04:10:00Z", "discount_20": "2026-03-01T04:15:00Z"}
    assert [m.get("percent_off") for m in f["remedies_due"]] == [None, 20.0]
    # the next step is double compensation, whose time comes at 12:20 (it also needs a complaint)
    assert f["next_step"] == {"code": "double_refund", "at": "2026-03-01T04:20:00Z"}
    assert f["next_check_at"] == "2026-03-01T04:20:00Z"


def test_restaurant_complaint_after_twenty_minutes_owes_double_compensation_within_five():
    f = restaurant(("complained", 22), ("compensation_paid", 26), ("dish_served", 30))
    # reached at the complaint, 12:22 (the 20 minutes passed at 12:20 without one); due by 12:27; paid 12:26
    double = f["remedies_due"][2]
    assert f["steps"] == ["fruit_plate", "discount_20", "double_refund"]
    assert (double["reached_at"], double["respond_by"], double["delivered_at"], double["status"], double["on_time"]) == (
        "2026-03-01T04:22:00Z", "2026-03-01T04:27:00Z", "2026-03-01T04:26:00Z", "delivered", True)


def test_restaurant_complaint_before_twenty_minutes_makes_the_step_due_at_twenty():
    f = restaurant(("complained", 5), ("compensation_paid", 28), ("dish_served", 30))
    double = f["remedies_due"][2]
    # the complaint was there when the 20 minutes passed: reached 12:20, due by 12:25, paid 12:28: late
    assert (double["reached_at"], double["respond_by"], double["status"], double["on_time"]) == ("2026-03-01T04:20:00Z", "2026-03-01T04:25:00Z", "late", False)


def test_restaurant_without_complaint_never_reaches_double_compensation():
    f = restaurant(("dish_served", 30))
    assert f["steps"] == ["fruit_plate", "discount_20"]


def test_restaurant_compensation_not_paid_in_time_is_overdue():
    f = restaurant(("complained", 21), at="2026-03-01T12:27:00+08:00")
    double = f["remedies_due"][2]
    # due by 12:26; at 12:27 nothing paid
    assert (double["respond_by"], double["status"], double["on_time"], f["overdue"]) == ("2026-03-01T04:26:00Z", "overdue", False, True)


def test_a_complaint_after_the_dish_came_does_not_reach_the_step():
    f = restaurant(("dish_served", 21), ("complained", 25))
    # the clock stopped at 12:21, before any complaint: the step's condition never held while it ran
    assert f["steps"] == ["fruit_plate", "discount_20"]


def test_applies_to_keeps_other_cases_out():
    e = run(RESTAURANT, [("take1", "ordered", "2026-03-01T12:00:00+08:00", "take_away")], "2026-03-01T13:00:00+08:00",
            columns=("case_id", "type", "at", "case_type"))
    assert e.cases() == {}


# --- hotel (seed 003): check-in 3 min, check-out 4 min, any request answered in person within 3 min

HOTEL = """
commitments:
  - {code: check_in, name_zh: 入住手续, clock: {start: check_in_requested, stop: checked_in}, limit: 3m}
  - {code: check_out, name_zh: 退房手续, clock: {start: check_out_requested, stop: checked_out}, limit: 4m}
  - {code: request, name_zh: 1200 服务电话, clock: {start: called_1200, stop: staff_arrived}, limit: 3m}
"""


def test_hotel_time_limits():
    rows = [
        ("guest1", "check_in_requested", "2026-03-01T15:00:00+08:00"), ("guest1", "checked_in", "2026-03-01T15:02:59+08:00"),
        ("guest1", "called_1200", "2026-03-01T21:00:00+08:00"), ("guest1", "staff_arrived", "2026-03-01T21:03:00+08:00"),
        ("guest1", "called_1200", "2026-03-01T22:00:00+08:00"),  # the first call was answered: this one opens cycle 2
        ("guest1", "check_out_requested", "2026-03-02T11:00:00+08:00"), ("guest1", "checked_out", "2026-03-02T11:04:30+08:00"),
    ]
    e = run(HOTEL, rows, "2026-03-02T12:00:00+08:00")
    g = e.cases()["guest1"]
    assert (g["check_in"]["status"], g["check_in"]["elapsed_seconds"]) == ("met", 179.0)  # 2 min 59 s
    assert (g["check_out"]["status"], g["check_out"]["elapsed_seconds"]) == ("breached", 270.0)  # 4 min 30 s > 4 min
    # the second call (22:00) was never answered: open, 14 h later breached; the first (exactly 3 min) was met
    req = g["request"]
    assert (req["cycle"], req["status"], req["open"], req["overdue"]) == (2, "breached", True, True)
    assert req["previous_cycles"][0] == {"cycle": 1, "status": "met", "started_at": "2026-03-01T13:00:00Z",
                                              "stopped_at": "2026-03-01T13:03:00Z", "elapsed_seconds": 180.0, "steps": []}
    rates = e.on_time_rates()
    assert rates["request"] == {"rate": 0.5, "n": 2, "met": 1, "breached": 1}
    assert rates["check_in"]["rate"] == 1.0 and rates["check_out"]["rate"] == 0.0


# --- green channel for destroyers (seed 003): 12 h to the general manager's office, reply within 24 h

GREEN = """
commitments:
  - code: green_channel_gm
    name_zh: 绿色通道直达总经理办公室
    applies_to: 'case.type == "green_channel"'
    clock: {start: complaint_received, stop: reached_gm_office}
    limit: 12h
  - code: green_channel_reply
    name_zh: 24小时内回复客户
    applies_to: 'case.type == "green_channel"'
    clock: {start: complaint_received, stop: customer_replied}
    limit: 24h
"""


def test_green_channel_twelve_and_twenty_four_hours():
    rows = [
        ("d1", "complaint_received", "2026-03-01T09:00:00+08:00", "green_channel"),
        ("d1", "reached_gm_office", "2026-03-01T20:00:00+08:00", None),  # 11 h: within 12
        ("d1", "customer_replied", "2026-03-02T10:00:00+08:00", None),  # 25 h: one hour late
        ("d2", "complaint_received", "2026-03-02T08:00:00+08:00", "green_channel"),
    ]
    e = run(GREEN, rows, "2026-03-02T21:00:00+08:00", columns=("case_id", "type", "at", "case_type"))
    d1, d2 = e.cases()["d1"], e.cases()["d2"]
    assert (d1["green_channel_gm"]["status"], d1["green_channel_gm"]["elapsed_seconds"]) == ("met", 11 * 3600)
    assert (d1["green_channel_reply"]["status"], d1["green_channel_reply"]["remaining_seconds"]) == ("breached", -3600)
    # d2 at 21:00: 13 h since the complaint; the GM office limit (12 h) passed at 20:00, the reply is due at 08:00 next day
    assert (d2["green_channel_gm"]["status"], d2["green_channel_gm"]["breached_at"]) == ("breached", "2026-03-02T12:00:00Z")
    assert (d2["green_channel_reply"]["status"], d2["green_channel_reply"]["due_at"], d2["green_channel_reply"]["next_check_at"]) == (
        "running", "2026-03-03T00:00:00Z", "2026-03-03T00:00:00Z")


# --- 3-5-3 after-sales (seed 002): contact within 1 h; within 30 min of an order dispatched by the call centre

AFTER_SALES = """
commitments:
  - code: contact_asc
    name_zh: 接到电话1小时内联系客户
    applies_to: 'case.type == "asc_call"'
    clock: {start: customer_called, stop: customer_contacted}
    limit: 1h
  - code: contact_dispatched
    name_zh: 接到下派单30分钟内联系客户
    applies_to: 'case.type == "ccc_order"'
    clock: {start: order_dispatched, stop: customer_contacted}
    limit: 30m
"""


def test_three_five_three_contact_times():
    rows = [
        ("a1", "customer_called", "2026-03-03T10:00:00+08:00", "asc_call"), ("a1", "customer_contacted", "2026-03-03T10:50:00+08:00", None),
        ("a2", "customer_called", "2026-03-03T10:00:00+08:00", "asc_call"), ("a2", "customer_contacted", "2026-03-03T11:05:00+08:00", None),
        ("c1", "order_dispatched", "2026-03-03T10:00:00+08:00", "ccc_order"), ("c1", "customer_contacted", "2026-03-03T10:30:00+08:00", None),
        ("c2", "order_dispatched", "2026-03-03T10:00:00+08:00", "ccc_order"), ("c2", "customer_contacted", "2026-03-03T10:45:00+08:00", None),
    ]
    e = run(AFTER_SALES, rows, "2026-03-03T12:00:00+08:00", columns=("case_id", "type", "at", "case_type"))
    status = {case: {code: f["status"] for code, f in c.items()} for case, c in e.cases().items()}
    # a1 50 min ≤ 60; a2 65 min > 60; c1 30 min ≤ 30 (the limit included); c2 45 min > 30
    assert status == {"a1": {"contact_asc": "met"}, "a2": {"contact_asc": "breached"},
                      "c1": {"contact_dispatched": "met"}, "c2": {"contact_dispatched": "breached"}}
    assert e.on_time_rates() == {"contact_asc": {"rate": 0.5, "n": 2, "met": 1, "breached": 1},
                                 "contact_dispatched": {"rate": 0.5, "n": 2, "met": 1, "breached": 1}}


def test_after_sales_on_a_business_calendar_with_a_holiday():
    section = """
calendars:
  asc:
    time_zone: Asia/Shanghai
    week: {mon-fri: ["08:30-12:00", "13:30-17:30"]}
    holidays: ["2026-05-01..2026-05-05"]
commitments:
  - {code: repair_quote, clock: {start: car_received, stop: quote_given}, limit: 4h, calendar: asc}
"""
    rows = [("r1", "car_received", "2026-04-30T16:30:00+08:00"), ("r1", "quote_given", "2026-05-06T11:30:00+08:00")]
    f = run(section, rows, "2026-05-07T00:00:00+08:00").cases()["r1"]["repair_quote"]
    # Thursday 30 April 16:30-17:30 = 1 h; 1-5 May are holidays; Wednesday 6 May 08:30-11:30 = 3 h: 4 h, met;
    # the deadline was 6 May 11:30
    assert (f["status"], f["elapsed_seconds"], f["due_at"]) == ("met", 4 * 3600, "2026-05-06T03:30:00Z")


# --- the clock rules


CLOCK = """
commitments:
  - code: fix
    clock: {start: [opened, reopened], stop: resolved, pause: waiting_for_customer, resume: customer_replied,
            cancel: withdrawn, reset: escalated}
    limit: 2h
    ladder:
      - {code: remind, after: 1h}
"""


def cases(rows, at="2026-03-05T00:00:00Z"):
    return run(CLOCK, [(c, kind, f"2026-03-04T{hm}:00Z") for c, kind, hm in rows], at).cases()


def test_pause_and_resume_hold_the_clock():
    f = cases([("p", "opened", "10:00"), ("p", "waiting_for_customer", "10:30"), ("p", "customer_replied", "12:30"), ("p", "resolved", "13:45")])["p"]["fix"]
    # counted 10:00-10:30 and 12:30-13:45 = 30 + 75 = 105 min ≤ 120; paused 2 h
    assert (f["status"], f["elapsed_seconds"], f["paused_seconds"]) == ("met", 105 * MIN, 120 * MIN)
    # the reminder (1 h counted) came at 13:00: 30 min before the pause, 30 after resuming
    assert f["reached"] == {"remind": "2026-03-04T13:00:00Z"}


def test_a_paused_clock_has_no_next_time_and_does_not_run_out():
    f = cases([("p", "opened", "10:00"), ("p", "waiting_for_customer", "10:10")], at="2026-03-04T20:00:00Z")["p"]["fix"]
    assert (f["status"], f["paused"], f["elapsed_seconds"], f["paused_seconds"]) == ("running", True, 10 * MIN, 590 * MIN)
    assert (f["next_step"], f["due_at"], f["next_check_at"]) == ({"code": "remind", "at": None}, None, None)


def test_a_reopened_case_restarts_the_clock_in_a_new_cycle():
    e = run(CLOCK, [("r", "opened", "2026-03-04T09:00:00Z"), ("r", "resolved", "2026-03-04T10:00:00Z"),
                    ("r", "reopened", "2026-03-04T12:00:00Z"), ("r", "resolved", "2026-03-04T16:00:00Z")], "2026-03-05T00:00:00Z")
    f = e.cases()["r"]["fix"]
    # cycle 1: 1 h, met; cycle 2: 4 h from the reopening, breached at 14:00
    assert (f["cycle"], f["status"], f["elapsed_seconds"], f["breached_at"], f["started_at"]) == (2, "breached", 4 * 3600, "2026-03-04T14:00:00Z", "2026-03-04T12:00:00Z")
    assert [(p["cycle"], p["status"], p["elapsed_seconds"]) for p in f["previous_cycles"]] == [(1, "met", 3600)]
    assert e.on_time_rates()["fix"] == {"rate": 0.5, "n": 2, "met": 1, "breached": 1}
    assert list(e.cycles()["cycle"]) == [1, 2]


def test_cancel_closes_the_clock_outside_every_rate_and_reset_starts_it_again():
    c = cases([("w", "opened", "10:00"), ("w", "withdrawn", "13:00"),
               ("x", "opened", "10:00"), ("x", "escalated", "11:30"), ("x", "resolved", "13:00")])
    assert (c["w"]["fix"]["status"], c["w"]["fix"]["elapsed_seconds"]) == ("cancelled", 3 * 3600)
    # x: reset at 11:30 cancels the first cycle (1.5 h) and starts again; resolved 1.5 h later: met
    x = c["x"]["fix"]
    assert (x["cycle"], x["status"], x["elapsed_seconds"], x["previous_cycles"][0]["status"]) == (2, "met", 5400, "cancelled")


def test_events_that_do_not_apply_in_the_clocks_state_are_ignored():
    c = cases([("i", "resolved", "09:00"), ("i", "customer_replied", "09:30"), ("i", "opened", "10:00"), ("i", "opened", "10:30"),
               ("i", "customer_replied", "10:40"), ("i", "resolved", "11:00")])
    # the stop and resume before the start, the second start and the resume while running change nothing: 1 h, met
    assert (c["i"]["fix"]["cycle"], c["i"]["fix"]["status"], c["i"]["fix"]["elapsed_seconds"]) == (1, "met", 3600)


def test_a_start_and_stop_at_one_instant_count_zero_whichever_was_recorded_first():
    for order in ([("z", "resolved", "10:00"), ("z", "opened", "10:00")], [("z", "opened", "10:00"), ("z", "resolved", "10:00")]):
        f = cases(order)["z"]["fix"]
        assert (f["status"], f["elapsed_seconds"]) == ("met", 0)


def test_out_of_order_events_give_the_same_figures():
    rows = dine_in(("complained", 22), ("compensation_paid", 26), ("dish_served", 30))
    rows += [("t2", "ordered", "2026-03-01T12:00:00+08:00", "dine_in"), ("t2", "dish_served", "2026-03-01T12:09:00+08:00", None)]
    in_order = run(RESTAURANT, rows, "2026-03-01T13:00:00+08:00", columns=("case_id", "type", "at", "case_type"))
    shuffled = rows[:]
    random.Random(8).shuffle(shuffled)
    again = run(RESTAURANT, shuffled, "2026-03-01T13:00:00+08:00", columns=("case_id", "type", "at", "case_type"))
    assert sorted(again.cases().items()) == sorted(in_order.cases().items())
    assert again.on_time_rates() == in_order.on_time_rates() == {"first_dish": {"rate": 0.5, "n": 2, "met": 1, "breached": 1}}


def test_a_late_event_repairs_the_clock_when_the_log_is_evaluated_again():
    before = cases([("l", "opened", "10:00")], at="2026-03-04T13:00:00Z")["l"]["fix"]
    assert (before["status"], before["open"]) == ("breached", True)
    # the resolution at 11:00 arrives late: the same instant now shows the promise kept
    after = cases([("l", "opened", "10:00"), ("l", "resolved", "11:00")], at="2026-03-04T13:00:00Z")["l"]["fix"]
    assert (after["status"], after["open"], after["elapsed_seconds"]) == ("met", False, 3600)


def test_a_corrected_event_replaces_the_one_sent_before():
    rows = [("k", "e1", "opened", "2026-03-04T10:00:00Z"), ("k", "e2", "resolved", "2026-03-04T13:00:00Z"),
            ("k", "e2", "resolved", "2026-03-04T11:00:00Z")]  # e2 sent again with the right time
    f = run(CLOCK, rows, "2026-03-05T00:00:00Z", columns=("case_id", "event_id", "type", "at")).cases()["k"]["fix"]
    assert (f["status"], f["elapsed_seconds"]) == ("met", 3600)


def test_evaluating_at_an_earlier_instant_ignores_later_events():
    rows = [("h", "opened", "10:00"), ("h", "resolved", "11:30")]
    early = cases(rows, at="2026-03-04T10:45:00Z")["h"]["fix"]
    # at 10:45 the resolution is not yet known: running, 45 min counted, due at 12:00, reminder at 11:00
    assert (early["status"], early["elapsed_seconds"], early["due_at"], early["next_step"]) == (
        "running", 45 * MIN, "2026-03-04T12:00:00Z", {"code": "remind", "at": "2026-03-04T11:00:00Z"})
    assert cases(rows)["h"]["fix"]["status"] == "met"


def test_on_time_rates_by_touchpoint_and_period():
    rows = [
        ("a", "opened", "2026-02-10T10:00:00Z", "phone"), ("a", "resolved", "2026-02-10T11:00:00Z", None),
        ("b", "opened", "2026-03-10T10:00:00Z", "phone"), ("b", "resolved", "2026-03-10T13:00:00Z", None),
        ("c", "opened", "2026-03-11T10:00:00Z", "store"), ("c", "resolved", "2026-03-11T10:30:00Z", None),
        ("d", "opened", "2026-03-12T10:00:00Z", "store"),  # still within its time at the evaluation: not counted
    ]
    e = run(CLOCK, rows, "2026-03-12T11:00:00Z", columns=("case_id", "type", "at", "touchpoint"))
    rates = e.on_time_rates(by=("touchpoint", "period"), period="month")["fix"]
    assert (rates["rate"], rates["n"]) == (2 / 3, 3)
    assert rates["groups"] == {
        "phone | 2026-02": {"rate": 1.0, "n": 1, "met": 1, "breached": 0},
        "phone | 2026-03": {"rate": 0.0, "n": 1, "met": 0, "breached": 1},
        "store | 2026-03": {"rate": 1.0, "n": 1, "met": 1, "breached": 0},
    }


def test_next_check_is_the_earliest_time_something_falls_due():
    e = run(CLOCK, [("n", "opened", "2026-03-04T10:00:00Z"), ("m", "opened", "2026-03-04T10:00:00Z"), ("m", "resolved", "2026-03-04T10:10:00Z")],
            "2026-03-04T10:30:00Z")
    # n: the reminder at 11:00 comes before the breach at 12:00; m is closed and needs no look
    assert e.next_check_at().to_dict() == {"n": pd.Timestamp("2026-03-04T11:00:00Z")}


def test_conditions_over_events_and_customers():
    section = """
commitments:
  - code: vip_callback
    applies_to: 'customer.grade in ["G8", "G9"]'
    clock: {start: {when: 'event.type == "called" && event.attributes.channel == "phone"'}, stop: called_back}
    limit: 30m
"""
    rows = [
        ("v", "called", "2026-03-04T10:00:00Z", "c9", "G9", "phone"), ("v", "called_back", "2026-03-04T10:20:00Z", None, None, None),
        ("w", "called", "2026-03-04T10:00:00Z", "c9", "G9", "email"),  # not by phone: no clock
        ("x", "called", "2026-03-04T10:00:00Z", "c1", "G1", "phone"),  # grade below: not applicable
    ]
    e = run(section, rows, "2026-03-04T12:00:00Z", columns=("case_id", "type", "at", "customer_id", "customer.grade", "channel"))
    assert {case: {k: f["status"] for k, f in c.items()} for case, c in e.cases().items()} == {"v": {"vip_callback": "met"}}


@pytest.mark.parametrize("at", ["2026-03-04T10:00:00", "not a time"])
def test_the_evaluation_instant_needs_a_time_zone(at):
    with pytest.raises(ValueError):
        cases([("a", "opened", "10:00")], at=at)
