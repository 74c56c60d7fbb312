"""The plugins each tenant enabled, under row-level security like every tenant table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

``tenant_plugins`` holds one row per (tenant, plugin): who enabled it and when. On
PostgreSQL it gets what migration 0003 gave the other tenant tables: ENABLE and FORCE ROW
LEVEL SECURITY and the one policy, for every command,

    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer

so ``csm create-app-role`` (which grants only tables with forced row-level security)
grants it too. Dropping the table drops its policy with it. Written out here rather than
imported, so the migration keeps meaning what it meant when it shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "tenant_plugins"
CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::integer"
POLICY = "tenant_isolation"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE", name="fk_tenant_plugins_tenant_id_tenants"),
            nullable=False,
        ),
        sa.Column("plugin", sa.String(100), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.Column(
            "enabled_by_key_id",
            sa.Integer(),
            sa.ForeignKey("api_keys.id", ondelete="SET NULL", name="fk_tenant_plugins_enabled_by_key_id_api_keys"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tenant_plugins"),
        sa.UniqueConstraint("tenant_id", "plugin", name="uq_tenant_plugins_tenant_id_plugin"),
    )
    if op.get_bind().dialect.name != "postgresql":
        return  # no row-level security in SQLite; the repositories' filter protects it
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {POLICY} ON {TABLE} USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})")


def downgrade() -> None:
    op.drop_table(TABLE)
