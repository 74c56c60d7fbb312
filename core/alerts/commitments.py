"""The case evaluator backed by the commitments engine: stored cases → alerts, next checks.

``commitment_alerts`` is the default ``CaseEvaluator`` of the API, the worker and the
CLI. Given the tenant's compiled configuration (its ``commitments`` and ``calendars``
sections), a batch of stored cases and an instant, it runs ``core.commitments.evaluate``
once over all of them (the engine is vectorised across cases; never one call per case)
and answers, per case:

- a ``step_reached`` alert for each ladder step reached (dated when it was reached),
- a ``breached`` alert for each clock cycle past its limit, still open or stopped late
  (dated when the counted time exceeded the limit),
- a ``remedy_overdue`` alert for each remedy not given within its ``respond_within``,
  overdue now or given late (dated when its time ran out),
- and ``next_check_at``: when a step, a breach or a remedy's time next falls due.

Dedup keys name the fact, never the moment it was noticed:
``<kind>:<case>:<commitment>:<cycle>[:<step>]``. A sweep run twice, an event sent again
or a case evaluated after a late event gives the same keys, so nothing is raised twice.

The case's ``customer.*`` fields are what the caller hands in as ``customers`` (customer
id → fields, the grade among them); ``core.operations.cases`` takes them from the
session's customer-fields hook. Pure: no Flask, no SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from core.alerts.evaluation import Evaluation
from core.alerts.model import BREACHED, REMEDY_OVERDUE, STEP_REACHED, AlertCandidate, CaseSnapshot
from core.commitments import CaseLog
from core.commitments import evaluate as run_engine
from core.commitments import Evaluation as Figures
from core.commitments.log import epoch_seconds
from core.commitments.report import isos


def case_log(cases: Sequence[CaseSnapshot], customers: Mapping[str, Mapping[str, Any]] | None = None) -> CaseLog:
    """The engine's input for stored cases: their events and own fields, keyed by the
    tenant's case ids, with the customers' fields conditions read as ``customer.*``."""
    events = [(c.case_id, e.type, e.at, e.attributes) for c in cases for e in c.events]
    frame = pd.DataFrame(events, columns=["case_id", "type", "at", "attributes"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    own = pd.DataFrame(
        [(c.case_id, c.case_type, c.customer_id, c.touchpoint, c.attributes) for c in cases],
        columns=["case_id", "case_type", "customer_id", "touchpoint", "attributes"],
    )
    return CaseLog(events=frame, cases=own, customers=customers or {})


def figures_at(config: Any, cases: Sequence[CaseSnapshot], at: datetime, customers: Mapping[str, Mapping[str, Any]] | None = None) -> Figures | None:
    """Every commitment's clocks over these cases at ``at``; None when the configuration
    has no commitments."""
    commitments = config.section("commitments") if config is not None else None
    if not commitments:
        return None
    return run_engine(commitments, case_log(cases, customers), at=at, calendars=config.section("calendars") or {})


def commitment_alerts(config: Any, cases: Sequence[CaseSnapshot], at: datetime, customers: Mapping[str, Mapping[str, Any]] | None = None) -> list[Evaluation]:
    """Alerts and next check of each case (in the order given); see the module docstring."""
    figures = figures_at(config, cases, at, customers)
    if figures is None or not cases:
        return [Evaluation() for _ in cases]
    customer_of = {c.case_id: c.customer_id for c in cases}
    cycles = figures.cycles()
    alerts: dict[str, list[AlertCandidate]] = {}
    for candidate in _alerts(figures, cycles, customer_of):
        alerts.setdefault(candidate.case_id, []).append(candidate)
    checks = figures.next_check_at(cycles)
    next_checks = dict(zip(checks.index, _datetimes(checks)))
    return [Evaluation(tuple(alerts.get(c.case_id, ())), next_checks.get(c.case_id)) for c in cases]


def _datetimes(column: pd.Series) -> list:
    """A column of UTC timestamps as tz-aware datetimes (None for NaT), converted at once."""
    values = pd.DatetimeIndex(column).to_pydatetime().tolist()
    return [None if pd.isna(v) else v for v in values] if column.isna().any() else values


def _isos(column: pd.Series) -> list:
    return isos(epoch_seconds(column))


def _alerts(figures: Figures, cycles: pd.DataFrame, customer_of: Mapping[str, str | None]):
    """Every alert the figures hold (``cycles``: theirs); each column is turned into
    Python values once."""
    if cycles.empty:
        return
    b = cycles[cycles["status"] == "breached"]
    rows = zip(b["case_id"].tolist(), b["commitment"].tolist(), b["cycle"].tolist(), _datetimes(b["breached_at"]), _isos(b["started_at"]),
               b["limit_seconds"].astype(float).tolist(), b["open"].tolist())
    for case_id, commitment, cycle, breached_at, started_at, limit, is_open in rows:
        yield AlertCandidate(
            BREACHED, f"{BREACHED}:{case_id}:{commitment}:{cycle}", breached_at, case_id, customer_of.get(case_id),
            {"commitment": commitment, "cycle": cycle, "started_at": started_at, "limit_seconds": limit, "open": is_open},
        )
    steps = figures.steps()
    if steps.empty:
        return
    percent = steps["percent_off"].astype(float)
    rows = zip(steps["case_id"].tolist(), steps["commitment"].tolist(), steps["cycle"].tolist(), steps["step"].tolist(), steps["remedy"].tolist(),
               np.where(percent.isna(), None, percent).tolist(), _datetimes(steps["reached_at"]), _isos(steps["reached_at"]),
               _datetimes(steps["respond_by"]), _isos(steps["respond_by"]), _isos(steps["delivered_at"]), steps["remedy_status"].tolist())
    for case_id, commitment, cycle, step, remedy, percent_off, reached, reached_iso, respond_by, respond_by_iso, delivered_iso, status in rows:
        base = f"{case_id}:{commitment}:{cycle}:{step}"
        payload = {"commitment": commitment, "cycle": cycle, "step": step, "remedy": remedy}
        if percent_off is not None:
            payload["percent_off"] = percent_off
        if respond_by_iso is not None:
            payload["respond_by"] = respond_by_iso
        customer = customer_of.get(case_id)
        yield AlertCandidate(STEP_REACHED, f"{STEP_REACHED}:{base}", reached, case_id, customer, payload)
        if status in ("overdue", "late"):
            detail = {**payload, "reached_at": reached_iso, "delivered_at": delivered_iso}
            yield AlertCandidate(REMEDY_OVERDUE, f"{REMEDY_OVERDUE}:{base}", respond_by, case_id, customer, detail)


__all__ = ["case_log", "commitment_alerts", "figures_at"]
