"""Timestamp columns of a batch (collected_at, occurred_at...): ISO 8601 text → UTC.

One parse over the whole column (``pd.to_datetime``), so 10,000 rows cost milliseconds.
Every record kind dates its records the same way: a time with an offset is converted to
UTC, a time without one is taken as UTC, a missing one is "now" (one value for the whole
batch, given by the caller so a batch and its tests agree on it), and a time more than
``FUTURE_SLACK`` ahead of now is refused (a client clock a little fast is not).
"""

from __future__ import annotations

import pandas as pd

from core.batch.errors import RowError, errors_at

FUTURE_SLACK = pd.Timedelta(days=1)
EXAMPLE = "2026-03-31T14:05:00+08:00"


def utc_now(now: pd.Timestamp | None = None) -> pd.Timestamp:
    """``now`` in UTC (must be tz-aware), or the current time."""
    return (now or pd.Timestamp.now(tz="UTC")).tz_convert("UTC")


def timestamp_column(frame: pd.DataFrame, column: str, errors: list[RowError], now: pd.Timestamp | None = None) -> pd.Series:
    """``frame[column]`` as ``datetime64[us, UTC]``; blanks (and a missing column) are
    ``now``. Appends an error per cell that is not an ISO 8601 date-time (non-text cells
    included) and per time lying in the future."""
    now = utc_now(now)
    if column not in frame.columns:
        return pd.Series(pd.DatetimeIndex([now] * len(frame)).as_unit("us"), index=frame.index)
    raw = frame[column]
    if pd.api.types.infer_dtype(raw, skipna=True) in ("string", "empty"):
        text = raw  # the common case: no per-cell type test
    else:
        text = raw.where(raw.map(type, na_action="ignore").eq(str), None)
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    bad = (raw.notna() & parsed.isna()).to_numpy()
    errors.extend(errors_at(bad, column, lambda r: f"{raw.iloc[r]!r} is not an ISO 8601 date-time (e.g. {EXAMPLE})"))
    future = (parsed > now + FUTURE_SLACK).to_numpy()
    errors.extend(errors_at(future, column, "lies in the future"))
    return parsed.dt.as_unit("us").fillna(now.as_unit("us"))
