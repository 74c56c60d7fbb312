"""What an evaluation says: per case and commitment, per cycle, per step, and on-time rates.

``Evaluation`` holds the engine's arrays and turns them into what callers need:
``cycles()`` and ``steps()`` as DataFrames (one row per clock cycle, one per ladder step
reached), ``cases()`` as JSON-ready dicts (each commitment's latest cycle, earlier cycles
summarised), ``next_check_at()`` (when each case next needs looking at although no event
arrives: a step or a breach falls due, a remedy's time runs out) and ``on_time_rates``.

A remedy's state: ``delivered`` (in time, or no time was promised), ``late`` (given after
its ``respond_within``), ``overdue`` (not given, time is up) or ``due`` (not given yet,
still in time). The on-time rate of a commitment counts the cycles that are decided: met
ones against met plus breached ones (an open clock past its limit is already breached);
running and cancelled cycles are not counted. ``n`` is that count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Sequence

import numpy as np
import pandas as pd

from core.commitments.engine import BREACHED, CANCELLED, MET, OPEN, PAUSED
from core.scoring.groups import DATE_COLUMN, group_rows

STATUS = {MET: "met", BREACHED: "breached", CANCELLED: "cancelled", OPEN: "running"}


@dataclass(frozen=True)
class StepsReached:
    """Ladder steps reached, as parallel arrays: ``row`` (the cycle), ``step`` (ladder
    index), and times in epoch seconds (NaN = none)."""

    row: np.ndarray
    step: np.ndarray
    reached: np.ndarray
    respond_by: np.ndarray
    delivered: np.ndarray

    @classmethod
    def concat(cls, parts: Sequence["StepsReached"]) -> "StepsReached":
        if not parts:
            empty = np.zeros(0)
            return cls(empty.astype(int), empty.astype(int), empty, empty, empty)
        joined = {k: np.concatenate([getattr(p, k) for p in parts]) for k in ("row", "step", "reached", "respond_by", "delivered")}
        order = np.lexsort((joined["step"], joined["row"]))
        return cls(**{k: v[order] for k, v in joined.items()})

    def remedy_state(self, at: float) -> tuple[np.ndarray, np.ndarray]:
        """(state, on_time) of each step's remedy: state text; on_time True, False or None."""
        given = ~np.isnan(self.delivered)
        limited = ~np.isnan(self.respond_by)
        late = given & limited & (self.delivered > self.respond_by)
        overdue = ~given & limited & (at > self.respond_by)
        state = np.where(given, np.where(late, "late", "delivered"), np.where(overdue, "overdue", "due"))
        on_time = np.full(len(self.row), None, dtype=object)
        on_time[given & limited] = ~late[given & limited]
        on_time[overdue] = False
        return state, on_time


def iso(t: float) -> str | None:
    """Epoch seconds → ``2026-03-31T06:05:00Z`` (microseconds only when there are any)."""
    if t is None or np.isnan(t):
        return None
    return datetime.fromtimestamp(round(float(t), 6), UTC).isoformat().replace("+00:00", "Z")


def isos(t: np.ndarray) -> list:
    """``iso`` of every value, at C speed (numpy formats the whole array at once)."""
    t = np.asarray(t, dtype=np.float64)
    if not len(t):
        return []
    micros = np.round(np.nan_to_num(t) * 1e6).astype(np.int64)
    whole = bool(np.all(micros % 1_000_000 == 0))
    text = np.datetime_as_string(micros.astype("datetime64[us]"), unit="s" if whole else "us")
    out = np.char.add(text.astype(str), "Z").astype(object)
    if not whole:  # as iso(): microseconds only where there are any
        out = np.array([v[:-8] + "Z" if v.endswith(".000000Z") else v for v in out], dtype=object)
    out[np.isnan(t)] = None
    return out.tolist()


def secs(values) -> list:
    """Seconds rounded to the millisecond, None for NaN, as Python floats."""
    v = np.round(np.asarray(values, dtype=np.float64), 3)
    out = v.astype(object)
    out[np.isnan(v)] = None
    return out.tolist()


