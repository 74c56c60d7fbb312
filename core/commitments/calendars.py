"""Business calendars: which hours a commitment's clock counts, in the calendar's time zone.

A time limit on a working-hours service (an after-sales centre open 08:30-17:30, closed on
public holidays) must not run out overnight; ServiceNow calls this a schedule, Jira SLA
"calendar hours". A ``BusinessCalendar`` is weekly opening hours in local wall-clock time,
whole days off (``holidays``) and extra working days with their own hours (``working_days``:
the make-up days that move a holiday, 调休), all in one IANA time zone.

The engine does not ask a calendar about one instant at a time. ``timeline`` lays the
working intervals of a span of days out in UTC (daylight-saving changes included, because
each local opening and closing is converted on its own) and keeps the working seconds
before each interval, so that "business time at t" and its inverse are ``searchsorted``
over arrays: 100,000 clocks are evaluated with a handful of numpy calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from core.model import ModelError

ALWAYS = "always"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SECONDS = 86400
_HOURS = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
# A timeline is laid out at most this far beyond the instants it was asked about: far
# enough for the longest limit (10 years) on a calendar of a few hours a week.
MAX_DAYS_AHEAD = 20 * 366

Hours = tuple[tuple[int, int], ...]  # (start, end) in seconds after local midnight


def parse_hours(values, path: tuple) -> Hours:
    """``["09:00-12:00", "13:30-18:00"]`` → ((32400, 43200), (48600, 64800)); sorted, not
    overlapping, each start before its end, ``24:00`` allowed as an end."""
    if not isinstance(values, (list, tuple)):
        raise ModelError('must be a list of opening hours like "09:00-18:00"', path)
    spans = []
    for i, text in enumerate(values):
        match = _HOURS.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ModelError(f'{text!r} is not opening hours like "09:00-18:00"', path + (i,))
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ModelError(f"{text!r}: a time of day runs from 00:00 to 24:00", path + (i,))
        start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if end <= start:
            raise ModelError(f"{text!r}: the end must come after the start (split hours past midnight over two days)", path + (i,))
        spans.append((start, end, i))
    spans.sort()
    for (s1, e1, _), (s2, _, i) in zip(spans, spans[1:]):
        if s2 < e1:
            raise ModelError(f"{values[i]!r} overlaps other hours of the same day", path + (i,))
    return tuple((s, e) for s, e, _ in spans)


def parse_days(key: str, path: tuple) -> list[int]:
    """``mon`` → [0]; ``mon-fri`` → [0, 1, 2, 3, 4]; ``sat,sun`` → [5, 6]."""
    days: list[int] = []
    for part in str(key).lower().split(","):
        ends = part.strip().split("-")
        if len(ends) > 2 or any(e not in DAYS for e in ends):
            raise ModelError(f"{key!r} is not a day or a range of days ({', '.join(DAYS)}, e.g. mon-fri)", path)
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        if last < first:
            raise ModelError(f"{key!r}: a range of days runs forward within one week (mon-fri, not fri-mon)", path)
        days.extend(range(first, last + 1))
    return days


def parse_date(value, path: tuple) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ModelError(f"{value!r} is not a date (YYYY-MM-DD)", path) from None


def parse_date_span(value, path: tuple) -> list[date]:
    """A date, or a range ``2026-10-01..2026-10-07`` (both ends included, at most a year)."""
    if isinstance(value, str) and ".." in value:
        first_text, last_text = value.split("..", 1)
        first, last = parse_date(first_text, path), parse_date(last_text, path)
        if last < first or (last - first).days > 366:
            raise ModelError(f"{value!r}: a range of dates runs forward, at most one year", path)
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [parse_date(value, path)]


def zone(name, path: tuple) -> ZoneInfo:
    if not isinstance(name, str) or not name or name.startswith(("/", ".")) or ".." in name:
        raise ModelError(f"{name!r} is not an IANA time zone (e.g. Asia/Shanghai, Europe/Berlin, UTC)", path)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ModelError(f"{name!r} is not an IANA time zone (e.g. Asia/Shanghai, Europe/Berlin, UTC)", path) from None


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly working hours (``week[0]`` = Monday) in ``time_zone``, minus ``holidays``,
    plus ``working_days`` (a date → its hours, replacing the weekday's)."""

    code: str
    time_zone: str
    week: tuple[Hours, ...]
    holidays: frozenset[date] = frozenset()
    working_days: Mapping[date, Hours] = field(default_factory=dict)
    name: str = ""
    name_zh: str = ""

    def __post_init__(self):
        zone(self.time_zone, ("time_zone",))
        if len(self.week) != 7:
            raise ModelError("a week has seven days", ("week",))
        if not any(self.week):
            raise ModelError("the calendar has no working hours in its week: a clock on it would never run", ("week",))
        both = sorted(self.holidays & set(self.working_days))
        if both:
            raise ModelError(f"{both[0].isoformat()} is both a holiday and a working day", ("working_days",))

    def timeline(self, start: float, end: float, ahead: float = 0.0) -> "Timeline":
        """The working intervals from the local day before ``start`` (epoch seconds) to
        the day after ``end``, extended until at least ``ahead`` working seconds lie
        beyond ``end`` (or MAX_DAYS_AHEAD days have been laid out)."""
        tz = ZoneInfo(self.time_zone)
        first = pd.Timestamp(start, unit="s", tz="UTC").tz_convert(tz).date() - timedelta(days=1)
        last = pd.Timestamp(end, unit="s", tz="UTC").tz_convert(tz).date() + timedelta(days=1)
        weekly = sum(e - s for day in self.week for s, e in day)
        extra_days = int(np.ceil(ahead / weekly * 7)) + 7 if ahead > 0 else 0
        limit = last + timedelta(days=MAX_DAYS_AHEAD)
        while True:
            stop = min(last + timedelta(days=extra_days), limit)
            line = self._lay_out(first, stop, tz)
            beyond = line.business(np.array([end]))[0]
            if ahead <= 0 or line.total - beyond >= ahead or stop >= limit:
                return line
            extra_days = extra_days * 2 + 7  # holidays ate the margin: lay out more

    def _lay_out(self, first: date, last: date, tz: ZoneInfo) -> "Timeline":
        days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
        weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        local_starts, local_ends = [], []
        for d in range(7):
            chosen = days[weekday == d]
            for s, e in self.week[d]:
                local_starts.append(chosen + np.timedelta64(s, "s"))
                local_ends.append(chosen + np.timedelta64(e, "s"))
        if self.holidays or self.working_days:
            off = np.array(sorted(d.isoformat() for d in self.holidays | set(self.working_days)), dtype="datetime64[D]")
            local_starts = [a[~np.isin(a.astype("datetime64[D]"), off)] for a in local_starts]
            local_ends = [a[~np.isin((a - np.timedelta64(1, "s")).astype("datetime64[D]"), off)] for a in local_ends]
            for d, hours in self.working_days.items():
                if first <= d <= last:
                    day = np.datetime64(d, "D")
                    local_starts += [np.array([day + np.timedelta64(s, "s") for s, _ in hours])]
                    local_ends += [np.array([day + np.timedelta64(e, "s") for _, e in hours])]
        starts = np.concatenate(local_starts).astype("datetime64[s]") if local_starts else np.array([], "datetime64[s]")
        ends = np.concatenate(local_ends).astype("datetime64[s]") if local_ends else np.array([], "datetime64[s]")
        opens = _to_utc(starts, tz, first_occurrence=True)
        closes = _to_utc(ends, tz, first_occurrence=False)
        order = np.argsort(opens, kind="stable")
        return Timeline.of(opens[order], closes[order])


