"""Expression functions for time-limit commitments (时限承诺), pure and industry-neutral.

The source cases state service promises as elapsed time between two moments: a hotel
answers any request in person within 3 minutes and checks a guest in within 3 (seed 003),
a restaurant's compensation ladder starts 10 minutes after the order (seed 003), a
destroyer's complaint reaches the general manager's office within 12 hours and is answered
within 24 (seed 003), an after-sales customer is contacted within 1 hour (seed 002). Tenant
rules (CEL, a later issue) call these functions on the timestamps of service events.

Arguments are tz-aware datetimes (CEL timestamps arrive as datetime subclasses) or ISO 8601
strings with an offset (event payloads arrive as JSON). A moment without a time zone is
refused: its meaning would be a guess. Durations are signed: an end before the start gives
a negative number, which is "within" any limit.
"""

from __future__ import annotations

import math
from datetime import datetime

from core.model import ExpressionFunction, Param

_SECONDS = {"minutes": 60.0, "hours": 3600.0, "days": 86400.0}


def _instant(value, name: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not an ISO 8601 date-time") from None
    if not isinstance(value, datetime):
        raise TypeError(f"{name}: expected a timestamp, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: a timestamp needs a time zone (e.g. 2026-01-15T10:00:00Z)")
    return value


def _elapsed(start, end, unit: str) -> float:
    return (_instant(end, "end") - _instant(start, "start")).total_seconds() / _SECONDS[unit]


def _limit(limit) -> float:
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not math.isfinite(limit) or limit < 0:
        raise ValueError(f"limit: expected a non-negative number, got {limit!r}")
    return float(limit)


def minutes_between(start, end) -> float:
    """Minutes from ``start`` to ``end`` (negative if ``end`` comes first)."""
    return _elapsed(start, end, "minutes")


def hours_between(start, end) -> float:
    """Hours from ``start`` to ``end`` (negative if ``end`` comes first)."""
    return _elapsed(start, end, "hours")


def days_between(start, end) -> float:
    """Days (of 24 hours) from ``start`` to ``end`` (negative if ``end`` comes first)."""
    return _elapsed(start, end, "days")


def within_minutes(start, end, limit) -> bool:
    """Whether ``end`` came at most ``limit`` minutes after ``start`` (the limit included)."""
    return _elapsed(start, end, "minutes") <= _limit(limit)


def within_hours(start, end, limit) -> bool:
    """Whether ``end`` came at most ``limit`` hours after ``start`` (the limit included)."""
    return _elapsed(start, end, "hours") <= _limit(limit)


_TWO = (Param("start", "timestamp", "when the clock starts, e.g. a case was opened"), Param("end", "timestamp", "when it stops, e.g. the first reply"))


def _limit_param(unit: str) -> Param:
    return Param("limit", "double", f"the promised time in {unit}")


EXPRESSION_FUNCTIONS = (
    ExpressionFunction(name="minutes_between", function=minutes_between, params=_TWO, returns="double", doc=minutes_between.__doc__),
    ExpressionFunction(name="hours_between", function=hours_between, params=_TWO, returns="double", doc=hours_between.__doc__),
    ExpressionFunction(name="days_between", function=days_between, params=_TWO, returns="double", doc=days_between.__doc__),
    ExpressionFunction(name="within_minutes", function=within_minutes, params=(*_TWO, _limit_param("minutes")), returns="bool", doc=within_minutes.__doc__),
    ExpressionFunction(name="within_hours", function=within_hours, params=(*_TWO, _limit_param("hours")), returns="bool", doc=within_hours.__doc__),
)
