"""Tenants: create one with its first admin key."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.db.records import ApiKey, Tenant
from core.db.repositories import TenantRepository
from core.db.repositories.tenants import SLUG_PATTERN
from core.db.tenancy import bind_tenant
from core.operations import audit, keys
from core.operations.base import OPERATOR, Actor, NotFound
from core.roles import ADMIN


def create_tenant(session: Session, slug: str, name: str, key_name: str = "first admin key", actor: Actor = OPERATOR) -> tuple[Tenant, ApiKey, str]:
    """A new tenant and its first admin key (the plaintext is returned once, never stored)."""
    tenant = TenantRepository(session).create(slug, name)
    audit.record(session, tenant.id, actor, "tenant.create", slug, name=name)
    key, plaintext = keys.create_key(session, tenant.id, key_name, ADMIN, actor)
    return tenant, key, plaintext


def act_for(session: Session, slug: str) -> Tenant:
    """The tenant with ``slug``, with the session bound to it, so the platform operator can
    act for it (row-level security: nothing of it is visible before). NotFound otherwise;
    a string that cannot be a slug (NUL, which PostgreSQL refuses, ...) names no tenant."""
    tenant = TenantRepository(session).get_by_slug(slug) if SLUG_PATTERN.fullmatch(slug) else None
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}")
    bind_tenant(session, tenant.id)
    return tenant