def _to_utc(local: np.ndarray, tz: ZoneInfo, first_occurrence: bool) -> np.ndarray:
    """Local wall-clock instants → epoch seconds. An hour repeated when clocks go back
    opens at its first occurrence and closes at its second (the longer day); an hour
    skipped when they go forward moves to the first instant after the gap."""
    index = pd.DatetimeIndex(local).tz_localize(tz, ambiguous=np.full(len(local), first_occurrence), nonexistent="shift_forward")
    return index.as_unit("s").asi8.astype(np.float64)


@dataclass(frozen=True)
class Timeline:
    """Working intervals ``[opens[i], closes[i])`` in epoch seconds, sorted, with
    ``before[i]`` the working seconds of all intervals before ``i``.

    ``business(t)`` is the working seconds from the timeline's start to ``t``;
    ``instant(b)`` its inverse. Working time is constant outside the intervals, so a
    given amount of working time is reached at a closing (``earliest=True``: the
    deadline) and first exceeded at the next opening (``earliest=False``: when a step or
    a breach actually happens). Amounts beyond the laid-out span give NaN."""

    opens: np.ndarray
    closes: np.ndarray
    before: np.ndarray
    total: float

    @classmethod
    def of(cls, opens: np.ndarray, closes: np.ndarray) -> "Timeline":
        lengths = closes - opens
        before = np.concatenate([[0.0], np.cumsum(lengths)[:-1]]) if len(lengths) else np.array([])
        return cls(opens, closes, before, float(lengths.sum()))

    def business(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        if not len(self.opens):
            return np.where(np.isnan(t), np.nan, 0.0)
        i = np.searchsorted(self.opens, t, side="right") - 1
        safe = np.clip(i, 0, len(self.opens) - 1)
        inside = np.clip(t - self.opens[safe], 0.0, self.closes[safe] - self.opens[safe])
        return np.where(np.isnan(t), np.nan, np.where(i < 0, 0.0, self.before[safe] + inside))

    def instant(self, b: np.ndarray, earliest: bool = True) -> np.ndarray:
        b = np.asarray(b, dtype=np.float64)
        if not len(self.opens):
            return np.full(b.shape, np.nan)
        if earliest:
            i = np.searchsorted(self.before + (self.closes - self.opens), b, side="left")
        else:
            i = np.searchsorted(self.before, b, side="right") - 1
        safe = np.clip(i, 0, len(self.opens) - 1)
        t = self.opens[safe] + (b - self.before[safe])
        beyond = (b > self.total) | (i >= len(self.opens))
        if not earliest:
            beyond |= b >= self.total
        return np.where(np.isnan(b) | beyond | (i < 0), np.nan, t)


class Always:
    """The calendar ``always``: every second counts, business time is the instant itself."""

    code = ALWAYS

    def timeline(self, start: float, end: float, ahead: float = 0.0) -> "Always":
        return self

    @staticmethod
    def business(t: np.ndarray) -> np.ndarray:
        return np.asarray(t, dtype=np.float64)

    @staticmethod
    def instant(b: np.ndarray, earliest: bool = True) -> np.ndarray:
        return np.asarray(b, dtype=np.float64)


ALWAYS_CALENDAR = Always()
