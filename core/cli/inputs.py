"""Checks of what the command line is given: times for ``--from``/``--to`` (the forms the
API accepts), and the ``collected_at`` column of a CSV checked as ``import-responses``
checks it, with the same messages."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import numpy as np
import pandas as pd
from marshmallow import ValidationError, fields

EXAMPLE_TIME = "2026-03-31T14:05:00+08:00"
FUTURE_TOLERANCE = pd.Timedelta(days=1)  # as ingest: a clock a little ahead is no error


class VersionOrAll(click.ParamType):
    """A configuration version number (from 1), or ``all`` (every version pooled), as
    ``GET /api/v1/scores?version=`` takes it."""

    name = "N|all"

    def convert(self, value, param, ctx):
        if value == "all" or isinstance(value, int):
            return value
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            self.fail(f"{value!r} is neither a version number (from 1) nor 'all'", param, ctx)
        return number


class IsoDateTime(click.ParamType):
    """An ISO 8601 date or date-time, as ``GET /api/v1/scores?from=`` takes it (the same
    parser): ``Z`` or an offset, or none for UTC; returned in UTC."""

    name = "ISO 8601"
    _field = fields.AwareDateTime(default_timezone=UTC)

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return self._field.deserialize(value).astimezone(UTC)
        except ValidationError:
            self.fail(f"{value!r} is not an ISO 8601 date-time (e.g. {EXAMPLE_TIME}, 2026-03-31T06:05:00Z or 2026-03-31)", param, ctx)
        except OverflowError:
            self.fail(f"{value!r} must lie before the year 10000 in UTC", param, ctx)


def check_collected_at(meta: pd.DataFrame, now: pd.Timestamp | None = None) -> tuple[pd.Series | None, list[tuple[int, str, str]]]:
    """``collected_at`` parsed to UTC (NaT where blank), and (row, field, message) for
    each value that is no ISO 8601 date-time or lies in the future; None when the column
    is absent."""
    if "collected_at" not in meta.columns:
        return None, []
    now = (now or pd.Timestamp.now(tz="UTC")).tz_convert("UTC")
    raw = meta["collected_at"].reset_index(drop=True)
    is_str = raw.map(lambda v: isinstance(v, str)).astype(bool)
    parsed = pd.to_datetime(raw.where(is_str), errors="coerce", utc=True, format="ISO8601")
    errors = [
        (int(r), "collected_at", f"{raw.iloc[r]!r} is not an ISO 8601 date-time (e.g. {EXAMPLE_TIME})")
        for r in np.flatnonzero((raw.notna() & parsed.isna()).to_numpy())
    ]
    errors += [(int(r), "collected_at", "lies in the future") for r in np.flatnonzero((parsed > now + FUTURE_TOLERANCE).to_numpy())]
    return parsed, sorted(errors)
