"""Purchase records: what transactional loyalty and customer value are computed from.

Revision ID: 0010_purchases
Revises: 0009_customers
Create Date: 2026-12-03

One tenant table, ``purchases``: the tenant's own purchase id (unique per tenant, so a
batch sent twice changes nothing), the customer's id as its responses carry it (text, no
foreign key: purchases may arrive before the customer is stored, as responses do), when,
the amount, and optionally the customer's whole spend in the category (share of wallet).
Row-level security as every tenant table has it (``core.db.rls``, frozen).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.rls import enable_tenant_rls

revision: str = "0010_purchases"
down_revision: str | Sequence[str] | None = "0009_customers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INDEXES = {
    "ix_purchases_tenant_id_customer_id": ["tenant_id", "customer_id"],
    "ix_purchases_tenant_id_purchased_at": ["tenant_id", "purchased_at"],
}


def upgrade() -> None:
    op.create_table(
        "purchases",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="CASCADE", name="fk_purchases_tenant_id_tenants"), nullable=False),
        sa.Column("purchase_key", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("purchased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("category_spend", sa.Float(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("id", name="pk_purchases"),
        sa.UniqueConstraint("tenant_id", "purchase_key", name="uq_purchases_tenant_id_purchase_key"),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "purchases", columns)
    enable_tenant_rls(op, "purchases")


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="purchases")
    op.drop_table("purchases")
