"""Plain, immutable records that repositories return instead of ORM rows.

A detached ORM row can lazy-load, be modified by accident, or leak a column (like a key
hash) into an API response; these cannot. They carry exactly what callers may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Tenant:
    id: int
    slug: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class ApiKey:
    """An API key's metadata; the secret itself is shown once, at creation, and never stored."""

    id: int
    tenant_id: int
    name: str
    prefix: str
    role: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class AuthenticatedKey:
    """Who is calling: the outcome of a successful key check."""

    key_id: int
    tenant_id: int
    tenant_slug: str
    role: str


@dataclass(frozen=True)
class ConfigVersion:
    """One stored configuration version. ``document`` is the resolved configuration."""

    id: int
    tenant_id: int
    version: int
    indicator_set_code: str
    yaml_text: str
    document: dict[str, Any]
    checksum: str
    created_at: datetime
    created_by_key_id: int | None


@dataclass(frozen=True)
class AuditEvent:
    """One audited change: who (key id and a readable actor), when, what, on which target."""

    id: int
    tenant_id: int
    at: datetime
    actor_key_id: int | None
    actor: str
    action: str
    target: str
    details: dict[str, Any]


@dataclass(frozen=True)
class TenantPlugin:
    """A plugin enabled for a tenant: when, and by which key (None: the CLI or the operator)."""

    tenant_id: int
    plugin: str
    enabled_at: datetime
    enabled_by_key_id: int | None


@dataclass(frozen=True)
class Case:
    """A stored case (without its events)."""

    id: int
    case_id: str
    case_type: str | None
    customer_id: str | None
    touchpoint: str | None
    opened_at: datetime | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    next_check_at: datetime | None


@dataclass(frozen=True)
class StoredEvent:
    event_id: str  # the sender's event_id, or type@time when none was sent
    type: str
    at: datetime
    attributes: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True)
class Alert:
    id: int
    kind: str
    dedup_key: str
    case_id: str | None
    customer_id: str | None
    occurred_at: datetime
    raised_at: datetime
    payload: dict[str, Any]
    acknowledged_at: datetime | None
    acknowledged_by_key_id: int | None


@dataclass(frozen=True)
class WebhookEndpoint:
    """A registered endpoint; its secret is never part of it (shown once, when made)."""

    id: int
    url: str
    description: str
    kinds: list[str] | None
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class WebhookAttempt:
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class WebhookDelivery:
    id: int
    endpoint_id: int
    alert_id: int
    message_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    log: tuple[WebhookAttempt, ...] = ()


@dataclass(frozen=True)
class Customer:
    id: int
    customer_id: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CustomerGrade:
    """A customer's grade for a period: ``inputs`` are the attributes it was computed
    from, ``config_version`` the configuration that computed it; grade None = ungraded."""

    customer_id: str
    period: str
    grade: str | None
    score: float | None
    inputs: dict[str, Any]
    config_version: int
    graded_at: datetime


@dataclass(frozen=True)
class ServiceRequest:
    id: int
    customer_id: str
    service: str
    requested_at: datetime
    outcome: str
    grade: str | None
    period: str
    config_version: int
    recorded_at: datetime


@dataclass(frozen=True)
class Purchase:
    purchase_id: str
    customer_id: str
    purchased_at: datetime
    amount: float
    category_spend: float | None
    recorded_at: datetime
