"""Alerts: inserted at most once per (tenant, dedup key), listed, acknowledged."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.alerts import AlertCandidate
from core.db.records import Alert
from core.db.repositories.keysets import chunks, insert_ignoring_conflicts, matches
from core.db.tables import AlertRow
from core.db.tenancy import scoped


def to_alert(row: AlertRow) -> Alert:
    return Alert(row.id, row.kind, row.dedup_key, row.case_key, row.customer_id, row.occurred_at, row.raised_at, json.loads(row.payload), row.acknowledged_at, row.acknowledged_by_key_id)


@dataclass(frozen=True)
class AlertFilter:
    kind: str | None = None
    since: datetime | None = None  # raised_at >= since
    until: datetime | None = None  # raised_at < until
    acknowledged: bool | None = None
    case_id: str | None = None


class AlertRepository:
    def __init__(self, session: Session):
        self.session = session

    def insert_new(self, tenant_id: int, candidates: Sequence[AlertCandidate], now: datetime) -> list[Alert]:
        """Insert the candidates whose dedup key this tenant has not raised yet; return
        those, as stored. A key raised meanwhile by a concurrent transaction is skipped by
        the database (ON CONFLICT DO NOTHING), so a key is never stored twice."""
        wanted = {c.dedup_key: c for c in candidates}  # the first candidate of a key wins
        if not wanted:
            return []
        before = self._existing(tenant_id, list(wanted))
        fresh = [c for key, c in wanted.items() if key not in before]
        if not fresh:
            return []
        self.session.execute(
            insert_ignoring_conflicts(self.session, AlertRow.__table__),
            [
                {
                    "tenant_id": tenant_id,
                    "kind": c.kind,
                    "dedup_key": c.dedup_key,
                    "case_key": c.case_id,
                    "customer_id": c.customer_id,
                    "occurred_at": c.occurred_at,
                    "raised_at": now,
                    "payload": json.dumps(c.payload, ensure_ascii=False, sort_keys=True, default=str),
                }
                for c in fresh
            ],
        )
        keys = [c.dedup_key for c in fresh]
        rows = []
        for chunk in chunks(keys):
            stmt = select(AlertRow).where(scoped(self.session, AlertRow.tenant_id, tenant_id), matches(self.session, AlertRow.dedup_key, chunk), AlertRow.id.not_in(before.values()) if before else AlertRow.id.is_not(None))
            rows.extend(self.session.scalars(stmt))
        return sorted((to_alert(r) for r in rows), key=lambda a: a.id)

    def _existing(self, tenant_id: int, keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in chunks(keys):
            stmt = select(AlertRow.dedup_key, AlertRow.id).where(scoped(self.session, AlertRow.tenant_id, tenant_id), matches(self.session, AlertRow.dedup_key, chunk))
            found.update({k: v for k, v in self.session.execute(stmt)})
        return found

    def _filtered(self, tenant_id: int, f: AlertFilter):
        stmt = select(AlertRow).where(scoped(self.session, AlertRow.tenant_id, tenant_id))
        if f.kind is not None:
            stmt = stmt.where(AlertRow.kind == f.kind)
        if f.since is not None:
            stmt = stmt.where(AlertRow.raised_at >= f.since)
        if f.until is not None:
            stmt = stmt.where(AlertRow.raised_at < f.until)
        if f.acknowledged is not None:
            stmt = stmt.where(AlertRow.acknowledged_at.is_not(None) if f.acknowledged else AlertRow.acknowledged_at.is_(None))
        if f.case_id is not None:
            stmt = stmt.where(AlertRow.case_key == f.case_id)
        return stmt

    def count(self, tenant_id: int, f: AlertFilter = AlertFilter()) -> int:
        return int(self.session.scalar(select(func.count()).select_from(self._filtered(tenant_id, f).subquery())) or 0)

    def list_page(self, tenant_id: int, f: AlertFilter = AlertFilter(), limit: int | None = 50, offset: int = 0) -> list[Alert]:
        """Newest raised first (then newest id)."""
        stmt = self._filtered(tenant_id, f).order_by(AlertRow.raised_at.desc(), AlertRow.id.desc()).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [to_alert(r) for r in self.session.scalars(stmt)]

    def get(self, tenant_id: int, alert_id: int) -> Alert | None:
        row = self._row(tenant_id, alert_id)
        return None if row is None else to_alert(row)

    def _row(self, tenant_id: int, alert_id: int) -> AlertRow | None:
        return self.session.scalar(select(AlertRow).where(scoped(self.session, AlertRow.tenant_id, tenant_id), AlertRow.id == alert_id))

    def acknowledge(self, tenant_id: int, alert_id: int, key_id: int | None, now: datetime) -> Alert | None:
        """Mark acknowledged (the first acknowledgement is kept); None if no such alert."""
        row = self._row(tenant_id, alert_id)
        if row is None:
            return None
        if row.acknowledged_at is None:
            row.acknowledged_at, row.acknowledged_by_key_id = now, key_id
            self.session.flush()
        return to_alert(row)
