"""The interface between stored cases and whatever computes their clocks.

The sweep and the event ingest call a ``CaseEvaluator`` with the tenant's compiled
configuration, a batch of cases as their logs have them, the instant to evaluate at and
the fields of the cases' customers (``customer.*`` in conditions). It answers, per case
and in the order given, the alerts the case deserves by then (each with a stable dedup
key, so answering the same ones again raises nothing) and when the case next needs
looking at although no event arrives (a step falling due), or None when nothing can
happen before the next event. A batch, so that an engine vectorised across cases is
called once per batch, not once per case.

``core.alerts.commitments.commitment_alerts`` is the default: the tenant's time-limit
commitments (``core.commitments``). ``no_commitments`` raises nothing; ``Deadline`` is
the smallest honest evaluator, one clock with one limit and no configuration, which the
worker tests use to see a step fall due within seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping, Protocol, Sequence

from core.alerts.model import BREACHED, AlertCandidate, CaseSnapshot

Customers = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Evaluation:
    alerts: tuple[AlertCandidate, ...] = ()
    next_check_at: datetime | None = None


class CaseEvaluator(Protocol):
    def __call__(self, config: Any, cases: Sequence[CaseSnapshot], at: datetime, customers: Customers | None = None) -> list[Evaluation]:
        """``config``: the tenant's compiled configuration (None when it has none);
        ``customers``: customer id → fields; one Evaluation per case, in order."""
        ...


def no_commitments(config: Any, cases: Sequence[CaseSnapshot], at: datetime, customers: Customers | None = None) -> list[Evaluation]:
    """Nothing is promised, so nothing is overdue and nothing needs a later look."""
    return [Evaluation() for _ in cases]


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

    def __call__(self, config: Any, cases: Sequence[CaseSnapshot], at: datetime, customers: Customers | None = None) -> list[Evaluation]:
        return [self.one(case, at) for case in cases]

    def one(self, case: CaseSnapshot, at: datetime) -> Evaluation:
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