@dataclass(frozen=True)
class Evaluation:
    at: float
    ids: pd.Index
    fields: dict
    runs: tuple  # of evaluate.CommitmentRun

    # --- frames -------------------------------------------------------------------------

    def cycles(self) -> pd.DataFrame:
        """One row per clock cycle: case_id, commitment, cycle (1 = first), status, open,
        paused, started_at, stopped_at, elapsed_seconds, paused_seconds, limit_seconds,
        remaining_seconds, due_at, breached_at, next_step, next_step_at, next_check_at
        (times as UTC datetimes), and the case's case_type, customer_id, touchpoint."""
        frames = [self._cycle_frame(run) for run in self.runs]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def _cycle_frame(self, run) -> pd.DataFrame:
        c, cm = run.cycles, run.commitment
        codes = [s.code for s in cm.ladder]
        frame = pd.DataFrame({
            "case_id": self.ids[c.case].astype(str),
            "commitment": cm.code,
            "cycle": c.cycle,
            "status": pd.Series(c.outcome).map(STATUS).to_numpy(),
            "open": c.state != 0,
            "paused": c.state == PAUSED,
            "started_at": _stamps(c.started),
            "stopped_at": _stamps(c.stopped),
            "elapsed_seconds": c.elapsed,
            "paused_seconds": c.paused,
            "limit_seconds": cm.limit,
            "remaining_seconds": cm.limit - c.elapsed,
            "due_at": _stamps(c.due_at),
            "breached_at": _stamps(c.crossed[0]),
            "next_step": [codes[j] if j >= 0 else None for j in run.next_step],
            "next_step_at": _stamps(run.next_step_at),
            "next_check_at": _stamps(self._next_check(run)),
        })
        for name in ("case_type", "customer_id", "touchpoint"):
            frame[name] = self.fields[name][c.case]
        return frame

    def _next_check(self, run) -> np.ndarray:
        """Per cycle, the earliest future instant at which something falls due."""
        candidates = np.vstack([run.next_step_at, run.breach_at])
        out = np.nanmin(np.where(np.isnan(candidates), np.inf, candidates), axis=0)
        s = run.steps
        waiting = np.isnan(s.delivered) & (s.respond_by > self.at)
        np.minimum.at(out, s.row[waiting], s.respond_by[waiting])
        return np.where(np.isinf(out), np.nan, out)

    def steps(self) -> pd.DataFrame:
        """One row per ladder step reached: case_id, commitment, cycle, step, reached_at,
        remedy, percent_off, respond_by, delivered_at, remedy_status, on_time."""
        frames = []
        for run in self.runs:
            s, c, ladder = run.steps, run.cycles, run.commitment.ladder
            state, on_time = s.remedy_state(self.at)
            owes = np.array([ladder[j].owes_remedy for j in s.step], dtype=bool)
            frames.append(pd.DataFrame({
                "case_id": self.ids[c.case[s.row]].astype(str),
                "commitment": run.commitment.code,
                "cycle": c.cycle[s.row],
                "step": [ladder[j].code for j in s.step],
                "reached_at": _stamps(s.reached),
                "remedy": [ladder[j].remedy for j in s.step],
                "percent_off": [ladder[j].percent_off for j in s.step],
                "respond_by": _stamps(s.respond_by),
                "delivered_at": _stamps(s.delivered),
                "remedy_status": np.where(owes, state, None),
                "on_time": np.where(owes, on_time, None),
            }))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def next_check_at(self, cycles: pd.DataFrame | None = None) -> pd.Series:
        """Per case id (cases with an open clock or a remedy still in time), the earliest
        instant something falls due; for a sweep that looks at cases when no event came.
        ``cycles``: ``self.cycles()`` when the caller has it already."""
        frame = self.cycles() if cycles is None else cycles
        if frame.empty:
            return pd.Series(dtype="datetime64[us, UTC]")
        return frame.dropna(subset=["next_check_at"]).groupby("case_id")["next_check_at"].min()

    # --- JSON ---------------------------------------------------------------------------

    def cases(self) -> dict[str, dict[str, dict]]:
        """``{case_id: {commitment: figures of its latest cycle}}``, cases in log order."""
        out: dict[str, dict[str, dict]] = {}
        for run in self.runs:
            for case_id, figures in self._case_figures(run):
                out.setdefault(case_id, {})[run.commitment.code] = figures
        order = {case_id: i for i, case_id in enumerate(self.ids.astype(str))}
        return dict(sorted(out.items(), key=lambda item: order[item[0]]))

    def _case_figures(self, run):
        """(case id, figures of its latest cycle) per case; every column is turned into
        Python values once (ISO strings by numpy), then only looked up per case."""
        c, cm, s = run.cycles, run.commitment, run.steps
        state, on_time = s.remedy_state(self.at)
        codes = [step.code for step in cm.ladder]
        owes = [step.owes_remedy for step in cm.ladder]
        by_row: dict[int, list[int]] = {}
        for k, r in enumerate(s.row.tolist()):
            by_row.setdefault(r, []).append(k)
        started, stopped, due, breached = isos(c.started), isos(c.stopped), isos(c.due_at), isos(c.crossed[0])
        next_at, next_check = isos(run.next_step_at), isos(self._next_check(run))
        elapsed, paused, remaining = secs(c.elapsed), secs(c.paused), secs(cm.limit - c.elapsed)
        outcome, cstate, cycle, next_step = c.outcome.tolist(), c.state.tolist(), c.cycle.tolist(), run.next_step.tolist()
        step_of, reached_at, respond_by, delivered = s.step.tolist(), isos(s.reached), isos(s.respond_by), isos(s.delivered)
        state, on_time = state.tolist(), on_time.tolist()
        ids = self.ids.astype(str)[c.case].tolist()
        limit = round(float(cm.limit), 3)
        last = np.r_[np.flatnonzero(np.diff(c.case)), len(c.case) - 1] if len(c.case) else np.zeros(0, int)
        first = np.r_[0, last[:-1] + 1] if len(last) else last
        for lo, r in zip(first.tolist(), last.tolist()):
            reached = by_row.get(r, ())
            remedies = [_remedy(cm.ladder[step_of[k]], reached_at[k], respond_by[k], delivered[k], state[k], on_time[k]) for k in reached if owes[step_of[k]]]
            is_open = cstate[r] != 0
            figures: dict[str, Any] = {
                "status": STATUS[outcome[r]],
                "open": is_open,
                "paused": cstate[r] == PAUSED,
                "cycle": cycle[r],
                "started_at": started[r],
                "stopped_at": stopped[r],
                "elapsed_seconds": elapsed[r],
                "paused_seconds": paused[r],
                "limit_seconds": limit,
                "remaining_seconds": remaining[r],
                "due_at": due[r],
                "breached_at": breached[r],
                "overdue": (is_open and outcome[r] == BREACHED) or any(m["status"] == "overdue" for m in remedies),
                "steps": [codes[step_of[k]] for k in reached],
                "reached": {codes[step_of[k]]: reached_at[k] for k in reached},
                "remedies_due": remedies,
                "next_step": None if next_step[r] < 0 else {"code": codes[next_step[r]], "at": next_at[r]},
                "next_check_at": next_check[r],
            }
            if r > lo:
                figures["previous_cycles"] = [
                    {"cycle": cycle[p], "status": STATUS[outcome[p]], "started_at": started[p], "stopped_at": stopped[p],
                     "elapsed_seconds": elapsed[p], "steps": [codes[step_of[k]] for k in by_row.get(p, ())]}
                    for p in range(lo, r)
                ]
            yield ids[r], figures

    # --- rates --------------------------------------------------------------------------

    def on_time_rates(self, by: Sequence[str] = (), period: str | None = None, started: tuple[float | None, float | None] = (None, None)) -> dict[str, dict]:
        """Per commitment ``{"rate", "n", "met", "breached"}`` over decided cycles, and with
        ``by`` (``period`` of the cycle's start, ``touchpoint``, ``case_type``,
        ``customer_id`` or a case attribute) the same per group under ``groups``.
        ``started`` (epoch seconds, from inclusive, to exclusive; None = open) keeps the
        cycles started in that window. Raises ``core.scoring.ScoringInputError`` for an
        unknown ``by`` or period."""
        out: dict[str, dict] = {}
        lo, hi = started
        for run in self.runs:
            c = run.cycles
            decided = (c.outcome == MET) | (c.outcome == BREACHED)
            if lo is not None:
                decided &= c.started >= lo
            if hi is not None:
                decided &= c.started < hi
            met = c.outcome == MET
            figures = _rate(int(met.sum()), int(decided.sum()))
            if by:
                frame = self._group_frame(c, decided)
                grouping = group_rows(frame, by, period, ())
                n = np.bincount(grouping.codes, minlength=grouping.count)
                m = np.bincount(grouping.codes, weights=met[decided].astype(float), minlength=grouping.count)
                figures["groups"] = {label: _rate(int(m[g]), int(n[g])) for g, label in enumerate(grouping.labels) if n[g]}
            out[run.commitment.code] = figures
        return out

    def _group_frame(self, c, decided: np.ndarray) -> pd.DataFrame:
        cases = c.case[decided]
        columns = {name: self.fields[name][cases] for name in ("case_type", "customer_id", "touchpoint")}
        attributes = pd.DataFrame([dict(a or {}) for a in self.fields["attributes"][cases]], index=range(len(cases)))
        frame = pd.DataFrame(columns)
        for name in attributes.columns:
            if name not in frame.columns:
                frame[name] = attributes[name].to_numpy()
        frame[DATE_COLUMN] = _stamps(c.started[decided])
        return frame


def _rate(met: int, n: int) -> dict:
    return {"rate": (met / n) if n else None, "n": n, "met": met, "breached": n - met}


def _remedy(step, reached_at, respond_by, delivered_at, state: str, on_time) -> dict:
    return {
        "step": step.code,
        "remedy": step.remedy,
        **({"remedy_zh": step.remedy_zh} if step.remedy_zh else {}),
        **({"percent_off": step.percent_off} if step.percent_off is not None else {}),
        "reached_at": reached_at,
        "respond_by": respond_by,
        "delivered_at": delivered_at,
        "status": state,
        "on_time": on_time,
    }


def _stamps(t: np.ndarray) -> pd.DatetimeIndex:
    values = np.where(np.isnan(t), np.iinfo(np.int64).min, np.round(np.nan_to_num(t) * 1e6)).astype(np.int64)
    return pd.DatetimeIndex(values.astype("datetime64[us]")).tz_localize("UTC")
