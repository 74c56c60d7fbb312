"""Purchase records: JSON items or CSV rows → one checked frame, every problem by row and field.

A purchase is ``{purchase_id, customer_id, purchased_at, amount, category_spend?}``:

* ``purchase_id``: the tenant's own id, unique per tenant (text, or a number read as its
  text), so a batch sent twice stores nothing new; required through the API, optional in
  an offline CSV (``csm analyze --purchases``), where nothing is stored;
* ``customer_id``: the customer, as its responses carry it (the link between what a
  customer says and what it buys);
* ``purchased_at``: ISO 8601 (an offset converted to UTC, none taken as UTC); required,
  since recency and lifetime are measured from it, and not in the future;
* ``amount``: a finite number >= 0 (a correction is the purchase posted again);
* ``category_spend``: optional, the customer's whole spend in the category (with us and
  elsewhere), a number > 0: share of wallet is the customer's spend with us over it.

Pure pandas (no Flask, no SQL): the API ingest and the offline CLI check purchases here,
so both refuse the same things with the same words. Checks are column-wise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.batch import BatchError, RowError, errors_at, read_csv
from core.batch import records, text
from core.batch.limits import MAX_ID_LENGTH
from core.batch.timestamps import EXAMPLE, timestamp_column

WHAT = "purchases"
FIELDS = ("purchase_id", "customer_id", "purchased_at", "amount", "category_spend")
COLUMNS = ("purchase_id", "customer_id", "purchased_at", "amount", "category_spend")
# Larger amounts are refused: no purchase is worth 10^15, and sums of 10,000 of them stay exact enough.
MAX_AMOUNT = 1e15


def _numbers(frame: pd.DataFrame, column: str, errors: list[RowError], required: bool, positive: bool = False) -> pd.Series:
    """A number column: JSON numbers, or their text (CSV); booleans, lists, objects, text
    that is no number, NaN and infinities are refused, as are negative values (and 0
    when ``positive``)."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return _checked(raw.astype(float), raw.isna().to_numpy(), np.zeros(len(raw), dtype=bool), column, errors, required, positive)  # the common case: no per-cell test
    is_bool = raw.map(lambda v: isinstance(v, (bool, np.bool_)), na_action="ignore").fillna(False).astype(bool).to_numpy()
    as_text = raw.where(~is_bool, None).map(lambda v: v.strip() if isinstance(v, str) else v, na_action="ignore")
    blank = as_text.isna().to_numpy() | as_text.map(lambda v: v == "", na_action="ignore").fillna(False).astype(bool).to_numpy()
    kind_ok = as_text.map(lambda v: isinstance(v, (int, float, str, np.number)), na_action="ignore").fillna(True).astype(bool).to_numpy()
    values = pd.to_numeric(as_text.where(kind_ok & ~blank, None), errors="coerce").astype(float)
    return _checked(values, blank, is_bool, column, errors, required, positive)


def _checked(values: pd.Series, blank: np.ndarray, is_bool: np.ndarray, column: str, errors: list[RowError], required: bool, positive: bool) -> pd.Series:
    finite = np.isfinite(values.to_numpy())
    bad = ~blank & ~finite | is_bool
    errors.extend(errors_at(bad, column, "must be a finite number"))
    if required:
        errors.extend(errors_at(blank & ~is_bool, column, "required field is missing"))
    low = values.to_numpy() <= 0 if positive else values.to_numpy() < 0
    errors.extend(errors_at(finite & low, column, "must be a number > 0" if positive else "must be a number >= 0"))
    errors.extend(errors_at(finite & (values.to_numpy() > MAX_AMOUNT), column, f"must be at most {MAX_AMOUNT:g}"))
    return values.where(finite & ~bad)


def _ids(frame: pd.DataFrame, column: str, errors: list[RowError], required: bool) -> pd.Series:
    if column not in frame.columns:
        if required:
            errors.append(RowError(0, column, "required field is missing"))
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    ids = text.scalar_text(frame[column], column, errors)
    if required:
        errors.extend(errors_at(ids.isna().to_numpy() & frame[column].map(lambda v: not isinstance(v, (list, dict, bool)), na_action="ignore").fillna(True).astype(bool).to_numpy(), column, "required field is missing"))
    text.check_text(ids, column, MAX_ID_LENGTH, errors)
    return ids


def check_purchases(frame: pd.DataFrame, require_id: bool, now: pd.Timestamp | None = None) -> pd.DataFrame:
    """The purchases of ``frame`` (one row per purchase, cells as JSON or CSV give them)
    as a frame of ``COLUMNS`` (purchased_at UTC, amount and category_spend floats), or a
    ``BatchError`` with every problem; a purchase_id given twice is refused at its second
    row."""
    errors: list[RowError] = []
    for col in frame.columns:
        if col not in FIELDS:
            row = int(frame[col].notna().to_numpy().argmax()) if len(frame) else 0
            errors.append(RowError(row, str(col), f"unknown field (allowed: {', '.join(FIELDS)})"))
    keys = _ids(frame, "purchase_id", errors, require_id)
    customers = _ids(frame, "customer_id", errors, True)
    if "purchased_at" in frame.columns:
        blank = frame["purchased_at"].isna().to_numpy() | frame["purchased_at"].map(lambda v: isinstance(v, str) and not v.strip(), na_action="ignore").fillna(False).astype(bool).to_numpy()
        errors.extend(errors_at(blank, "purchased_at", f"required field is missing (an ISO 8601 date-time, e.g. {EXAMPLE})"))
        when = timestamp_column(frame.assign(purchased_at=frame["purchased_at"].where(~blank, None)), "purchased_at", errors, now)
    else:
        errors.append(RowError(0, "purchased_at", "required field is missing"))
        when = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")
    amount = _numbers(frame, "amount", errors, required=True)
    spend = _numbers(frame, "category_spend", errors, required=False, positive=True)
    dup = (keys.notna() & keys.duplicated(keep="first")).to_numpy()
    errors.extend(errors_at(dup, "purchase_id", lambda r: f"duplicate purchase_id {keys.iloc[r]!r} in this batch"))
    if errors:
        errors.sort(key=lambda e: (e.row, e.field))
        raise BatchError(errors)
    out = pd.DataFrame({"purchase_id": keys, "customer_id": customers, "purchased_at": when, "amount": amount, "category_spend": spend})
    return out.reset_index(drop=True)


def purchases_from_items(items: list, now: pd.Timestamp | None = None) -> pd.DataFrame:
    """JSON items checked as ``check_purchases`` (items that are not objects, a field no
    item has, too many unknown names: refused first by ``core.batch.records``)."""
    frame = records.items_frame(items, FIELDS, ("purchase_id", "customer_id", "purchased_at", "amount"), WHAT, [])
    return check_purchases(frame, require_id=True, now=now)


def purchases_from_csv(data: bytes | str, max_rows: int | None = None, now: pd.Timestamp | None = None, require_id: bool = False) -> pd.DataFrame:
    """A CSV of purchases (header customer_id, purchased_at, amount[, category_spend][,
    purchase_id]: required when the rows are stored), every cell read as text; problems
    are reported by data row."""
    frame = read_csv(data, max_columns=len(FIELDS), max_rows=max_rows, what=WHAT, columns_hint=", ".join(FIELDS))
    return check_purchases(frame.replace({"": None}), require_id=require_id, now=now)
