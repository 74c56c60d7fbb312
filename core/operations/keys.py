"""API keys: create, revoke, change role; every change is audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.db.records import ApiKey
from core.db.repositories import ApiKeyRepository
from core.operations import audit
from core.operations.base import Actor, NotFound


def create_key(session: Session, tenant_id: int, name: str, role: str, actor: Actor, expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """A new key of the tenant; the plaintext is returned once and never stored."""
    key, plaintext = ApiKeyRepository(session).create(tenant_id, name, role=role, expires_at=expires_at)
    audit.record(session, tenant_id, actor, "key.create", f"key {key.id}", name=name, role=role, expires_at=expires_at)
    return key, plaintext


def get_key(session: Session, tenant_id: int, key_id: int) -> ApiKey:
    """One key of the tenant (never its secret); NotFound for another tenant's."""
    key = ApiKeyRepository(session).get(tenant_id, key_id)
    if key is None:
        raise NotFound(f"key {key_id} not found")
    return key


def revoke_key(session: Session, tenant_id: int, key_id: int, actor: Actor) -> None:
    if not ApiKeyRepository(session).revoke(tenant_id, key_id):
        raise NotFound(f"key {key_id} not found")
    audit.record(session, tenant_id, actor, "key.revoke", f"key {key_id}")


def change_role(session: Session, tenant_id: int, key_id: int, role: str, actor: Actor) -> ApiKey:
    repo = ApiKeyRepository(session)
    before = repo.get(tenant_id, key_id)
    if before is None:
        raise NotFound(f"key {key_id} not found")
    after = repo.set_role(tenant_id, key_id, role)
    audit.record(session, tenant_id, actor, "key.role_change", f"key {key_id}", before=before.role, after=role)
    return after
