"""Initial schema: tenants, API keys, configuration versions, responses.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written by hand; constraint names follow the naming convention in core/db/base.py so later
migrations (and SQLite batch mode) can address them by name.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")


def _timestamp(name: str, nullable: bool = False, server_default=None) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=nullable, server_default=server_default
    )


def _tenant_id(table: str) -> sa.Column:
    return sa.Column(
        "tenant_id",
        sa.Integer(),
        sa.ForeignKey(
            "tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"
        ),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _timestamp("created_at", server_default=NOW),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        sa.UniqueConstraint("slug", name="uq_tenants_slug"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        _tenant_id("api_keys"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False, server_default=sa.text("'admin'")),
        _timestamp("created_at", server_default=NOW),
        _timestamp("expires_at", nullable=True),
        _timestamp("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("prefix", name="uq_api_keys_prefix"),
    )
    op.create_index("ix_api_keys_tenant_id", "api_keys", ["tenant_id"])
    op.create_table(
        "config_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        _tenant_id("config_versions"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("indicator_set_code", sa.String(100), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        _timestamp("created_at", server_default=NOW),
        sa.Column(
            "created_by_key_id",
            sa.Integer(),
            sa.ForeignKey(
                "api_keys.id",
                ondelete="SET NULL",
                name="fk_config_versions_created_by_key_id_api_keys",
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_config_versions"),
        sa.UniqueConstraint("tenant_id", "version", name="uq_config_versions_tenant_id_version"),
    )
    op.create_table(
        "responses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        _tenant_id("responses"),
        sa.Column(
            "config_version_id",
            sa.Integer(),
            sa.ForeignKey(
                "config_versions.id", name="fk_responses_config_version_id_config_versions"
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("response_key", sa.String(200), nullable=True),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("touchpoint", sa.String(100), nullable=True),
        _timestamp("collected_at"),
        sa.Column("attributes", sa.Text(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("answers", sa.Text(), nullable=False),
        _timestamp("created_at", server_default=NOW),
        sa.PrimaryKeyConstraint("id", name="pk_responses"),
        sa.UniqueConstraint(
            "tenant_id", "response_key", name="uq_responses_tenant_id_response_key"
        ),
    )
    op.create_index(
        "ix_responses_tenant_id_version_collected_at",
        "responses",
        ["tenant_id", "version", "collected_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_responses_tenant_id_version_collected_at", table_name="responses")
    op.drop_table("responses")
    op.drop_table("config_versions")
    op.drop_index("ix_api_keys_tenant_id", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("tenants")
