"""Webhook endpoints, the delivery outbox and its log.

A delivery row is written in the same transaction as its alert (``enqueue``); a worker
then claims it (``claim``: a lease, so two workers never send the same attempt and a
worker that died only delays it), sends it outside any transaction, and records what
happened (``finish``). Endpoint secrets are read only here, to sign.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from core.db.records import Alert, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from core.db.repositories.keysets import insert_ignoring_conflicts
from core.db.tables import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow
from core.db.tenancy import scoped

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def to_endpoint(row: WebhookEndpointRow) -> WebhookEndpoint:
    return WebhookEndpoint(
        row.id, row.url, row.description, None if row.kinds is None else json.loads(row.kinds), bool(row.enabled), row.disabled_reason,
        row.consecutive_failures, row.previous_secret_expires_at, row.created_at, row.updated_at,
    )


def to_delivery(row: WebhookDeliveryRow) -> WebhookDelivery:
    return WebhookDelivery(row.id, row.endpoint_id, row.alert_id, row.message_id, row.status, row.attempts, row.next_attempt_at, row.last_status_code, row.last_error, row.delivered_at, row.created_at)


@dataclass(frozen=True)
class Claimed:
    """One attempt a worker now holds: where to send what, and with which secrets."""

    delivery: WebhookDelivery
    url: str
    secrets: tuple[str, ...]  # current first, then a rotated-out one still valid


class WebhookRepository:
    def __init__(self, session: Session):
        self.session = session

    # -- endpoints -------------------------------------------------------------------

    def _endpoint_row(self, tenant_id: int, endpoint_id: int) -> WebhookEndpointRow | None:
        return self.session.scalar(select(WebhookEndpointRow).where(scoped(self.session, WebhookEndpointRow.tenant_id, tenant_id), WebhookEndpointRow.id == endpoint_id))

    def create(self, tenant_id: int, url: str, description: str, kinds: list[str] | None, secret: str, now: datetime) -> WebhookEndpoint:
        row = WebhookEndpointRow(tenant_id=tenant_id, url=url, description=description, kinds=None if kinds is None else json.dumps(kinds), secret=secret, enabled=True, consecutive_failures=0, created_at=now, updated_at=now)
        self.session.add(row)
        self.session.flush()
        return to_endpoint(row)

    def list(self, tenant_id: int) -> list[WebhookEndpoint]:
        stmt = select(WebhookEndpointRow).where(scoped(self.session, WebhookEndpointRow.tenant_id, tenant_id)).order_by(WebhookEndpointRow.id)
        return [to_endpoint(r) for r in self.session.scalars(stmt)]

    def get(self, tenant_id: int, endpoint_id: int) -> WebhookEndpoint | None:
        row = self._endpoint_row(tenant_id, endpoint_id)
        return None if row is None else to_endpoint(row)

    def update(self, tenant_id: int, endpoint_id: int, now: datetime, **changes) -> WebhookEndpoint | None:
        """Change url, description, kinds or enabled; enabling again clears the failure
        count and the reason it was disabled."""
        row = self._endpoint_row(tenant_id, endpoint_id)
        if row is None:
            return None
        if "kinds" in changes:
            changes["kinds"] = None if changes["kinds"] is None else json.dumps(changes["kinds"])
        if changes.get("enabled") is True:
            changes.update(consecutive_failures=0, disabled_reason=None)
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = now
        self.session.flush()
        return to_endpoint(row)

    def rotate(self, tenant_id: int, endpoint_id: int, secret: str, previous_valid_until: datetime, now: datetime) -> WebhookEndpoint | None:
        row = self._endpoint_row(tenant_id, endpoint_id)
        if row is None:
            return None
        row.previous_secret, row.previous_secret_expires_at, row.secret, row.updated_at = row.secret, previous_valid_until, secret, now
        self.session.flush()
        return to_endpoint(row)

    def delete(self, tenant_id: int, endpoint_id: int) -> bool:
        row = self._endpoint_row(tenant_id, endpoint_id)
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True

    # -- the outbox ------------------------------------------------------------------

    def enqueue(self, tenant_id: int, alerts: Sequence[Alert], now: datetime) -> list[int]:
        """One pending delivery per alert and enabled endpoint taking its kind; their ids."""
        if not alerts:
            return []
        endpoints = self.session.execute(
            select(WebhookEndpointRow.id, WebhookEndpointRow.kinds).where(scoped(self.session, WebhookEndpointRow.tenant_id, tenant_id), WebhookEndpointRow.enabled.is_(True))
        ).all()
        rows = [
            {"tenant_id": tenant_id, "endpoint_id": endpoint_id, "alert_id": a.id, "message_id": "msg_" + uuid.uuid4().hex, "status": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now}
            for endpoint_id, kinds in endpoints
            for a in alerts
            if kinds is None or a.kind in json.loads(kinds)
        ]
        if not rows:
            return []
        self.session.execute(insert_ignoring_conflicts(self.session, WebhookDeliveryRow.__table__), rows)
        ids = {r["message_id"] for r in rows}
        stmt = select(WebhookDeliveryRow.id, WebhookDeliveryRow.message_id).where(scoped(self.session, WebhookDeliveryRow.tenant_id, tenant_id), WebhookDeliveryRow.created_at == now)
        return sorted(i for i, m in self.session.execute(stmt) if m in ids)

    def due(self, tenant_id: int, now: datetime, limit: int) -> list[int]:
        """Pending deliveries whose time has come, not held by a live lease, to enabled
        endpoints; oldest first."""
        d, e = WebhookDeliveryRow, WebhookEndpointRow
        stmt = (
            select(d.id)
            .join(e, and_(e.id == d.endpoint_id, e.tenant_id == d.tenant_id))
            .where(scoped(self.session, d.tenant_id, tenant_id), d.status == PENDING, d.next_attempt_at <= now, or_(d.lease_until.is_(None), d.lease_until < now), e.enabled.is_(True))
            .order_by(d.next_attempt_at, d.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def claim(self, tenant_id: int, delivery_id: int, now: datetime, lease_until: datetime) -> Claimed | None:
        """Take the next attempt of a due delivery (None when it is not due, delivered,
        failed, held by another worker, or its endpoint is disabled)."""
        d = WebhookDeliveryRow
        taken = self.session.execute(
            update(d)
            .where(scoped(self.session, d.tenant_id, tenant_id), d.id == delivery_id, d.status == PENDING, d.next_attempt_at <= now, or_(d.lease_until.is_(None), d.lease_until < now))
            .values(lease_until=lease_until, attempts=d.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not taken:
            return None
        row = self.session.scalar(select(d).where(scoped(self.session, d.tenant_id, tenant_id), d.id == delivery_id))
        endpoint = self._endpoint_row(tenant_id, row.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            row.lease_until, row.attempts = None, row.attempts - 1
            self.session.flush()
            return None
        valid = [endpoint.secret]
        if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
            valid.append(endpoint.previous_secret)
        return Claimed(to_delivery(row), endpoint.url, tuple(valid))

    def finish(self, tenant_id: int, delivery_id: int, attempt: WebhookAttempt, retry_at: datetime | None, disable_after: int) -> WebhookDelivery:
        """Log the attempt and settle the delivery: delivered, retried at ``retry_at``, or
        (``retry_at`` None) failed for good. The endpoint counts failed attempts in a row
        and is disabled at ``disable_after``; a success resets the count."""
        row = self.session.scalar(select(WebhookDeliveryRow).where(scoped(self.session, WebhookDeliveryRow.tenant_id, tenant_id), WebhookDeliveryRow.id == delivery_id))
        self.session.add(WebhookAttemptRow(tenant_id=tenant_id, delivery_id=delivery_id, attempt=attempt.attempt, at=attempt.at, status_code=attempt.status_code, error=attempt.error, duration_ms=attempt.duration_ms))
        endpoint = self._endpoint_row(tenant_id, row.endpoint_id)
        row.lease_until, row.last_status_code, row.last_error = None, attempt.status_code, attempt.error
        if attempt.error is None:
            row.status, row.delivered_at = DELIVERED, attempt.at
            endpoint.consecutive_failures = 0
        else:
            if retry_at is None:
                row.status = FAILED
            else:
                row.next_attempt_at = retry_at
            endpoint.consecutive_failures += 1
            if endpoint.enabled and endpoint.consecutive_failures >= disable_after:
                endpoint.enabled = False
                endpoint.disabled_reason = f"disabled after {endpoint.consecutive_failures} failed attempts in a row; last: {attempt.error}"[:500]
                endpoint.updated_at = attempt.at
        self.session.flush()
        return to_delivery(row)

    # -- the log ---------------------------------------------------------------------

    def count_deliveries(self, tenant_id: int, endpoint_id: int) -> int:
        d = WebhookDeliveryRow
        return int(self.session.scalar(select(func.count()).select_from(d).where(scoped(self.session, d.tenant_id, tenant_id), d.endpoint_id == endpoint_id)) or 0)

    def deliveries_page(self, tenant_id: int, endpoint_id: int, limit: int | None, offset: int = 0) -> list[WebhookDelivery]:
        """Newest first, each with its attempts (oldest first)."""
        d, a = WebhookDeliveryRow, WebhookAttemptRow
        stmt = select(d).where(scoped(self.session, d.tenant_id, tenant_id), d.endpoint_id == endpoint_id).order_by(d.id.desc()).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        found = [to_delivery(r) for r in self.session.scalars(stmt)]
        if not found:
            return []
        log: dict[int, list[WebhookAttempt]] = {}
        attempts = select(a).where(scoped(self.session, a.tenant_id, tenant_id), a.delivery_id.in_([x.id for x in found])).order_by(a.delivery_id, a.attempt, a.id)
        for r in self.session.scalars(attempts):
            log.setdefault(r.delivery_id, []).append(WebhookAttempt(r.attempt, r.at, r.status_code, r.error, r.duration_ms))
        return [replace(x, log=tuple(log.get(x.id, ()))) for x in found]
