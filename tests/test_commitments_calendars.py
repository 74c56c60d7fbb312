"""Durations and business calendars: the arithmetic every commitment clock rests on.
Each expected figure is worked by hand in the comment beside it."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from core.commitments.calendars import BusinessCalendar, parse_days, parse_hours
from core.commitments.durations import format_duration, parse_duration
from core.model import ModelError

HOUR = 3600.0


@pytest.mark.parametrize(
    "text, seconds",
    [("10m", 600), ("4h", 14400), ("2d", 172800), ("1h30m", 5400), ("90s", 90), ("1w", 604800), ("0s", 0),
     ("PT10M", 600), ("PT4H", 14400), ("P2D", 172800), ("P1DT2H30M", 95400), ("pt1.5h", 5400)],
)
def test_durations_in_short_and_iso_8601_form(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "value, message",
    [(10, "needs a unit"), ("10 minutes", "is not a duration"), ("1y", "is not a duration"), ("P1M", "is not a duration"),
     ("10m5m", "is not a duration"), ("", "is not a duration"), ("PT", "is not a duration"), (None, "must be a duration"),
     ("5000d", "longer than 10 years")],
)
def test_durations_that_are_refused_say_why(value, message):
    with pytest.raises(ModelError, match=message):
        parse_duration(value)


def test_a_duration_is_stored_in_its_short_form():
    assert [format_duration(s) for s in (600, 5400, 93600, 90, 0)] == ["10m", "1h30m", "1d2h", "1m30s", "0s"]


def test_opening_hours_and_days_are_parsed_and_checked():
    assert parse_hours(["13:30-18:00", "09:00-12:00"], ()) == ((32400, 43200), (48600, 64800))
    assert parse_hours(["00:00-24:00"], ()) == ((0, 86400),)
    assert parse_days("mon-fri", ()) == [0, 1, 2, 3, 4]
    assert parse_days("sat,sun", ()) == [5, 6]
    for hours, message in ((["18:00-09:00"], "end must come after the start"), (["09:00-12:00", "11:00-13:00"], "overlaps"),
                           (["9-12"], "is not opening hours"), (["24:30-25:00"], "runs from 00:00 to 24:00")):
        with pytest.raises(ModelError, match=message):
            parse_hours(hours, ())
    with pytest.raises(ModelError, match="runs forward"):
        parse_days("fri-mon", ())


def office(**kw) -> BusinessCalendar:
    """09:00-12:00 and 13:00-18:00 Monday to Friday (8 working hours a day)."""
    day = parse_hours(["09:00-12:00", "13:00-18:00"], ())
    return BusinessCalendar(code="office", time_zone=kw.pop("time_zone", "Asia/Shanghai"), week=(day,) * 5 + ((), ()), **kw)


def at(text: str) -> float:
    return pd.Timestamp(text).timestamp()


def local(t: float, tz: str) -> str:
    return pd.Timestamp(t, unit="s", tz="UTC").tz_convert(tz).strftime("%Y-%m-%d %H:%M")


def test_business_time_skips_nights_weekends_lunch_and_holidays():
    cal = office(holidays=frozenset({date(2026, 1, 1)}))
    start = at("2025-12-31T17:00:00+08:00")  # a Wednesday, an hour before closing
    line = cal.timeline(start, start, ahead=10 * HOUR)
    b0 = line.business(np.array([start]))[0]
    # Wednesday 17:00-18:00 = 1 h; Thursday 1 January is a holiday; Friday 09:00-12:00 = 3 h
    end = at("2026-01-02T12:00:00+08:00")
    assert line.business(np.array([end]))[0] - b0 == 4 * HOUR
    # lunch does not count: Friday 12:30 still 4 h, 13:30 is 4.5 h
    assert line.business(np.array([at("2026-01-02T12:30:00+08:00")]))[0] - b0 == 4 * HOUR
    assert line.business(np.array([at("2026-01-02T13:30:00+08:00")]))[0] - b0 == 4.5 * HOUR
    # 4 h are reached at Friday 12:00 (the deadline) and exceeded from 13:00 (the next opening)
    assert local(line.instant(np.array([b0 + 4 * HOUR]), earliest=True)[0], "Asia/Shanghai") == "2026-01-02 12:00"
    assert local(line.instant(np.array([b0 + 4 * HOUR]), earliest=False)[0], "Asia/Shanghai") == "2026-01-02 13:00"
    # 10 h: 1 (Wed) + 8 (Fri) = 9 h by Friday 18:00; the 10th hour ends Monday 5 January 10:00
    assert local(line.instant(np.array([b0 + 10 * HOUR]))[0], "Asia/Shanghai") == "2026-01-05 10:00"


def test_a_make_up_working_day_counts_with_its_own_hours():
    # Sunday 2026-09-27 is worked (调休) from 09:00 to 17:00 without a break
    cal = office(working_days={date(2026, 9, 27): parse_hours(["09:00-17:00"], ())})
    start = at("2026-09-25T17:00:00+08:00")  # Friday 17:00
    line = cal.timeline(start, start, ahead=8 * HOUR)
    b0 = line.business(np.array([start]))[0]
    # Friday 17:00-18:00 = 1 h, Saturday closed, Sunday 09:00-17:00 = 8 h: 9 h by Sunday 17:00
    assert line.business(np.array([at("2026-09-27T17:00:00+08:00")]))[0] - b0 == 9 * HOUR
    assert local(line.instant(np.array([b0 + 3 * HOUR]))[0], "Asia/Shanghai") == "2026-09-27 11:00"


def test_the_same_hours_in_two_time_zones_open_at_different_instants():
    moment = at("2026-03-02T08:30:00Z")  # a Monday: 16:30 in Shanghai, 08:30 in London (GMT in March)
    # counted in the hour and in the two hours after that moment:
    # Shanghai 16:30-17:30 → 1 h, 16:30-18:30 → 1.5 h (closes at 18:00);
    # London 08:30-09:30 → 0.5 h (opens at 09:00), 08:30-10:30 → 1.5 h
    expected = {"Asia/Shanghai": (HOUR, 1.5 * HOUR), "Europe/London": (0.5 * HOUR, 1.5 * HOUR)}
    for tz, (one, two) in expected.items():
        line = office(time_zone=tz).timeline(moment, moment + 2 * HOUR, ahead=HOUR)
        b = line.business(np.array([moment, moment + HOUR, moment + 2 * HOUR]))
        assert (b[1] - b[0], b[2] - b[0]) == (one, two)


def test_a_day_that_loses_an_hour_to_summer_time_has_one_working_hour_less():
    # Berlin, Sunday 2026-03-29: clocks jump from 02:00 to 03:00, so 01:00-04:00 holds 2 hours
    sunday = parse_hours(["01:00-04:00"], ())
    cal = BusinessCalendar(code="night", time_zone="Europe/Berlin", week=((),) * 6 + (sunday,))
    line = cal.timeline(at("2026-03-21T00:00:00Z"), at("2026-04-06T00:00:00Z"))
    before = line.business(np.array([at("2026-03-28T12:00:00Z")]))[0]
    after = line.business(np.array([at("2026-03-30T12:00:00Z")]))[0]
    assert after - before == 2 * HOUR
    # the week after, an ordinary Sunday: 3 hours
    assert line.business(np.array([at("2026-04-06T00:00:00Z")]))[0] - after == 3 * HOUR


def test_a_calendar_must_have_working_hours_and_consistent_days():
    with pytest.raises(ModelError, match="no working hours"):
        BusinessCalendar(code="x", time_zone="UTC", week=((),) * 7)
    with pytest.raises(ModelError, match="both a holiday and a working day"):
        office(holidays=frozenset({date(2026, 1, 1)}), working_days={date(2026, 1, 1): ((0, 3600),)})
    with pytest.raises(ModelError, match="not an IANA time zone"):
        office(time_zone="../etc/passwd")
