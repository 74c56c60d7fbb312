"""Reading time-limit commitments over stored cases: one case's clocks, on-time rates.

Both recompute every figure from the stored event logs at the instant asked about (events
after it are not yet known), with the tenant's latest configuration, through the same
engine call and the same report (``core.commitments.report``) as ``csm cases evaluate``:
a case's figures here are the ones the offline command prints for the same events.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.alerts.commitments import figures_at
from core.commitments.report import iso
from core.db.base import utcnow
from core.db.repositories import CaseRepository
from core.operations.cases import customers_of, get_case, latest_config
from core.scoring import ScoringInputError

# Cases read per query while gathering a tenant's logs for its on-time rates.
READ_CHUNK = 5000


def case_with_figures(session: Session, tenant_id: int, case_id: str, at: datetime | None = None) -> dict:
    """The stored case, its event log and, per commitment that applies to it, the figures
    of its latest cycle at ``at`` (default now); NotFound for an unknown case."""
    at = at or utcnow()
    case, events = get_case(session, tenant_id, case_id)
    snapshots = list(CaseRepository(session).snapshots(tenant_id, [case.id]).values())
    figures = figures_at(latest_config(session, tenant_id), snapshots, at, customers_of(session, tenant_id, snapshots))
    commitments = {} if figures is None else figures.cases().get(case.case_id, {})
    return {"case": case, "events": events, "at": iso(at.timestamp()), "commitments": commitments}


def on_time_rates(session: Session, tenant_id: int, by: tuple[str, ...] = (), period: str | None = None,
                  start: datetime | None = None, end: datetime | None = None, at: datetime | None = None) -> dict:
    """Per commitment, met cycles over decided ones (``n``) among the cycles started in
    [start, end), overall and per group of ``by``; ScoringInputError names a bad ``by``
    or ``period``."""
    if period is not None and "period" not in by:
        raise ScoringInputError(f"period={period!r} was given but 'period' is not in by", "period")
    at = at or utcnow()
    repo = CaseRepository(session)
    ids = repo.all_ids(tenant_id)
    snapshots = []
    for i in range(0, len(ids), READ_CHUNK):
        snapshots.extend(repo.snapshots(tenant_id, ids[i : i + READ_CHUNK]).values())
    figures = figures_at(latest_config(session, tenant_id), snapshots, at, customers_of(session, tenant_id, snapshots))
    window = (start.timestamp() if start else None, end.timestamp() if end else None)
    rates = {} if figures is None else figures.on_time_rates(by=by, period=period, started=window)
    return {
        "at": iso(at.timestamp()),
        "from": iso(window[0]) if start else None,
        "to": iso(window[1]) if end else None,
        "group_by": list(by),
        "period": period,
        "commitments": rates,
    }
