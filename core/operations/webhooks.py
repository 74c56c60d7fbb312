"""Webhook endpoints (admin) and delivering the outbox.

Registering or changing an endpoint checks its URL (``core.webhooks.addresses``: no
loopback, private or link-local receivers unless the operator allows them) and audits the
change; the secret is returned once, on creation and on rotation. A rotated-out secret
keeps signing beside the new one for ``WEBHOOK_SECRET_GRACE_HOURS``.

``deliver`` runs one attempt of one delivery in three steps: claim it (a short
transaction taking a lease), POST it outside any transaction, record the outcome (a second
transaction). A worker killed during the POST leaves the lease to run out; then the
delivery is due again and is sent with the same ``webhook-id``: at least once. Retries
wait ``WEBHOOK_RETRY_SECONDS`` × 2^(attempt − 1); after ``WEBHOOK_MAX_ATTEMPTS`` the
delivery has failed, and ``WEBHOOK_DISABLE_AFTER`` failed attempts in a row disable the
endpoint (enabling it again through the API resets the count).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.db.base import utcnow
from core.db.records import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from core.db.repositories import AlertRepository, WebhookRepository
from core.db.tenancy import bind_tenant
from core.export import utc_iso
from core.operations import audit
from core.operations.base import Actor, NotFound
from core.webhooks import addresses, sender, signing


class InvalidWebhookUrl(ValueError):
    """A webhook URL refused: malformed, or resolving to an address that may not be called."""


def check_url(url: str, allow_private: bool) -> str:
    try:
        addresses.check(url, allow_private)
    except addresses.UnsafeUrl as exc:
        raise InvalidWebhookUrl(f"url {exc}") from None
    return url


def _get(session: Session, tenant_id: int, endpoint_id: int) -> WebhookEndpoint:
    found = WebhookRepository(session).get(tenant_id, endpoint_id)
    if found is None:
        raise NotFound(f"webhook endpoint {endpoint_id} does not exist")
    return found


def create_endpoint(session: Session, tenant_id: int, url: str, description: str, kinds: list[str] | None, actor: Actor, allow_private: bool) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (shown this once)."""
    check_url(url, allow_private)
    secret = signing.new_secret()
    endpoint = WebhookRepository(session).create(tenant_id, url, description, kinds, secret, utcnow())
    audit.record(session, tenant_id, actor, "webhook.create", f"webhook {endpoint.id}", url=url, kinds=kinds)
    return endpoint, secret


def list_endpoints(session: Session, tenant_id: int) -> list[WebhookEndpoint]:
    return WebhookRepository(session).list(tenant_id)


def get_endpoint(session: Session, tenant_id: int, endpoint_id: int) -> WebhookEndpoint:
    return _get(session, tenant_id, endpoint_id)


def update_endpoint(session: Session, tenant_id: int, endpoint_id: int, changes: Mapping[str, Any], actor: Actor, allow_private: bool) -> WebhookEndpoint:
    _get(session, tenant_id, endpoint_id)
    if "url" in changes:
        check_url(changes["url"], allow_private)
    endpoint = WebhookRepository(session).update(tenant_id, endpoint_id, utcnow(), **changes)
    audit.record(session, tenant_id, actor, "webhook.update", f"webhook {endpoint_id}", **{k: v for k, v in changes.items()})
    return endpoint


def rotate_secret(session: Session, tenant_id: int, endpoint_id: int, actor: Actor, grace: timedelta) -> tuple[WebhookEndpoint, str]:
    """A new secret (returned once); the old one keeps signing beside it for ``grace``."""
    _get(session, tenant_id, endpoint_id)
    now = utcnow()
    secret = signing.new_secret()
    endpoint = WebhookRepository(session).rotate(tenant_id, endpoint_id, secret, now + grace, now)
    audit.record(session, tenant_id, actor, "webhook.rotate_secret", f"webhook {endpoint_id}")
    return endpoint, secret


