"""A table of case events (a CSV file's columns) → a ``CaseLog``, every bad cell named.

One row per event. Columns:

- ``case_id`` (required), ``type`` (required: an event type code), ``at`` (required: an
  ISO 8601 date-time; without an offset it is UTC);
- ``event_id`` (optional): rows of one case with the same ``event_id`` are one event sent
  again, and the last row wins (a correction);
- ``case_type``, ``customer_id``, ``touchpoint`` (optional): the case's fields;
- ``customer.<name>`` (optional): a field of the case's customer, read by conditions as
  ``customer.<name>`` (``customer.grade``);
- any other column: an attribute, of the event (``event.attributes.<name>``) and of the
  case (``case.attributes.<name>``).

A case's fields and attributes are its latest non-blank values, in time order, so a
later row corrects an earlier one. Values are text, as a CSV holds them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.batch import BatchError, RowError
from core.batch.errors import errors_at
from core.batch.limits import MAX_ATTRIBUTE_LENGTH, MAX_ATTRIBUTES, MAX_ID_LENGTH, MAX_TOUCHPOINT_LENGTH
from core.batch.text import check_names, check_text, scalar_text
from core.batch.timestamps import EXAMPLE
from core.commitments.log import CASE_FIELDS, CaseLog
from core.config.schema import CODE_RE

REQUIRED = ("case_id", "type", "at")
EVENT_ID = "event_id"
CUSTOMER_PREFIX = "customer."
OWN_COLUMNS = (*REQUIRED, EVENT_ID, *CASE_FIELDS)
MAX_COLUMNS = len(OWN_COLUMNS) + MAX_ATTRIBUTES
LIMITS = {"case_id": MAX_ID_LENGTH, EVENT_ID: MAX_ID_LENGTH, "customer_id": MAX_ID_LENGTH, "touchpoint": MAX_TOUCHPOINT_LENGTH, "case_type": 64}


def case_log(frame: pd.DataFrame) -> CaseLog:
    """The log the rows describe; ``BatchError`` with every problem (row = data row)."""
    errors: list[RowError] = []
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise BatchError([RowError(-1, "(header)", f"the events need the column(s) {', '.join(missing)}; they have {', '.join(map(str, frame.columns))}")])
    frame = frame.reset_index(drop=True)
    extra = [c for c in frame.columns if c not in OWN_COLUMNS]
    check_names(extra, "attributes", "attribute names", errors)
    text = {c: scalar_text(frame[c], c, errors) for c in frame.columns}
    for c in REQUIRED:
        errors.extend(errors_at(text[c].isna().to_numpy(), c, "is required"))
    for c, limit in LIMITS.items():
        if c in text:
            check_text(text[c], c, limit, errors)
    types = text["type"]
    bad_type = (types.notna() & ~types.fillna("").str.fullmatch(CODE_RE.pattern)).to_numpy()
    errors.extend(errors_at(bad_type, "type", lambda r: f"{types.iloc[r]!r} is not an event type code (letters, digits, '_', '.' or '-', at most 64)"))
    at = pd.to_datetime(text["at"], errors="coerce", utc=True, format="ISO8601")
    errors.extend(errors_at((text["at"].notna() & at.isna()).to_numpy(), "at", lambda r: f"{text['at'].iloc[r]!r} is not an ISO 8601 date-time (e.g. {EXAMPLE})"))
    for c in extra:
        check_text(text[c], c, MAX_ATTRIBUTE_LENGTH, errors)
    if errors:
        errors.sort(key=lambda e: (e.row, e.field))
        raise BatchError(errors)
    return _log(frame, text, at, extra)


def _log(frame: pd.DataFrame, text: dict, at: pd.Series, extra: list[str]) -> CaseLog:
    attribute_names = [c for c in extra if not c.startswith(CUSTOMER_PREFIX)]
    customer_names = [c for c in extra if c.startswith(CUSTOMER_PREFIX)]
    events = pd.DataFrame({"case_id": text["case_id"], "type": text["type"], "at": at})
    if attribute_names:
        values = pd.DataFrame({c: text[c] for c in attribute_names})
        events["attributes"] = [{k: v for k, v in row.items() if v is not None} for row in values.to_dict("records")]
    if EVENT_ID in text:
        key = text[EVENT_ID]
        has = key.notna().to_numpy()
        dup = pd.Series(list(zip(text["case_id"], key))).duplicated(keep="last").to_numpy() & has
        events = events.loc[~dup]
        frame = frame.loc[~dup]
        text = {c: v.loc[~dup] for c, v in text.items()}
    order = np.lexsort((np.arange(len(events)), events["at"].to_numpy()))
    by_time = pd.DataFrame({c: text[c] for c in ("case_id", *CASE_FIELDS, *extra) if c in text}).iloc[order]
    latest = by_time.groupby("case_id", sort=False).last()  # last non-blank value per column
    cases = pd.DataFrame({"case_id": latest.index.astype(str)})
    for c in CASE_FIELDS:
        cases[c] = latest[c].to_numpy(dtype=object) if c in latest.columns else None
    if attribute_names:
        records = latest[attribute_names].to_dict("records")
        cases["attributes"] = [{k: v for k, v in r.items() if isinstance(v, str)} for r in records]
    customers: dict[str, dict] = {}
    if customer_names and "customer_id" in latest.columns:
        fields = latest[["customer_id", *customer_names]].dropna(subset=["customer_id"])
        for row in fields.to_dict("records"):
            own = customers.setdefault(row.pop("customer_id"), {})
            own.update({k[len(CUSTOMER_PREFIX):]: v for k, v in row.items() if isinstance(v, str)})
    return CaseLog(events=events.reset_index(drop=True), cases=cases, customers=customers)
