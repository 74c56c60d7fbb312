"""The plugins each tenant enabled: one row per (tenant, plugin), deleted to disable."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.errors import UnknownApiKey
from core.db.records import TenantPlugin
from core.db.tables import ApiKeyRow, TenantPluginRow
from core.db.tenancy import scoped


def to_tenant_plugin(row: TenantPluginRow) -> TenantPlugin:
    return TenantPlugin(tenant_id=row.tenant_id, plugin=row.plugin, enabled_at=row.enabled_at, enabled_by_key_id=row.enabled_by_key_id)


class TenantPluginRepository:
    def __init__(self, session: Session):
        self.session = session

    def list(self, tenant_id: int) -> list[TenantPlugin]:
        """The tenant's enabled plugins, by name."""
        rows = self.session.scalars(
            select(TenantPluginRow).where(scoped(self.session, TenantPluginRow.tenant_id, tenant_id)).order_by(TenantPluginRow.plugin)
        )
        return [to_tenant_plugin(r) for r in rows]

    def names(self, tenant_id: int) -> frozenset[str]:
        return frozenset(
            self.session.scalars(select(TenantPluginRow.plugin).where(scoped(self.session, TenantPluginRow.tenant_id, tenant_id)))
        )

    def get(self, tenant_id: int, plugin: str) -> TenantPlugin | None:
        row = self._row(tenant_id, plugin)
        return to_tenant_plugin(row) if row is not None else None

    def enable(self, tenant_id: int, plugin: str, enabled_by_key_id: int | None = None) -> tuple[TenantPlugin, bool]:
        """Enable ``plugin`` for the tenant; returns (the record, whether it was new).

        Enabling twice keeps the first record. Two requests enabling the same plugin at once:
        the unique (tenant_id, plugin) lets one insert win; the other, inside a savepoint so
        the caller's transaction survives, then finds the winner's row.
        """
        found = self._row(tenant_id, plugin)
        if found is not None:
            return to_tenant_plugin(found), False
        if enabled_by_key_id is not None:
            owner = self.session.scalar(select(ApiKeyRow.tenant_id).where(ApiKeyRow.id == enabled_by_key_id))
            if owner != tenant_id:
                raise UnknownApiKey(f"tenant {tenant_id} has no API key {enabled_by_key_id}")
        row = TenantPluginRow(tenant_id=tenant_id, plugin=plugin, enabled_by_key_id=enabled_by_key_id)
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            found = self._row(tenant_id, plugin)
            if found is None:
                raise
            return to_tenant_plugin(found), False
        return to_tenant_plugin(row), True

    def disable(self, tenant_id: int, plugin: str) -> bool:
        """Disable ``plugin`` for the tenant; False if it was not enabled."""
        result = self.session.execute(
            delete(TenantPluginRow).where(scoped(self.session, TenantPluginRow.tenant_id, tenant_id), TenantPluginRow.plugin == plugin)
        )
        return result.rowcount > 0

    def _row(self, tenant_id: int, plugin: str) -> TenantPluginRow | None:
        return self.session.scalars(
            select(TenantPluginRow).where(scoped(self.session, TenantPluginRow.tenant_id, tenant_id), TenantPluginRow.plugin == plugin)
        ).first()
