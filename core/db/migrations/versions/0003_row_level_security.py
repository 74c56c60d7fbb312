"""Row-level security on every tenant table (PostgreSQL; nothing to do on SQLite).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Each tenant table gets ENABLE and FORCE ROW LEVEL SECURITY and one policy, for every
command, that shows and accepts only the rows of the transaction's tenant:

    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer

(``id`` instead of ``tenant_id`` on ``tenants``). ``current_setting(..., true)`` is NULL
when the setting was never made, and '' in a session where an earlier transaction set it
locally, hence the NULLIF: either way the comparison is NULL and no row is visible or
writable. FORCE subjects the tables' owner too, so even a process connected as the owner
sees nothing until it binds a tenant.

The lookups that must cross tenants (a key by its prefix, a tenant by slug, the list of
tenants) are SECURITY DEFINER functions owned by the role running this migration, with a
fixed search_path and EXECUTE revoked from PUBLIC (``csm create-app-role`` grants it to
the application's role). So that they work when that role is not a superuser, it gets a
read-only policy on ``tenants`` and ``api_keys``, the two tables they read; every other
table stays closed to it without a bound tenant, and no role but the owner gets it.
Superusers and BYPASSRLS roles skip row-level security whatever the policies say, which is
why the application must connect as a role that is neither (and owns no table).

Written out here rather than imported, so the migration keeps meaning what it meant when
it shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the column naming its tenant
TENANT_TABLES = {
    "tenants": "id",
    "api_keys": "tenant_id",
    "config_versions": "tenant_id",
    "responses": "tenant_id",
    "audit_events": "tenant_id",
    "idempotency_keys": "tenant_id",
}
LOOKUP_TABLES = ("tenants", "api_keys")
CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::integer"
POLICY = "tenant_isolation"
OWNER_POLICY = "owner_lookup"

FUNCTIONS = {
    "csm_key_by_prefix(p_prefix text)": """
        RETURNS TABLE (id integer, tenant_id integer, key_hash varchar, role varchar,
                       expires_at timestamptz, revoked_at timestamptz, tenant_slug varchar)
        AS $$
            SELECT k.id, k.tenant_id, k.key_hash, k.role, k.expires_at, k.revoked_at, t.slug
            FROM api_keys AS k JOIN tenants AS t ON t.id = k.tenant_id
            WHERE k.prefix = p_prefix
        $$""",
    "csm_tenant_by_slug(p_slug text)": """
        RETURNS TABLE (id integer, slug varchar, name varchar, created_at timestamptz)
        AS $$
            SELECT t.id, t.slug, t.name, t.created_at FROM tenants AS t WHERE t.slug = p_slug
        $$""",
    "csm_tenants()": """
        RETURNS TABLE (id integer, slug varchar, name varchar, created_at timestamptz)
        AS $$
            SELECT t.id, t.slug, t.name, t.created_at FROM tenants AS t ORDER BY t.id
        $$""",
}


def _signature(declaration: str) -> str:
    """``name(p_x text)`` -> ``name(text)``, as DROP, REVOKE and GRANT name a function."""
    name, _, params = declaration.partition("(")
    types = [p.split()[-1] for p in params.rstrip(")").split(",") if p.strip()]
    return f"{name}({', '.join(types)})"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # no row-level security in SQLite; the repositories' filter protects it
    schema = bind.execute(text("SELECT current_schema()")).scalar_one()
    quoted_schema = bind.dialect.identifier_preparer.quote(schema)
    for table, column in TENANT_TABLES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {POLICY} ON {table} "
            f"USING ({column} = {CURRENT_TENANT}) WITH CHECK ({column} = {CURRENT_TENANT})"
        )
    for table in LOOKUP_TABLES:
        op.execute(f"CREATE POLICY {OWNER_POLICY} ON {table} FOR SELECT TO CURRENT_USER USING (true)")
    for declaration, body in FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {declaration} {body.strip()}\n"
            f"LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {quoted_schema}, pg_temp"
        )
        op.execute(f"REVOKE ALL ON FUNCTION {_signature(declaration)} FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for declaration in FUNCTIONS:
        op.execute(f"DROP FUNCTION {_signature(declaration)}")
    for table in LOOKUP_TABLES:
        op.execute(f"DROP POLICY {OWNER_POLICY} ON {table}")
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY {POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
