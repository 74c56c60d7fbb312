"""The audit log: who changed what, when, with which key."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.db.records import AuditEvent
from core.db.repositories import AuditRepository
from core.operations.base import Actor


def record(session: Session, tenant_id: int, actor: Actor, action: str, target: str = "", **details) -> None:
    """Append one event to the tenant's audit log, in the caller's transaction."""
    AuditRepository(session).record(tenant_id, action, actor=actor.label, actor_key_id=actor.key_id, target=target, details=details)


def events(session: Session, tenant_id: int, limit: int | None, offset: int = 0) -> tuple[list[AuditEvent], int]:
    """A page of the tenant's audit log, newest first, and the total number of events."""
    repo = AuditRepository(session)
    return repo.list(tenant_id, limit=limit, offset=offset), repo.count(tenant_id)