def delete_endpoint(session: Session, tenant_id: int, endpoint_id: int, actor: Actor) -> None:
    if not WebhookRepository(session).delete(tenant_id, endpoint_id):
        raise NotFound(f"webhook endpoint {endpoint_id} does not exist")
    audit.record(session, tenant_id, actor, "webhook.delete", f"webhook {endpoint_id}")


def deliveries(session: Session, tenant_id: int, endpoint_id: int, limit: int, offset: int) -> tuple[list[WebhookDelivery], int]:
    _get(session, tenant_id, endpoint_id)
    repo = WebhookRepository(session)
    return repo.deliveries_page(tenant_id, endpoint_id, limit, offset), repo.count_deliveries(tenant_id, endpoint_id)


# --- delivering --------------------------------------------------------------------------


def payload(alert) -> bytes:
    """The POST body: Standard Webhooks' ``type``, ``timestamp`` and ``data``; the same
    bytes on every attempt."""
    body = {
        "type": f"alert.{alert.kind}",
        "timestamp": utc_iso(alert.raised_at),
        "data": {
            "id": alert.id,
            "kind": alert.kind,
            "case_id": alert.case_id,
            "customer_id": alert.customer_id,
            "occurred_at": utc_iso(alert.occurred_at),
            "raised_at": utc_iso(alert.raised_at),
            "payload": alert.payload,
        },
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def retry_at(settings: Mapping[str, Any], attempts: int, now: datetime) -> datetime | None:
    """When attempt ``attempts + 1`` is due (None: no attempt left). Base 30 s: the 2nd
    attempt 30 s after the 1st, the 3rd 60 s after the 2nd, the 4th 120 s after the 3rd."""
    if attempts >= settings["WEBHOOK_MAX_ATTEMPTS"]:
        return None
    return now + timedelta(seconds=settings["WEBHOOK_RETRY_SECONDS"] * 2 ** (attempts - 1))


def due_deliveries(session: Session, tenant_id: int, now: datetime | None = None, limit: int = 1000) -> list[int]:
    return WebhookRepository(session).due(tenant_id, now or utcnow(), limit)


def deliver(sessions: sessionmaker[Session], tenant_id: int, delivery_id: int, settings: Mapping[str, Any], now: datetime | None = None) -> WebhookDelivery | None:
    """One attempt of one delivery (see the module docstring); None when it was not due
    (delivered, failed, held by another worker, endpoint disabled)."""
    now = now or utcnow()
    with sessions.begin() as session:
        bind_tenant(session, tenant_id)
        repo = WebhookRepository(session)
        claimed = repo.claim(tenant_id, delivery_id, now, now + timedelta(seconds=settings["WEBHOOK_LEASE_SECONDS"]))
        if claimed is None:
            return None
        alert = AlertRepository(session).get(tenant_id, claimed.delivery.alert_id)
    body = payload(alert)
    attempt_no = claimed.delivery.attempts
    sent_at = utcnow() if now is None else now
    try:
        target = addresses.check(claimed.url, settings["WEBHOOK_ALLOW_PRIVATE"])
    except addresses.UnsafeUrl as exc:
        outcome = sender.Outcome(None, f"refused before sending: url {exc}"[:500], 0)
    else:
        headers = signing.headers(claimed.secrets, claimed.delivery.message_id, int(sent_at.timestamp()), body)
        outcome = sender.post(target, body, headers, settings["WEBHOOK_TIMEOUT_SECONDS"])
    attempt = WebhookAttempt(attempt_no, sent_at, outcome.status_code, outcome.error, outcome.duration_ms)
    with sessions.begin() as session:
        bind_tenant(session, tenant_id)
        retry = None if outcome.ok else retry_at(settings, attempt_no, sent_at)
        return WebhookRepository(session).finish(tenant_id, delivery_id, attempt, retry, settings["WEBHOOK_DISABLE_AFTER"])
