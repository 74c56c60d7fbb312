"""Tenants: create one with its first admin key."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.db.records import ApiKey, Tenant
from core.db.repositories import TenantRepository
from core.operations import audit, keys
from core.operations.base import OPERATOR, Actor
from core.roles import ADMIN


def create_tenant(session: Session, slug: str, name: str, key_name: str = "first admin key", actor: Actor = OPERATOR) -> tuple[Tenant, ApiKey, str]:
    """A new tenant and its first admin key (the plaintext is returned once, never stored)."""
    tenant = TenantRepository(session).create(slug, name)
    audit.record(session, tenant.id, actor, "tenant.create", slug, name=name)
    key, plaintext = keys.create_key(session, tenant.id, key_name, ADMIN, actor)
    return tenant, key, plaintext
