"""Every commitment's clocks over a case log, at an instant: the one entry point.

``evaluate(commitments, log, at)`` recomputes everything from the log (events after
``at`` are not yet known, so any past instant can be replayed): for each case and each
commitment that applies to it, every clock cycle with its figures, the ladder steps
reached, the remedies owed and whether each was given in time, what comes next and
when. It returns an ``Evaluation`` (``core.commitments.report``) that callers turn into
JSON, alerts, stored figures or on-time rates.

Conditions are evaluated only where they matter: ``applies_to`` once per case (with the
events known at ``at``), an event trigger's condition only on events of the types it
names, a step's ``when`` only for cycles that have run past the step's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from core.commitments.calendars import ALWAYS, ALWAYS_CALENDAR, BusinessCalendar
from core.commitments.engine import OPEN, RUNNING, Cycles, run_clocks
from core.commitments.log import Activations, CaseLog, Indexed, holds, instant, matches
from core.commitments.model import ROLES, Commitment, LadderStep
from core.commitments.report import Evaluation, StepsReached


@dataclass(frozen=True)
class CommitmentRun:
    """One commitment's cycles (engine arrays) with the figures derived from them."""

    commitment: Commitment
    cycles: Cycles
    steps: StepsReached
    next_step: np.ndarray  # per cycle: index into the ladder, -1 = none
    next_step_at: np.ndarray
    breach_at: np.ndarray  # when an open, running clock will exceed its limit (NaN otherwise)


def evaluate(commitments: Sequence[Commitment], log: CaseLog, at=None, calendars: Mapping[str, BusinessCalendar] | None = None) -> Evaluation:
    """The clocks of every case at ``at`` (a tz-aware instant; default now)."""
    t_at = instant(at)
    indexed = Indexed(log, t_at)
    activations = Activations(indexed)
    start = float(np.nanmin(indexed.event_t)) if len(indexed.event_t) else t_at
    runs = []
    for commitment in commitments:
        calendar = ALWAYS_CALENDAR if commitment.calendar == ALWAYS else (calendars or {})[commitment.calendar]
        line = calendar.timeline(start, t_at, ahead=commitment.horizon)
        runs.append(_run(commitment, indexed, activations, line, t_at))
    return Evaluation(at=t_at, ids=indexed.ids, fields=indexed.fields, runs=tuple(runs))


def _run(commitment: Commitment, log: Indexed, activations: Activations, line, t_at: float) -> CommitmentRun:
    applies = np.ones(len(log), dtype=bool)
    if commitment.applies_to is not None:
        applies = holds(commitment.applies_to, activations, np.arange(len(log)), np.full(len(log), t_at))
    among = applies[log.event_case] if len(log.event_case) else np.zeros(0, dtype=bool)
    cases, times, roles = [], [], []
    for rank, name in enumerate(ROLES):
        mask = matches(commitment.clock.role(name), log, activations, among)
        cases.append(log.event_case[mask])
        times.append(log.event_t[mask])
        roles.append(np.full(int(mask.sum()), rank, dtype=np.int8))
    cycles = run_clocks(np.concatenate(cases), np.concatenate(times), np.concatenate(roles), len(log), commitment.thresholds, line, t_at)
    steps = _steps(commitment, cycles, log, activations, line, t_at)
    next_step, next_at, breach_at = _ahead(commitment, cycles, steps, line)
    return CommitmentRun(commitment, cycles, steps, next_step, next_at, breach_at)


def _steps(commitment: Commitment, cycles: Cycles, log: Indexed, activations: Activations, line, t_at: float) -> StepsReached:
    """The ladder steps each cycle reached, when, and the state of the remedies owed."""
    parts = []
    end = np.where(np.isnan(cycles.stopped), t_at, cycles.stopped)
    for j, step in enumerate(commitment.ladder):
        passed = cycles.crossed[j + 1]
        rows = np.flatnonzero(~np.isnan(passed))
        reached = passed[rows]
        if step.when is not None and len(rows):
            reached = _first_holding(step.when, cycles.case[rows], reached, end[rows], log, activations)
            keep = ~np.isnan(reached)
            rows, reached = rows[keep], reached[keep]
        parts.append(_remedies(step, j, rows, reached, cycles, log, activations, line, t_at))
    return StepsReached.concat(parts)


def _first_holding(condition, cases: np.ndarray, passed: np.ndarray, end: np.ndarray, log: Indexed, activations: Activations) -> np.ndarray:
    """Per (case, passed, end): the first instant from ``passed`` to ``end`` at which the
    condition holds, looked at when the step's time passed and at each later event of
    the case while its clock ran; NaN when it never held."""
    lo, hi = log.case_start[cases], log.case_start[cases + 1]
    counts = hi - lo
    owner = np.repeat(np.arange(len(cases)), counts)
    events = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
    t = log.event_t[events]
    later = (t > passed[owner]) & (t <= end[owner])
    who = np.r_[np.arange(len(cases)), owner[later]]
    when = np.r_[passed, t[later]]
    ok = holds(condition, activations, cases[who], when)
    first = np.full(len(cases), np.inf)
    np.minimum.at(first, who[ok], when[ok])
    return np.where(np.isinf(first), np.nan, first)


def _remedies(step: LadderStep, j: int, rows: np.ndarray, reached: np.ndarray, cycles: Cycles, log: Indexed, activations, line, t_at: float) -> StepsReached:
    respond_by = np.full(len(rows), np.nan)
    if step.respond_within is not None and len(rows):
        respond_by = line.instant(line.business(reached) + step.respond_within, earliest=True)
    delivered = np.full(len(rows), np.nan)
    if step.delivered is not None and len(rows):
        mask = matches(step.delivered, log, activations)
        given = pd.DataFrame({"case": log.event_case[mask], "t": log.event_t[mask]}).sort_values("t")
        asked = pd.DataFrame({"case": cycles.case[rows], "t": reached, "row": np.arange(len(rows))}).sort_values("t")
        found = pd.merge_asof(asked, given.assign(given=given["t"]), on="t", by="case", direction="forward")
        delivered[found["row"].to_numpy()] = found["given"].to_numpy(dtype=np.float64)
    return StepsReached(row=rows, step=np.full(len(rows), j), reached=reached, respond_by=respond_by, delivered=delivered)


def _ahead(commitment: Commitment, cycles: Cycles, steps: StepsReached, line):
    """For each open cycle: the next ladder step not yet passed and when it will be (NaN
    while paused), and when a running clock will exceed its limit."""
    n = len(cycles)
    next_step = np.full(n, -1)
    next_at = np.full(n, np.nan)
    open_ = cycles.outcome == OPEN
    for j in range(len(commitment.ladder) - 1, -1, -1):  # the first step not passed wins
        waiting = np.isnan(cycles.crossed[j + 1]) & (cycles.state != 0)
        next_step[waiting] = j
    running = cycles.state == RUNNING
    has_next = running & (next_step >= 0)
    if has_next.any():
        after = np.array([s.after for s in commitment.ladder])[next_step[has_next]]
        next_at[has_next] = line.instant(cycles.anchor[has_next] + after - cycles.counted_before[has_next], earliest=False)
    breach_at = np.full(n, np.nan)
    coming = running & open_
    if coming.any():
        target = cycles.anchor[coming] + commitment.limit - cycles.counted_before[coming]
        breach_at[coming] = line.instant(target, earliest=False)
        due = cycles.due_at[coming]
        cycles.due_at[coming] = np.where(np.isnan(due), line.instant(target, earliest=True), due)
    return next_step, next_at, breach_at
