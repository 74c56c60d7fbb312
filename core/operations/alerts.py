"""Raising alerts (the one way to), listing and acknowledging them.

``raise_alerts`` stores each candidate whose dedup key the tenant has not raised yet and,
in the same transaction, one pending webhook delivery per enabled endpoint taking its
kind (the transactional outbox): the alert and its deliveries commit together with what
caused them, or not at all, so no process death can lose one or send one that was never
stored. Once the transaction commits, the session's notifier (``NOTIFY_KEY`` in
``session.info``: the worker queue, when there is one) is told which deliveries to send;
should that message be lost, the periodic dispatch finds them in the outbox anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from core.alerts import AlertCandidate
from core.db.base import utcnow
from core.db.records import Alert
from core.db.repositories import AlertFilter, AlertRepository, WebhookRepository
from core.operations import audit
from core.operations.base import Actor, NotFound

log = logging.getLogger(__name__)

# session.info: called after commit with (tenant_id, delivery ids) to send
NOTIFY_KEY = "csm.outbox.notify"
_PENDING = "csm.outbox.pending"
Notify = Callable[[int, list[int]], None]


def raise_alerts(session: Session, tenant_id: int, alerts: Iterable[AlertCandidate], now: datetime | None = None) -> list[Alert]:
    """Store the alerts not raised before (by dedup key) and queue their webhooks, in the
    caller's transaction; returns the alerts raised now (raising the same ones again
    returns [] and changes nothing)."""
    now = now or utcnow()
    raised = AlertRepository(session).insert_new(tenant_id, list(alerts), now)
    deliveries = WebhookRepository(session).enqueue(tenant_id, raised, now)
    _notify_after_commit(session, tenant_id, deliveries)
    return raised


def _notify_after_commit(session: Session, tenant_id: int, deliveries: list[int]) -> None:
    if not deliveries or session.info.get(NOTIFY_KEY) is None:
        return
    session.info.setdefault(_PENDING, []).append((tenant_id, deliveries))
    if not event.contains(session, "after_commit", _send_pending):
        event.listen(session, "after_commit", _send_pending)
        event.listen(session, "after_rollback", _drop_pending)


def _send_pending(session: Session) -> None:
    notify: Notify = session.info[NOTIFY_KEY]
    for tenant_id, deliveries in session.info.pop(_PENDING, []):
        try:
            notify(tenant_id, deliveries)
        except Exception:  # the queue is down: the periodic dispatch sends them later
            log.warning("could not queue %d webhook deliveries of tenant %d; the dispatch will", len(deliveries), tenant_id, exc_info=True)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def list_alerts(session: Session, tenant_id: int, f: AlertFilter, limit: int, offset: int) -> tuple[list[Alert], int]:
    repo = AlertRepository(session)
    return repo.list_page(tenant_id, f, limit, offset), repo.count(tenant_id, f)


def get_alert(session: Session, tenant_id: int, alert_id: int) -> Alert:
    found = AlertRepository(session).get(tenant_id, alert_id)
    if found is None:
        raise NotFound(f"alert {alert_id} does not exist")
    return found


def acknowledge(session: Session, tenant_id: int, alert_id: int, actor: Actor, now: datetime | None = None) -> Alert:
    """Acknowledge an alert; acknowledging it again keeps the first acknowledgement."""
    before = get_alert(session, tenant_id, alert_id)
    alert = AlertRepository(session).acknowledge(tenant_id, alert_id, actor.key_id, now or utcnow())
    if before.acknowledged_at is None:
        audit.record(session, tenant_id, actor, "alert.acknowledge", f"alert {alert_id}", kind=alert.kind)
    return alert
