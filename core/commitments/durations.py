"""Durations as tenants write them: ``10m``, ``4h``, ``2d``, ``1h30m`` or ISO 8601 ``PT10M``.

The source cases state their promises in minutes, hours and days (a fruit plate after 10
minutes, a reply within 24 hours, contact within 1 hour), so the short form is what a
tenant admin writes; ISO 8601 is accepted because that is what other systems export. A
day is 24 hours of counted time: on a business calendar write working hours (``8h``) for
"one working day", as ServiceNow and Jira count schedules. Months and years are refused:
their length depends on where they fall, which a time limit must not.
"""

from __future__ import annotations

import re

from core.model import ModelError

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# At most 10 years: a longer "time limit" is a typo, and keeping every instant inside a
# datetime64 range is then guaranteed.
MAX_SECONDS = 10 * 366 * 86400

_SHORT = re.compile(r"(?:(\d+(?:\.\d+)?)([smhdw]))+")
_SHORT_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_ISO = re.compile(r"P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?")

EXAMPLES = "e.g. 10m, 4h, 2d, 1h30m or PT10M"


def parse_duration(value) -> float:
    """Seconds in ``value``; ``ModelError`` naming the accepted forms otherwise.

    Zero is allowed (a ladder step due at once); negative, empty and oversized values
    are not. Bare numbers are refused: ``10`` could mean seconds or minutes."""
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, (int, float)):
            raise ModelError(f"a duration needs a unit: {value!r} could be seconds or minutes ({EXAMPLES})")
        raise ModelError(f"must be a duration ({EXAMPLES})")
    text = value.strip()
    seconds = _short(text) if not text.upper().startswith("P") else _iso(text.upper())
    if seconds is None:
        raise ModelError(f"{value!r} is not a duration ({EXAMPLES}; months and years are not allowed)")
    if seconds > MAX_SECONDS:
        raise ModelError(f"{value!r} is longer than 10 years")
    return seconds


def _short(text: str) -> float | None:
    if not text or not _SHORT.fullmatch(text):
        return None
    units = [u for _, u in _SHORT_PART.findall(text)]
    if len(set(units)) != len(units):
        return None  # "10m5m": a typo, not a sum
    return float(sum(float(n) * UNIT_SECONDS[u] for n, u in _SHORT_PART.findall(text)))


def _iso(text: str) -> float | None:
    match = _ISO.fullmatch(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        return None
    weeks, days, hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
    return weeks * UNIT_SECONDS["w"] + days * 86400 + hours * 3600 + minutes * 60 + secs


def format_duration(seconds: float) -> str:
    """The short form of a number of seconds (``5400`` → ``1h30m``), as the resolved
    document stores a limit: what the tenant wrote, normalised."""
    if seconds == 0:
        return "0s"
    rest = float(seconds)
    parts = []
    for unit in ("d", "h", "m"):
        size = UNIT_SECONDS[unit]
        whole = int(rest // size)
        if whole:
            parts.append(f"{whole}{unit}")
            rest -= whole * size
    if rest:
        parts.append(f"{rest:g}s")
    return "".join(parts)
