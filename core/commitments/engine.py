"""The clock state machine of one commitment, run over every case at once.

Each case's clock goes idle → running ⇄ paused → closed (met, breached or cancelled) and
may start again (a reopened case opens a new *cycle*, as Jira SLA cycles do). The rules,
the same for every case:

- ``start`` opens a cycle when none is open (a start while open is ignored);
- ``pause`` holds a running clock, ``resume`` lets a paused one run again;
- ``stop`` closes the cycle: met when the counted time is at most the limit (the limit
  included, as "within 10 minutes" includes the tenth), breached otherwise;
- ``cancel`` closes it as cancelled (it counts toward no on-time rate);
- ``reset`` cancels the open cycle and opens a new one at the same instant;
- events that do not apply in the clock's state are ignored; events at one instant are
  applied in the order of ``model.ROLES``.

Counted time is business time on the commitment's calendar (``calendars.Timeline``).
The machine is vectorised across cases in lockstep: cases' role events are sorted by
(case, time, role), and iteration k applies every case's k-th event at once with numpy,
so the Python work grows with the longest log, not with the number of cases. While a
segment of running time ends (pause, stop, cancel, reset, or the evaluation instant), the
instants at which the counted time exceeded each threshold (the limit, each ladder step)
are found by inverting business time, so they are exact whatever the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.commitments.model import ROLES

IDLE, RUNNING, PAUSED = 0, 1, 2
MET, BREACHED, CANCELLED, OPEN = 0, 1, 2, 3
START, RESET, PAUSE, RESUME, STOP, CANCEL = (ROLES.index(r) for r in ROLES)


@dataclass
class Cycles:
    """One row per clock cycle, as parallel arrays (times in epoch seconds, NaN = none).

    ``crossed[j]`` is when the counted time first exceeded ``thresholds[j]`` (j = 0 is
    the limit: the breach); ``due_at`` when it reached the limit (the deadline).
    ``state`` is the clock's state at the evaluation instant for the open cycle (RUNNING
    or PAUSED), IDLE for a closed one; ``anchor``/``counted_before`` let later code find
    future instants of an open, running clock: counted time at instant x is
    ``counted_before + business(x) - anchor``."""

    case: np.ndarray
    cycle: np.ndarray
    started: np.ndarray
    stopped: np.ndarray
    outcome: np.ndarray
    state: np.ndarray
    elapsed: np.ndarray
    paused: np.ndarray
    due_at: np.ndarray
    crossed: np.ndarray  # shape (thresholds, cycles)
    anchor: np.ndarray
    counted_before: np.ndarray

    def __len__(self) -> int:
        return len(self.case)


def run_clocks(case: np.ndarray, t: np.ndarray, role: np.ndarray, n_cases: int, thresholds: tuple[float, ...], line, at: float) -> Cycles:
    """Every cycle of every case from its role events: ``case`` (0..n_cases-1), ``t``
    (epoch seconds, all ≤ ``at``) and ``role`` (index into ROLES), in any order."""
    order = np.lexsort((role, t, case))
    case, t, role = case[order], t[order], role[order]
    machine = _Machine(n_cases, np.asarray(thresholds, dtype=np.float64), line)
    if len(case):
        first = np.r_[0, np.flatnonzero(np.diff(case)) + 1]
        position = np.arange(len(case)) - np.repeat(first, np.diff(np.r_[first, len(case)]))
        by_position = np.argsort(position, kind="stable")
        bounds = np.searchsorted(position[by_position], np.arange(position.max() + 2))
        for k in range(len(bounds) - 1):
            rows = by_position[bounds[k] : bounds[k + 1]]
            machine.apply(case[rows], t[rows], role[rows])
    return machine.finish(at)


class _Machine:
    def __init__(self, n: int, thresholds: np.ndarray, line):
        self.line = line
        self.thresholds = thresholds
        self.state = np.zeros(n, dtype=np.int8)
        self.cycle = np.zeros(n, dtype=np.int32)
        self.started = np.full(n, np.nan)
        self.anchor = np.full(n, np.nan)  # business time when the running segment began
        self.elapsed = np.zeros(n)  # counted before the running segment
        self.paused = np.zeros(n)
        self.pause_since = np.full(n, np.nan)
        self.due_at = np.full(n, np.nan)
        self.crossed = np.full((len(thresholds), n), np.nan)
        self.closed: list[dict] = []

    def apply(self, case: np.ndarray, t: np.ndarray, role: np.ndarray) -> None:
        state = self.state[case]
        is_open = state != IDLE
        closing = is_open & ((role == STOP) | (role == CANCEL) | (role == RESET))
        pausing = (state == RUNNING) & (role == PAUSE)
        resuming = (state == PAUSED) & (role == RESUME)
        starting = ((state == IDLE) & (role == START)) | closing & (role == RESET)

        self._advance(case[(closing & (state == RUNNING)) | pausing], t[(closing & (state == RUNNING)) | pausing])
        held = closing & (state == PAUSED)
        self.paused[case[held]] += t[held] - self.pause_since[case[held]]
        if closing.any():
            c, tc, rc = case[closing], t[closing], role[closing]
            outcome = np.where(rc == STOP, np.where(self.elapsed[c] > self.thresholds[0], BREACHED, MET), CANCELLED)
            self._close(c, tc, outcome)
        if pausing.any():
            self.state[case[pausing]] = PAUSED
            self.pause_since[case[pausing]] = t[pausing]
        if resuming.any():
            c = case[resuming]
            self.paused[c] += t[resuming] - self.pause_since[c]
            self.anchor[c] = self.line.business(t[resuming])
            self.state[c] = RUNNING
        if starting.any():
            c = case[starting]
            self.state[c] = RUNNING
            self.cycle[c] += 1
            self.started[c] = t[starting]
            self.anchor[c] = self.line.business(t[starting])
            self.elapsed[c] = 0.0
            self.paused[c] = 0.0
            self.due_at[c] = np.nan
            self.crossed[:, c] = np.nan

    def _advance(self, case: np.ndarray, t: np.ndarray) -> None:
        """End the running segment of ``case`` at ``t``: add its counted time and note the
        thresholds it carried the clock past."""
        if not len(case):
            return
        anchor, before = self.anchor[case], self.elapsed[case]
        after = before + self.line.business(t) - anchor
        for j, threshold in enumerate(self.thresholds):
            hit = (before <= threshold) & (after > threshold) & np.isnan(self.crossed[j, case])
            if hit.any():
                self.crossed[j, case[hit]] = self.line.instant(anchor[hit] + threshold - before[hit], earliest=False)
        reach = (before < self.thresholds[0]) & (after >= self.thresholds[0]) & np.isnan(self.due_at[case])
        if reach.any():
            self.due_at[case[reach]] = self.line.instant(anchor[reach] + self.thresholds[0] - before[reach], earliest=True)
        self.elapsed[case] = after
        self.anchor[case] = self.line.business(t)

    def _close(self, case: np.ndarray, t: np.ndarray, outcome: np.ndarray) -> None:
        self.closed.append(self._rows(case, t, outcome, np.full(len(case), IDLE, dtype=np.int8)))
        self.state[case] = IDLE

    def _rows(self, case, stopped, outcome, state) -> dict:
        return {
            "case": case.copy(), "cycle": self.cycle[case].copy(), "started": self.started[case].copy(), "stopped": stopped,
            "outcome": outcome.astype(np.int8), "state": state, "elapsed": self.elapsed[case].copy(), "paused": self.paused[case].copy(),
            "due_at": self.due_at[case].copy(), "crossed": self.crossed[:, case].copy(),
            "anchor": self.anchor[case].copy(), "counted_before": self.elapsed[case].copy(),
        }

    def finish(self, at: float) -> Cycles:
        """Close the books at ``at``: open cycles are counted up to it and kept open."""
        running = np.flatnonzero(self.state == RUNNING)
        counted_before = self.elapsed[running].copy()
        anchors = self.anchor[running].copy()
        self._advance(running, np.full(len(running), at))
        held = np.flatnonzero(self.state == PAUSED)
        self.paused[held] += at - self.pause_since[held]
        open_cases = np.flatnonzero(self.state != IDLE)
        rows = self._rows(open_cases, np.full(len(open_cases), np.nan), np.full(len(open_cases), OPEN), self.state[open_cases].copy())
        lookup = np.searchsorted(open_cases, running)
        rows["anchor"][lookup] = anchors
        rows["counted_before"][lookup] = counted_before
        parts = self.closed + [rows]
        joined = {k: np.concatenate([p[k] for p in parts], axis=-1) for k in parts[0]}
        outcome = joined["outcome"]
        outcome[(outcome == OPEN) & (joined["elapsed"] > self.thresholds[0])] = BREACHED  # still open, past its limit
        joined["outcome"] = outcome
        order = np.lexsort((joined["cycle"], joined["case"]))
        return Cycles(**{k: v[..., order] for k, v in joined.items()})
