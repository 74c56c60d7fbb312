"""A tenant's case log as the clock engine reads it, and what conditions see of it.

``CaseLog`` is the contract between whoever stores cases and events (the database, a
CSV file) and the pure engine: events with their case, type and time, the cases' own
fields, and the customers' fields (their grade included). Nothing here knows where the
log came from, so a late or corrected event is handled by handing over the log again:
every figure is recomputed from it.

``Activations`` builds the variables a CEL condition sees, lazily and only for the rows a
condition is asked about:

- ``case``: ``id``, ``type``, ``touchpoint``, ``customer_id``, ``attributes`` (a map) and
  ``events``, the types of the case's events recorded up to the instant asked about (so a
  complaint is ``"complained" in case.events``);
- ``customer``: ``id`` and the customer's fields (``grade``...);
- ``event`` (event triggers only): ``type``, ``at`` (a timestamp) and ``attributes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Mapping

import numpy as np
import pandas as pd

from core.commitments.model import Condition, Trigger

CASE_FIELDS = ("case_type", "customer_id", "touchpoint")


@dataclass(frozen=True)
class CaseLog:
    """``events``: columns ``case_id``, ``type``, ``at`` (tz-aware datetimes), optionally
    ``attributes`` (a dict per event, or None). ``cases`` (optional): ``case_id`` and any
    of ``case_type``, ``customer_id``, ``touchpoint``, ``attributes`` (dict); a case that
    has events but no row here has none of them. ``customers`` (optional): customer id →
    the fields conditions read as ``customer.*``."""

    events: pd.DataFrame
    cases: pd.DataFrame | None = None
    customers: Mapping[str, Mapping[str, Any]] | None = None


def epoch_seconds(values) -> np.ndarray:
    """tz-aware datetimes (a Series, an index or an array) → float epoch seconds."""
    stamps = pd.DatetimeIndex(values)
    if stamps.tz is None:
        raise ValueError("event times need a time zone (they are compared across calendars)")
    out = stamps.as_unit("us").asi8.astype(np.float64) / 1e6
    out[stamps.isna()] = np.nan
    return out


def instant(value: datetime | pd.Timestamp | None) -> float:
    if value is None:
        return datetime.now(UTC).timestamp()
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise ValueError("the evaluation instant needs a time zone")
    return stamp.timestamp()


class Indexed:
    """The log with every case numbered 0..n-1 and its events sorted by (case, time)."""

    def __init__(self, log: CaseLog, at: float):
        events = log.events
        t = epoch_seconds(events["at"]) if len(events) else np.array([])
        keep = t <= at
        events = events.loc[keep]
        t = t[keep]
        cases = log.cases if log.cases is not None else pd.DataFrame({"case_id": pd.Series([], dtype=object)})
        ids = pd.Index(pd.unique(pd.concat([cases["case_id"].astype(str), events["case_id"].astype(str)], ignore_index=True)))
        self.ids = ids
        case = ids.get_indexer(events["case_id"].astype(str))
        order = np.lexsort((t, case))
        self.event_case = case[order]
        self.event_t = t[order]
        self.event_type = events["type"].astype(str).to_numpy()[order]
        self.event_attributes = events["attributes"].to_numpy()[order] if "attributes" in events.columns else None
        self.case_start = np.searchsorted(self.event_case, np.arange(len(ids) + 1))
        rows = ids.get_indexer(cases["case_id"].astype(str))
        self.fields: dict[str, np.ndarray] = {}
        for name in (*CASE_FIELDS, "attributes"):
            column = np.full(len(ids), None, dtype=object)
            if name in cases.columns:
                values = cases[name].to_numpy(dtype=object)
                column[rows] = np.where(pd.isna(values), None, values) if name != "attributes" else values
            self.fields[name] = column
        self.customers = log.customers or {}

    def __len__(self) -> int:
        return len(self.ids)

    def events_of(self, case: int) -> slice:
        return slice(int(self.case_start[case]), int(self.case_start[case + 1]))


class Activations:
    """The variables conditions see (module docstring), built on demand."""

    def __init__(self, log: Indexed):
        self.log = log
        self._case: dict[int, dict] = {}

    def case(self, case: int, until: float) -> dict[str, Any]:
        """``case`` and ``customer`` as of the instant ``until`` (events up to it)."""
        base = self._case.get(case)
        log = self.log
        if base is None:
            customer_id = log.fields["customer_id"][case]
            base = {
                "case": {
                    "id": str(log.ids[case]),
                    "type": log.fields["case_type"][case] or "",
                    "touchpoint": log.fields["touchpoint"][case] or "",
                    "customer_id": customer_id or "",
                    "attributes": dict(log.fields["attributes"][case] or {}),
                },
                "customer": {"id": customer_id or "", **dict(self.log.customers.get(customer_id, {}) if customer_id else {})},
            }
            self._case[case] = base
        span = log.events_of(case)
        upto = span.start + int(np.searchsorted(log.event_t[span], until, side="right"))
        return {"case": {**base["case"], "events": log.event_type[span.start : upto].tolist()}, "customer": base["customer"]}

    def event(self, row: int) -> dict[str, Any]:
        log = self.log
        out = self.case(int(log.event_case[row]), log.event_t[row])
        attributes = log.event_attributes[row] if log.event_attributes is not None else None
        out["event"] = {
            "type": str(log.event_type[row]),
            "at": datetime.fromtimestamp(log.event_t[row], UTC),
            "attributes": dict(attributes) if isinstance(attributes, Mapping) else {},
        }
        return out


def holds(condition: Condition, activations: list[dict]) -> np.ndarray:
    """The condition over each activation; one that cannot be evaluated does not hold."""
    out = np.zeros(len(activations), dtype=bool)
    for i, activation in enumerate(activations):
        out[i] = condition(activation)
    return out


def matches(trigger: Trigger, log: Indexed, activations: Activations, among: np.ndarray | None = None) -> np.ndarray:
    """Which events (in ``log``'s order) play the role ``trigger`` describes; ``among``
    limits the events looked at (those of cases the commitment applies to)."""
    if trigger.never:
        return np.zeros(len(log.event_t), dtype=bool)
    mask = np.isin(log.event_type, list(trigger.types)) if trigger.types else np.ones(len(log.event_t), dtype=bool)
    if among is not None:
        mask &= among
    if trigger.condition is not None:
        rows = np.flatnonzero(mask)
        mask[rows] = holds(trigger.condition, [activations.event(int(r)) for r in rows])
    return mask
