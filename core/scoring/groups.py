"""Splitting responses into the groups a report asks for (segment × touchpoint × month …).

Every key column is factorised once into integer codes; the codes of several keys are
combined and re-factorised one key at a time, so the group id of each response is a
single integer array however many keys there are (and the combined codes never
overflow). Scoring then aggregates with ``np.bincount`` over that array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from core.scoring.errors import ScoringInputError

MISSING = "(missing)"
PERIOD = "period"
PERIODS = ("month", "quarter", "year")
DATE_COLUMN = "collected_at"
# Columns that identify a response rather than describe it; never offered for grouping.
_NOT_GROUPABLE = ("response_id", DATE_COLUMN)


@dataclass(frozen=True)
class Grouping:
    """Group id of every row (``codes``), and per group its label and key values."""

    by: tuple[str, ...]
    codes: np.ndarray
    labels: tuple[str, ...]
    keys: tuple[tuple, ...]

    @property
    def count(self) -> int:
        return len(self.labels)


def group_rows(responses: pd.DataFrame, by: Sequence[str], period: str | None, question_codes) -> Grouping:
    """Group ids for ``by``; groups are sorted by key values with missing values last."""
    by = tuple(by)
    n = len(responses)
    _check_request(responses, by, period, set(question_codes))
    if n == 0 and by:
        # No responses (a version nobody answered yet, a period without data): no groups.
        return Grouping(by, np.zeros(0, dtype=np.intp), (), ())
    combined: np.ndarray | None = None
    key_codes = np.zeros((1, 0), dtype=np.intp)  # per group, the code of each key
    columns: list[tuple[list[str], list]] = []
    for name in by:
        codes, labels, values = _key_codes(responses, name, period)
        card = len(labels) + 1  # the last slot is "missing"
        codes = np.where(codes < 0, len(labels), codes).astype(np.int64)
        combined = codes if combined is None else combined * card + codes
        combined, uniques = pd.factorize(combined, sort=True)
        uniques = np.asarray(uniques, dtype=np.int64)
        if key_codes.shape[1] == 0:
            key_codes = uniques[:, None]
        else:
            key_codes = np.column_stack([key_codes[uniques // card], uniques % card])
        columns.append((labels + [MISSING], values + [None]))
    if combined is None:
        return Grouping((), np.zeros(n, dtype=np.intp), ("",), ((),))
    group_labels = tuple(
        " | ".join(columns[j][0][c] for j, c in enumerate(row)) for row in key_codes.tolist()
    )
    group_keys = tuple(tuple(columns[j][1][c] for j, c in enumerate(row)) for row in key_codes.tolist())
    if len(set(group_labels)) != len(group_labels):
        seen = [lab for lab in group_labels if group_labels.count(lab) > 1]
        raise ScoringInputError(f"different group values read the same as {seen[0]!r}; clean the key columns")
    return Grouping(by, combined.astype(np.intp), group_labels, group_keys)


def _check_request(responses: pd.DataFrame, by: tuple[str, ...], period: str | None, questions: set[str]) -> None:
    """Refuse a breakdown the data cannot give. Without any response the attribute
    columns are unknown (stored attributes are free-form: a column exists only where some
    response has it), so any name is taken and the answer simply has no groups; refusing
    it would call ``segment`` unknown for a version nobody has answered yet."""
    # "period" is reserved for the calendar period of collected_at.
    available = [c for c in responses.columns if c not in questions and c not in _NOT_GROUPABLE and c != PERIOD]
    if DATE_COLUMN in responses.columns or not len(responses):
        available.append(PERIOD)
    for name in by:
        if by.count(name) > 1:
            raise ScoringInputError(f"group-by column {name!r} is given more than once")
        if len(responses) and name not in available:
            listed = ", ".join(map(str, available)) or "none"
            raise ScoringInputError(f"unknown group-by column {name!r}; available: {listed}")
    if PERIOD in by and period is None:
        raise ScoringInputError(f"grouping by period needs period = {' | '.join(PERIODS)}", "period")
    if period is not None:
        if period not in PERIODS:
            raise ScoringInputError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}", "period")
        if PERIOD not in by:
            raise ScoringInputError(f"period={period!r} was given but {PERIOD!r} is not in by", "period")


def _key_codes(responses: pd.DataFrame, name: str, period: str | None):
    """Integer codes (-1 = missing), labels and values of one key column, sorted."""
    if name == PERIOD:
        return _period_codes(responses[DATE_COLUMN], period)
    col = responses[name]
    try:
        codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=True)
    except TypeError:  # values of mixed types cannot be ordered; keep first-seen order
        codes, uniques = pd.factorize(col, sort=False, use_na_sentinel=True)
    values = list(uniques)
    return codes, [str(v) for v in values], values


def _period_codes(raw: pd.Series, period: str):
    """Calendar period of each date as codes; labels 2026-03, 2026Q1 or 2026."""
    stamps = _as_datetimes(raw)
    values = stamps.to_numpy()
    nat = np.isnat(values)
    months = values.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    if period == "month":
        key = months
    elif period == "quarter":
        key = np.floor_divide(months, 3)
    else:
        key = np.floor_divide(months, 12)
    codes, uniques = pd.factorize(np.where(nat, np.nan, key.astype(np.float64)), sort=True, use_na_sentinel=True)
    labels = [_period_label(int(k), period) for k in uniques]
    return codes, labels, list(labels)


def _period_label(k: int, period: str) -> str:
    if period == "month":
        return f"{1970 + k // 12:04d}-{k % 12 + 1:02d}"
    if period == "quarter":
        return f"{1970 + k // 4:04d}Q{k % 4 + 1}"
    return f"{1970 + k:04d}"


def _as_datetimes(raw: pd.Series) -> pd.Series:
    """Dates as naive datetimes in the wall time they were recorded in.

    Text with several UTC offsets cannot keep one wall clock and is converted to UTC.
    A value that is present but not a date is refused rather than dropped.
    """
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        return raw
    stamps = _parse_dates(raw, None)
    if len(_unread(raw, stamps)):  # the format guessed from the first value does not fit all
        stamps = _parse_dates(raw, "mixed")
    bad = _unread(raw, stamps)
    if len(bad):
        raise ScoringInputError(
            f"{len(bad)} value(s) of {DATE_COLUMN} are not dates; first at row {bad[0]}: {raw.iloc[bad[0]]!r}"
        )
    return stamps


def _parse_dates(raw: pd.Series, fmt: str | None) -> pd.Series:
    try:
        stamps = pd.to_datetime(raw, errors="coerce", format=fmt)
    except ValueError:  # several UTC offsets
        stamps = pd.to_datetime(raw, errors="coerce", format=fmt, utc=True)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_localize(None)
    return stamps


def _unread(raw: pd.Series, stamps: pd.Series) -> np.ndarray:
    """Positions of values that are present, not blank, and yet not parsed as dates."""
    unread = np.flatnonzero((stamps.isna() & raw.notna()).to_numpy())
    return unread[raw.iloc[unread].astype(str).str.strip().ne("").to_numpy()]
