"""Customers with their typed attributes, their grades per evaluation period, and the
service requests checked against the grade.

Revision ID: 0009_customers
Revises: 0008_cases_alerts
Create Date: 2026-12-10

Three tenant tables, each with what migration 0003 gave the others on PostgreSQL: ENABLE
and FORCE ROW LEVEL SECURITY and the one policy, for every command,

    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer

so ``csm create-app-role`` (which grants only tables with forced row-level security)
grants them too. Written out here rather than imported, so the migration keeps meaning
what it meant when it shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.rls import enable_tenant_rls

revision: str = "0009_customers"
down_revision: str | Sequence[str] | None = "0008_cases_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# in creation order (dropped in reverse)
TABLES = ("customers", "customer_grades", "service_requests")
INDEXES = {
    "ix_service_requests_tenant_id_requested_at": ("service_requests", ["tenant_id", "requested_at"]),
    "ix_service_requests_tenant_id_customer_id": ("service_requests", ["tenant_id", "customer_id"]),
}


def _time(name: str, nullable: bool = False, default=None) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


def _tenant_id(table: str) -> sa.Column:
    return sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"), nullable=False)


def _customer(table: str) -> sa.Column:
    return sa.Column("customer_id", BIGINT, sa.ForeignKey("customers.id", ondelete="CASCADE", name=f"fk_{table}_customer_id_customers"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", BIGINT, nullable=False),
        _tenant_id("customers"),
        sa.Column("customer_key", sa.String(200), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False, server_default=sa.text("'{}'")),
        _time("created_at", default=NOW),
        _time("updated_at", default=NOW),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        sa.UniqueConstraint("tenant_id", "customer_key", name="uq_customers_tenant_id_customer_key"),
    )
    op.create_table(
        "customer_grades",
        sa.Column("id", BIGINT, nullable=False),
        _tenant_id("customer_grades"),
        _customer("customer_grades"),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("grade", sa.String(100), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("inputs", sa.Text(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("config_version", sa.Integer(), nullable=False),
        _time("graded_at", default=NOW),
        sa.PrimaryKeyConstraint("id", name="pk_customer_grades"),
        sa.UniqueConstraint("tenant_id", "customer_id", "period", name="uq_customer_grades_tenant_id_customer_id_period"),
    )
    op.create_table(
        "service_requests",
        sa.Column("id", BIGINT, nullable=False),
        _tenant_id("service_requests"),
        _customer("service_requests"),
        sa.Column("service", sa.String(100), nullable=False),
        _time("requested_at"),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("grade", sa.String(100), nullable=True),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        _time("recorded_at", default=NOW),
        sa.PrimaryKeyConstraint("id", name="pk_service_requests"),
    )
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)
    enable_tenant_rls(op, *TABLES)  # PostgreSQL only; the repositories' filter protects SQLite


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
    for table in reversed(TABLES):
        op.drop_table(table)
