"""Cases and their events: ingest (bulk, all or nothing), evaluation, the sweep.

Ingest stores a batch and, in the same transaction, evaluates every case it touched: the
alerts those cases now deserve are raised (``raise_alerts``) and each case's next check
recorded, so an event and the alert it causes commit together. The sweep evaluates the
cases whose next check has come, for the steps that fall due while no event arrives.
Either way a case is evaluated from its whole stored log, and raising is idempotent by
dedup key: evaluating twice, or sweeping twice, raises nothing twice.

The evaluator is ``session.info[EVALUATOR_KEY]`` (``core.alerts.evaluation``; default:
no commitments, nothing to raise), called with the tenant's latest configuration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from core.alerts import CaseEvaluator, no_commitments
from core.batch import Context, parse_items, prepare
from core.db.base import utcnow
from core.db.records import Alert, Case, StoredEvent
from core.db.repositories import CaseRepository
from core.ingest import CASE_EVENTS, CASES
from core.operations.alerts import raise_alerts
from core.operations.base import NotFound, NothingToUse
from core.operations.configuration import config_of, config_version

EVALUATOR_KEY = "csm.case_evaluator"
# Cases evaluated per sweep transaction of one tenant.
SWEEP_CHUNK = 1000


@dataclass(frozen=True)
class CaseIngestResult:
    accepted: int
    created: int
    updated: int
    unchanged: int
    alerts_raised: int


def _now(now: datetime | None) -> datetime:
    return now or utcnow()


def ingest_cases(session: Session, tenant_id: int, items: list, max_rows: int | None, now: datetime | None = None) -> CaseIngestResult:
    """Store cases (each replaces its stored record), all or nothing."""
    now = _now(now)
    rows = prepare(CASES, parse_items(CASES, items, None, max_rows), Context(None, pd.Timestamp(now)))
    done = CaseRepository(session).upsert(tenant_id, rows)
    raised = evaluate_cases(session, tenant_id, done.case_ids, now)
    return CaseIngestResult(len(rows), done.created, done.updated, done.unchanged, len(raised))


def ingest_events(session: Session, tenant_id: int, items: list, max_rows: int | None, now: datetime | None = None) -> CaseIngestResult:
    """Store case events (new, corrected or unchanged), all or nothing."""
    now = _now(now)
    rows = prepare(CASE_EVENTS, parse_items(CASE_EVENTS, items, None, max_rows), Context(None, pd.Timestamp(now)))
    done = CaseRepository(session).upsert_events(tenant_id, rows)
    raised = evaluate_cases(session, tenant_id, done.case_ids, now)
    return CaseIngestResult(len(rows), done.created, done.updated, done.unchanged, len(raised))


def _latest_config(session: Session, tenant_id: int):
    try:
        return config_of(session, config_version(session, tenant_id))
    except NothingToUse:
        return None


def evaluate_cases(session: Session, tenant_id: int, case_ids: Iterable[int], at: datetime) -> list[Alert]:
    """Evaluate these cases at ``at``: raise what they deserve, record their next checks."""
    ids = sorted(set(case_ids))
    if not ids:
        return []
    evaluator: CaseEvaluator = session.info.get(EVALUATOR_KEY, no_commitments)
    repo = CaseRepository(session)
    config = _latest_config(session, tenant_id)
    candidates, next_checks = [], {}
    for case_id, snapshot in repo.snapshots(tenant_id, ids).items():
        outcome = evaluator(config, snapshot, at)
        candidates.extend(outcome.alerts)
        next_checks[case_id] = outcome.next_check_at
    repo.set_next_checks(tenant_id, next_checks)
    return raise_alerts(session, tenant_id, candidates, at)


def sweep_tenant(session: Session, tenant_id: int, now: datetime | None = None, limit: int = SWEEP_CHUNK) -> tuple[int, list[Alert]]:
    """Evaluate up to ``limit`` cases whose next check has come; (cases looked at, alerts raised)."""
    now = _now(now)
    due = CaseRepository(session).due(tenant_id, now, limit)
    return len(due), evaluate_cases(session, tenant_id, due, now)


def get_case(session: Session, tenant_id: int, case_id: str) -> tuple[Case, list[StoredEvent]]:
    repo = CaseRepository(session)
    found = repo.get(tenant_id, case_id)
    if found is None:
        raise NotFound(f"case {case_id!r} does not exist")
    return found, repo.events(tenant_id, found.id)
