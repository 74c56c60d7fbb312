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

    def histories(self, cases: np.ndarray, until: np.ndarray) -> list[str]:
        """Per (case, instant), the case's event types up to it joined by newlines: a
        key that is equal exactly when ``case.events`` is. Counted without a search per
        item: events and instants are sorted together (an event at an instant before it)."""
        n = len(cases)
        case = np.r_[self.event_case, cases]
        t = np.r_[self.event_t, until]
        kind = np.r_[np.zeros(len(self.event_case), dtype=np.int8), np.ones(n, dtype=np.int8)]
        order = np.lexsort((kind, t, case))
        seen = np.cumsum(kind[order] == 0)
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        ends = seen[position[len(self.event_case):]]
        starts = self.case_start[cases]
        types = self.event_type.tolist()
        return ["\n".join(types[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]

    def types_until(self, case: int, until: float) -> np.ndarray:
        """The types of the case's events at or before ``until``, in time order."""
        span = self.events_of(case)
        return self.event_type[span.start : span.start + int(np.searchsorted(self.event_t[span], until, side="right"))]


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
        return {"case": {**base["case"], "events": log.types_until(case, until).tolist()}, "customer": base["customer"]}

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


def holds(condition: Condition, activations: Activations, cases: np.ndarray, until: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """The condition for each case (as of ``until``), or for each event ``rows`` (with
    their cases and times). A condition that says which fields it reads (``reads``) is
    evaluated once per distinct combination of their values, not once per case: a
    condition on ``case.type`` over 100,000 cases of 3 types is evaluated 3 times."""
    keys = _keys(getattr(condition, "reads", None), activations, cases, until, rows)
    if keys is None:
        groups, first = np.arange(len(cases)), np.arange(len(cases))
    else:
        groups, first = keys
    results = np.zeros(len(first), dtype=bool)
    for g, i in enumerate(first.tolist()):
        activation = activations.event(int(rows[i])) if rows is not None else activations.case(int(cases[i]), float(until[i]))
        results[g] = condition(activation)
    return results[groups]


def _keys(reads, activations: Activations, cases: np.ndarray, until: np.ndarray, rows) -> tuple[np.ndarray, np.ndarray] | None:
    """(group of each item, first item of each group) over the values of ``reads``."""
    if reads is None:
        return None
    log = activations.log
    columns = {}
    for variable, name in sorted(reads):
        if variable == "case" and name in ("type", "touchpoint", "customer_id"):
            columns[name] = log.fields["case_type" if name == "type" else name][cases]
        elif variable == "case" and name == "id":
            columns[name] = cases
        elif variable == "case" and name == "attributes":
            columns[name] = [repr(sorted(dict(a or {}).items())) for a in log.fields["attributes"][cases]]
        elif variable == "case" and name == "events":
            columns[name] = log.histories(cases, until)
        elif variable == "customer":
            ids = pd.Series(log.fields["customer_id"][cases], dtype=object)
            columns[f"customer.{name}"] = ids.map(lambda i: repr((log.customers.get(i) or {}).get(name)) if i else "").to_numpy(dtype=object)
        elif variable == "event" and rows is not None and name == "type":
            columns["event.type"] = log.event_type[rows]
        elif variable == "event" and rows is not None and name == "at":
            columns["event.at"] = log.event_t[rows]
        elif variable == "event" and rows is not None and name == "attributes" and log.event_attributes is not None:
            columns["event.attributes"] = [repr(sorted(dict(a or {}).items())) for a in log.event_attributes[rows]]
        elif variable == "event" and rows is not None and name == "attributes":
            continue
        else:
            return None  # a field this function does not know: evaluate every item
    if not columns:
        return np.zeros(len(cases), dtype=np.intp), np.zeros(min(len(cases), 1), dtype=np.intp)
    frame = pd.DataFrame({k: pd.Series(v, dtype=object).fillna("\0none") for k, v in columns.items()})
    groups = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    first = np.full(groups.max() + 1 if len(groups) else 0, -1)
    first[groups[::-1]] = np.arange(len(groups))[::-1]
    return groups, first


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
        mask[rows] = holds(trigger.condition, activations, log.event_case[rows], log.event_t[rows], rows)
    return mask
