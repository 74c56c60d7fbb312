"""The audit log: append and read, always within one tenant."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.records import AuditEvent
from core.db.tables import AuditEventRow
from core.db.tenancy import scoped


def _to_event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        tenant_id=row.tenant_id,
        at=row.at,
        actor_key_id=row.actor_key_id,
        actor=row.actor,
        action=row.action,
        target=row.target,
        details=json.loads(row.details or "{}"),
    )


class AuditRepository:
    def __init__(self, session: Session):
        self.session = session

    def record(self, tenant_id: int, action: str, *, actor: str, actor_key_id: int | None = None, target: str = "", details: dict[str, Any] | None = None) -> AuditEvent:
        row = AuditEventRow(
            tenant_id=tenant_id,
            action=action,
            actor=actor,
            actor_key_id=actor_key_id,
            target=target,
            details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str),
        )
        self.session.add(row)
        self.session.flush()
        return _to_event(row)

    def list(self, tenant_id: int, limit: int = 50, offset: int = 0) -> list[AuditEvent]:
        """Newest first."""
        rows = self.session.scalars(
            select(AuditEventRow).where(scoped(self.session, AuditEventRow.tenant_id, tenant_id)).order_by(AuditEventRow.id.desc()).limit(limit).offset(offset)
        )
        return [_to_event(r) for r in rows]

    def count(self, tenant_id: int) -> int:
        return self.session.scalar(select(func.count()).select_from(AuditEventRow).where(scoped(self.session, AuditEventRow.tenant_id, tenant_id))) or 0
