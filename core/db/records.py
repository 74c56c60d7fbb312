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
