"""The interface between stored cases and whatever computes their clocks.

The sweep and the event ingest call a ``CaseEvaluator`` with the tenant's compiled
configuration, one case as its log has it, and the instant to evaluate at. It answers the
alerts the case deserves by then (each with a stable dedup key, so answering the same ones
again raises nothing) and when the case next needs looking at although no event arrives
(a step falling due), or None when nothing can happen before the next event.

``no_commitments`` is the default: with no time-limit commitments there is nothing to
raise. ``Deadline`` is the smallest honest evaluator, one clock with one limit, used where
a real one is not needed (tests, demos); the commitments engine plugs in the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from core.alerts.model import BREACHED, AlertCandidate, CaseSnapshot


@dataclass(frozen=True)
class Evaluation:
    alerts: tuple[AlertCandidate, ...] = ()
    next_check_at: datetime | None = None


class CaseEvaluator(Protocol):
    def __call__(self, config: Any, case: CaseSnapshot, at: datetime) -> Evaluation:
        """``config``: the tenant's compiled configuration (None when it has none)."""
        ...


def no_commitments(config: Any, case: CaseSnapshot, at: datetime) -> Evaluation:
    """Nothing is promised, so nothing is overdue and nothing needs a later look."""
    return Evaluation()


@dataclass(frozen=True)
class Deadline:
    """One clock: it starts at the case's first ``start`` event and stops at the first
    ``stop`` event after it; past ``limit`` without a stop the case is breached.

    Raises one ``breached`` alert per case (dedup key ``breached:<case>:<name>``), dated at
    start + limit; an open clock not yet due asks to be looked at again at that time.
    Example: start at 10:00, limit 10 min, no stop: at 10:05 nothing and next check 10:10;
    at 10:12 one alert occurred at 10:10 and no next check.
    """

    limit: timedelta
    start: str = "opened"
    stop: str = "closed"
    name: str = "deadline"

    def __call__(self, config: Any, case: CaseSnapshot, at: datetime) -> Evaluation:
        started = next((e.at for e in case.events if e.type == self.start), None)
        if started is None:
            return Evaluation()
        stopped = next((e.at for e in case.events if e.type == self.stop and e.at >= started), None)
        due = started + self.limit
        end = stopped if stopped is not None and stopped <= at else at
        if end > due:
            alert = AlertCandidate(
                kind=BREACHED,
                dedup_key=f"breached:{case.case_id}:{self.name}",
                occurred_at=due,
                case_id=case.case_id,
                customer_id=case.customer_id,
                payload={"commitment": self.name, "limit_seconds": self.limit.total_seconds(), "started_at": started.isoformat()},
            )
            return Evaluation((alert,))
        return Evaluation(next_check_at=due if stopped is None or stopped > at else None)
