"""Row-level security for a tenant table, as migrations 0003..0008 wrote it out by hand.

Every tenant table gets, on PostgreSQL, ENABLE and FORCE ROW LEVEL SECURITY and one
policy for every command,

    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer

so ``csm create-app-role`` (which grants only tables with forced row-level security)
grants it too. Migrations from 0009 on call ``enable_tenant_rls`` instead of repeating
the block. Because shipped migrations call it, what it executes is frozen: a different
policy is a new function (and a new migration), never an edit of this one. SQLite has no
row-level security; the repositories' tenant filter protects it there.
"""

from __future__ import annotations

CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::integer"
POLICY = "tenant_isolation"


def tenant_rls_statements(table: str) -> list[str]:
    """The three statements that put ``table`` under the tenant policy."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {POLICY} ON {table} USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})",
    ]


def enable_tenant_rls(op, *tables: str) -> None:
    """Run the statements for each table through Alembic's ``op`` (PostgreSQL only; a
    no-op on SQLite). Dropping a table drops its policy with it."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        for statement in tenant_rls_statements(table):
            op.execute(statement)
