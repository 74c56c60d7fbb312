"""The jobs the worker runs, over a database and settings; no queue in sight.

``sweep_all`` evaluates, tenant by tenant, the cases whose next check has come (each chunk
of ``SWEEP_CHUNK`` cases its own transaction, bound to its tenant); ``dispatch_all`` finds
the deliveries due in every tenant's outbox; ``deliver_all`` sends some of one tenant's.
Tenants are listed through the one cross-tenant lookup (``TenantRepository.list``), and
every transaction touching a tenant's rows is bound to it, so on PostgreSQL row-level
security holds for the worker as for the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.db import make_engine, make_session_factory, unit_of_work
from core.db.repositories import TenantRepository
from core.db.tenancy import bind_tenant
from core.operations import cases, webhooks
from core.operations.alerts import NOTIFY_KEY

log = logging.getLogger(__name__)

# Chunks of cases one tenant's sweep may take in one run; the rest waits for the next run,
# so one tenant with a backlog cannot hold the others up.
MAX_SWEEP_CHUNKS = 20


@dataclass
class WorkerState:
    settings: Mapping[str, Any]
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def build(cls, settings: Mapping[str, Any], evaluator=None, notify: Callable[[int, list[int]], None] | None = None) -> "WorkerState":
        """The engine and sessions of one worker process; sessions carry the case
        evaluator and the notifier that queues deliveries once alerts commit."""
        from core.operations.configuration import session_info
        from core.plugins import IndustryRegistry, get_plugin_manager

        engine = make_engine(settings["DATABASE_URL"])
        info = {**session_info(IndustryRegistry(get_plugin_manager())), NOTIFY_KEY: notify}
        if evaluator is not None:
            info[cases.EVALUATOR_KEY] = evaluator
        return cls(settings, engine, make_session_factory(engine, info))


def tenant_ids(state: WorkerState) -> list[int]:
    with unit_of_work(state.sessions) as session:
        return [t.id for t in TenantRepository(session).list()]


def sweep_all(state: WorkerState, now: datetime | None = None) -> dict[int, int]:
    """Sweep every tenant; tenant id → alerts raised (tenants that raised any)."""
    raised: dict[int, int] = {}
    for tenant_id in tenant_ids(state):
        for _ in range(MAX_SWEEP_CHUNKS):
            with unit_of_work(state.sessions) as session:
                bind_tenant(session, tenant_id)
                looked_at, alerts = cases.sweep_tenant(session, tenant_id, now)
            if alerts:
                raised[tenant_id] = raised.get(tenant_id, 0) + len(alerts)
            if looked_at < cases.SWEEP_CHUNK:
                break
    if raised:
        log.info("sweep raised %s", ", ".join(f"{n} alert(s) for tenant {t}" for t, n in raised.items()))
    return raised


def dispatch_all(state: WorkerState, now: datetime | None = None) -> dict[int, list[int]]:
    """Every tenant's deliveries due now: tenant id → delivery ids."""
    due: dict[int, list[int]] = {}
    for tenant_id in tenant_ids(state):
        with unit_of_work(state.sessions) as session:
            bind_tenant(session, tenant_id)
            ids = webhooks.due_deliveries(session, tenant_id, now)
        if ids:
            due[tenant_id] = ids
    return due


def deliver_all(state: WorkerState, tenant_id: int, delivery_ids: list[int], now: datetime | None = None) -> int:
    """One attempt of each delivery still due; how many were attempted."""
    attempted = 0
    for delivery_id in delivery_ids:
        if webhooks.deliver(state.sessions, tenant_id, delivery_id, state.settings, now) is not None:
            attempted += 1
    return attempted
