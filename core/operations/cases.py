"""Cases and their events: ingest (bulk, all or nothing), evaluation, the sweep.

Ingest stores a batch and, in the same transaction, evaluates every case it touched: the
alerts those cases now deserve are raised (``raise_alerts``) and each case's next check
recorded, so an event and the alert it causes commit together. The sweep evaluates the
cases whose next check has come, for the steps that fall due while no event arrives.
Either way a case is evaluated from its whole stored log, and raising is idempotent by
dedup key: evaluating twice, or sweeping twice, raises nothing twice.

The evaluator is ``session.info[EVALUATOR_KEY]`` (``core.alerts.evaluation``; default:
``core.alerts.commitments.commitment_alerts``, the tenant's time-limit commitments), called
once per batch of cases with the tenant's latest configuration. What conditions read as
``customer.*`` comes from ``session.info[CUSTOMER_FIELDS_KEY]`` (a ``CustomerFields``:
session, tenant id, customer ids → customer id → fields, the grade among them); the
default is ``core.operations.customers.customer_fields``: the stored customer's attributes
and the grade in force now (a case whose customer is not stored sees only ``customer.id``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from core.alerts import CaseEvaluator, CaseSnapshot, Customers
from core.alerts.commitments import commitment_alerts
from core.batch import Context, parse_items, prepare
from core.commitments.conditions import codes_named
from core.db.base import utcnow
from core.db.records import Alert, Case, StoredEvent
from core.db.repositories import CaseRepository
from core.ingest import CASE_EVENTS, CASES
from core.operations.alerts import raise_alerts
from core.operations.base import NotFound, NothingToUse
from core.operations.configuration import config_of, config_version
from core.operations.customers import customer_fields

EVALUATOR_KEY = "csm.case_evaluator"
CUSTOMER_FIELDS_KEY = "csm.customer_fields"
# (session, tenant id, customer ids) → customer id → the fields conditions read as customer.*
CustomerFields = Callable[[Session, int, Sequence[str]], Customers]
# Cases evaluated per sweep transaction of one tenant.
SWEEP_CHUNK = 1000


@dataclass(frozen=True)
class CaseIngestResult:
    accepted: int
    created: int
    updated: int
    unchanged: int
    alerts_raised: int
    unknown_types: list[str]


def _now(now: datetime | None) -> datetime:
    return now or utcnow()


def ingest_cases(session: Session, tenant_id: int, items: list, max_rows: int | None, now: datetime | None = None) -> CaseIngestResult:
    """Store cases (each replaces its stored record), all or nothing."""
    now = _now(now)
    rows = prepare(CASES, parse_items(CASES, items, None, max_rows), Context(None, pd.Timestamp(now)))
    done = CaseRepository(session).upsert(tenant_id, rows)
    raised = evaluate_cases(session, tenant_id, done.case_ids, now)
    return CaseIngestResult(len(rows), done.created, done.updated, done.unchanged, len(raised), _unknown(session, tenant_id, rows.frame["case_type"]))


def ingest_events(session: Session, tenant_id: int, items: list, max_rows: int | None, now: datetime | None = None) -> CaseIngestResult:
    """Store case events (new, corrected or unchanged), all or nothing."""
    now = _now(now)
    rows = prepare(CASE_EVENTS, parse_items(CASE_EVENTS, items, None, max_rows), Context(None, pd.Timestamp(now)))
    done = CaseRepository(session).upsert_events(tenant_id, rows)
    raised = evaluate_cases(session, tenant_id, done.case_ids, now)
    return CaseIngestResult(len(rows), done.created, done.updated, done.unchanged, len(raised), _unknown(session, tenant_id, rows.frame["type"]))


def _unknown(session: Session, tenant_id: int, types: pd.Series) -> list[str]:
    """The types of a stored batch that no commitment of the latest configuration names
    (``core.commitments.conditions.codes_named``): stored all the same, since conditions
    may read any of them (``case.events``) and a later configuration may name them, but
    told, so a misspelt type does not silently leave a clock running."""
    config = latest_config(session, tenant_id)
    known = codes_named(config.section("commitments") if config is not None else ())
    return sorted(set(types.dropna().astype(str)) - known)


def customers_of(session: Session, tenant_id: int, snapshots: Iterable[CaseSnapshot], customers: CustomerFields | None = None) -> Customers:
    """The fields of these cases' customers, through the hook (argument, else session)."""
    hook: CustomerFields = customers or session.info.get(CUSTOMER_FIELDS_KEY, customer_fields)
    ids = sorted({s.customer_id for s in snapshots if s.customer_id})
    return hook(session, tenant_id, ids) if ids else {}


def latest_config(session: Session, tenant_id: int):
    """The tenant's latest compiled configuration, or None when it has none yet."""
    try:
        return config_of(session, config_version(session, tenant_id))
    except NothingToUse:
        return None


def evaluate_cases(session: Session, tenant_id: int, case_ids: Iterable[int], at: datetime, customers: CustomerFields | None = None) -> list[Alert]:
    """Evaluate these cases at ``at`` in one evaluator call: raise what they deserve,
    record their next checks."""
    ids = sorted(set(case_ids))
    if not ids:
        return []
    evaluator: CaseEvaluator = session.info.get(EVALUATOR_KEY, commitment_alerts)
    repo = CaseRepository(session)
    config = latest_config(session, tenant_id)
    snapshots = repo.snapshots(tenant_id, ids)
    outcomes = evaluator(config, list(snapshots.values()), at, customers_of(session, tenant_id, snapshots.values(), customers))
    candidates, next_checks = [], {}
    for case_id, outcome in zip(snapshots, outcomes):
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
