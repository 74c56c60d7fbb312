"""The answer store: one row per ingest batch holding its answers as column arrays.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09

``answer_blocks`` (see ``core.db.tables.AnswerBlockRow`` and ``core.store``) gets what
migration 0003 gave the other tenant tables on PostgreSQL: ENABLE and FORCE ROW LEVEL
SECURITY and the one policy for every command,

    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer

so ``csm create-app-role`` grants it too, and ON DELETE CASCADE from ``tenants`` so a
tenant's deletion takes its blocks with it.

The upgrade then builds the blocks of the responses already stored: per tenant (bound as
the transaction's tenant, since FORCE subjects the owner to the policy too), per
configuration version, blocks of 10,000 responses in id order, with the block layout of
the code running the migration (``core.store``; each block names its layout). Versions
whose stored document no longer builds keep no blocks and score as empty until rebuilt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "answer_blocks"
CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::integer"
POLICY = "tenant_isolation"


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        TABLE,
        sa.Column("id", big_id, nullable=False),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="CASCADE", name="fk_answer_blocks_tenant_id_tenants"), nullable=False),
        sa.Column("config_version_id", sa.Integer(), sa.ForeignKey("config_versions.id", name="fk_answer_blocks_config_version_id_config_versions"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.BigInteger(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.PrimaryKeyConstraint("id", name="pk_answer_blocks"),
    )
    op.create_index("ix_answer_blocks_tenant_id_version_first_at", TABLE, ["tenant_id", "version", "first_at"])
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {POLICY} ON {TABLE} USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})")
    _build_existing(bind, postgres)


def _build_existing(bind, postgres: bool) -> None:
    from core.config import ConfigError
    from core.config.loader import build_config
    from core.db.repositories.answer_blocks import build_blocks

    for (tenant_id,) in bind.execute(sa.text("SELECT id FROM tenants ORDER BY id")).all():
        if postgres:
            bind.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
        versions = bind.execute(
            sa.text(
                "SELECT v.version, v.document FROM config_versions AS v WHERE v.tenant_id = :t "
                "AND EXISTS (SELECT 1 FROM responses AS r WHERE r.tenant_id = v.tenant_id AND r.version = v.version) ORDER BY v.version"
            ),
            {"t": tenant_id},
        ).all()
        for version, document in versions:
            try:
                iset = build_config(json.loads(document)).indicator_set
            except ConfigError:
                continue
            build_blocks(bind, tenant_id, version, iset)
    if postgres:
        bind.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))


def downgrade() -> None:
    op.drop_index("ix_answer_blocks_tenant_id_version_first_at", table_name=TABLE)
    op.drop_table(TABLE)
