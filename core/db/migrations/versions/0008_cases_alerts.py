"""Cases and their events, alerts, webhook endpoints and the delivery outbox and log.

Revision ID: 0008_cases_alerts
Revises: 0007
Create Date: 2026-12-09

Six tenant tables, each with what migration 0003 gave the others on PostgreSQL: ENABLE and
FORCE ROW LEVEL SECURITY and the one policy, for every command,

    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer

so ``csm create-app-role`` (which grants only tables with forced row-level security)
grants them too. Dropping a table drops its policy with it. Written out here rather than
imported, so the migration keeps meaning what it meant when it shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_cases_alerts"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::integer"
POLICY = "tenant_isolation"
NOW = sa.text("CURRENT_TIMESTAMP")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# in creation order (dropped in reverse)
TABLES = ("cases", "case_events", "alerts", "webhook_endpoints", "webhook_deliveries", "webhook_attempts")
INDEXES = {
    "ix_cases_tenant_id_next_check_at": ("cases", ["tenant_id", "next_check_at"]),
    "ix_alerts_tenant_id_raised_at": ("alerts", ["tenant_id", "raised_at"]),
    "ix_webhook_endpoints_tenant_id": ("webhook_endpoints", ["tenant_id"]),
    "ix_webhook_deliveries_tenant_id_status_next_attempt_at": ("webhook_deliveries", ["tenant_id", "status", "next_attempt_at"]),
    "ix_webhook_attempts_tenant_id_delivery_id": ("webhook_attempts", ["tenant_id", "delivery_id"]),
}


def _time(name: str, nullable: bool = False, default=None) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


def _tenant_id(table: str) -> sa.Column:
    return sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"), nullable=False)


def _ref(table: str, column: str, target: str, type_=sa.Integer(), ondelete: str = "CASCADE", nullable: bool = False) -> sa.Column:
    return sa.Column(column, type_, sa.ForeignKey(f"{target}.id", ondelete=ondelete, name=f"fk_{table}_{column}_{target}"), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", BIGINT, nullable=False),
        _tenant_id("cases"),
        sa.Column("case_key", sa.String(200), nullable=False),
        sa.Column("case_type", sa.String(100), nullable=True),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("touchpoint", sa.String(100), nullable=True),
        _time("opened_at", nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False, server_default=sa.text("'{}'")),
        _time("created_at", default=NOW),
        _time("updated_at", default=NOW),
        _time("next_check_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("tenant_id", "case_key", name="uq_cases_tenant_id_case_key"),
    )
    op.create_table(
        "case_events",
        sa.Column("id", BIGINT, nullable=False),
        _tenant_id("case_events"),
        _ref("case_events", "case_id", "cases", BIGINT),
        sa.Column("event_key", sa.String(200), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        _time("at"),
        sa.Column("attributes", sa.Text(), nullable=False, server_default=sa.text("'{}'")),
        _time("created_at", default=NOW),
        _time("updated_at", default=NOW),
        sa.PrimaryKeyConstraint("id", name="pk_case_events"),
        sa.UniqueConstraint("tenant_id", "case_id", "event_key", name="uq_case_events_tenant_id_case_id_event_key"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", BIGINT, nullable=False),
        _tenant_id("alerts"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("dedup_key", sa.String(500), nullable=False),
        sa.Column("case_key", sa.String(200), nullable=True),
        sa.Column("customer_id", sa.String(200), nullable=True),
        _time("occurred_at"),
        _time("raised_at", default=NOW),
        sa.Column("payload", sa.Text(), nullable=False, server_default=sa.text("'{}'")),
        _time("acknowledged_at", nullable=True),
        _ref("alerts", "acknowledged_by_key_id", "api_keys", ondelete="SET NULL", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("tenant_id", "dedup_key", name="uq_alerts_tenant_id_dedup_key"),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        _tenant_id("webhook_endpoints"),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("description", sa.String(200), nullable=False, server_default=sa.text("''")),
        sa.Column("kinds", sa.Text(), nullable=True),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("previous_secret", sa.String(100), nullable=True),
        _time("previous_secret_expires_at", nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("disabled_reason", sa.String(500), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default=sa.text("0")),
        _time("created_at", default=NOW),
        _time("updated_at", default=NOW),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoints"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", BIGINT, nullable=False),
        _tenant_id("webhook_deliveries"),
        _ref("webhook_deliveries", "endpoint_id", "webhook_endpoints"),
        _ref("webhook_deliveries", "alert_id", "alerts", BIGINT),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        _time("next_attempt_at", nullable=True),
        _time("lease_until", nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        _time("delivered_at", nullable=True),
        _time("created_at", default=NOW),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.UniqueConstraint("tenant_id", "endpoint_id", "alert_id", name="uq_webhook_deliveries_tenant_id_endpoint_id_alert_id"),
        sa.UniqueConstraint("tenant_id", "message_id", name="uq_webhook_deliveries_tenant_id_message_id"),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", BIGINT, nullable=False),
        _tenant_id("webhook_attempts"),
        _ref("webhook_attempts", "delivery_id", "webhook_deliveries", BIGINT),
        sa.Column("attempt", sa.Integer(), nullable=False),
        _time("at"),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_attempts"),
    )
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)
    if op.get_bind().dialect.name != "postgresql":
        return  # no row-level security in SQLite; the repositories' filter protects it
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {POLICY} ON {table} USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})")


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
    for table in reversed(TABLES):
        op.drop_table(table)
