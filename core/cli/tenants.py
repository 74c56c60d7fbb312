"""The database and its tenants: ``csm init-db``, ``create-app-role``, ``create-tenant``,
``export``, ``delete-tenant``, ``erase`` (one customer's responses) and ``seed-demo``."""

from __future__ import annotations

from pathlib import Path

import click

from core.cli.common import Context, fail, safe_url
from core.operations import base, erasure, export, tenants


@click.command("init-db", short_help="Create or upgrade the database schema.")
@click.option("--app-role", default=None, show_default="CSM_APP_ROLE", help="PostgreSQL: then grant this role what the application needs.")
@click.pass_obj
def init_db(ctx: Context, app_role: str | None):
    """Create or upgrade the database schema (Alembic migrations), as MIGRATION_DATABASE_URL
    (default DATABASE_URL): on PostgreSQL, the role that owns the tables."""
    from core.db.migrate import upgrade
    from core.settings import migration_database_url

    url = migration_database_url(ctx.settings)
    upgrade(url)
    click.echo(f"database ready: {safe_url(url)}")
    role = app_role or ctx.settings.get("APP_ROLE")
    if role:
        _grant_app_role(url, role)


@click.command("create-app-role", short_help="PostgreSQL: create and grant the application's role.")
@click.argument("name")
@click.option("--password-env", metavar="VAR", default=None, help="Set the role's password from this environment variable.")
@click.pass_obj
def create_app_role(ctx: Context, name: str, password_env: str | None):
    """PostgreSQL: create the application's login role if missing (NOSUPERUSER, NOBYPASSRLS,
    owning nothing) and grant it what the application needs. Runs as MIGRATION_DATABASE_URL
    (the owner; it needs CREATEROLE to create the role), after `csm init-db`."""
    import os

    from core.db.login_roles import create_app_role as create_role
    from core.settings import migration_database_url

    password = None
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            fail(f"--password-env: environment variable {password_env} is not set")
    url = migration_database_url(ctx.settings)
    created = _with_owner(url, lambda connection: create_role(connection, name, password))
    click.echo(f"role {name} {'created' if created else 'already exists'}")
    _grant_app_role(url, name)
    click.echo(f"connect the application as {name}: CSM_DATABASE_URL=postgresql+psycopg://{name}:PASSWORD@HOST/DB")


def _grant_app_role(url: str, role: str) -> None:
    from sqlalchemy import make_url

    from core.db.login_roles import grant_app_role

    if make_url(url).get_backend_name() == "sqlite":
        click.echo(f"APP_ROLE {role} ignored: SQLite has no roles (the application-layer filter isolates tenants)")
        return
    tables = _with_owner(url, lambda connection: grant_app_role(connection, role))
    click.echo(f"role {role} may use: {', '.join(tables)} (row-level security on each)")


def _with_owner(url: str, action):
    """Run ``action(connection)`` in one transaction on the owner's connection; bad role
    names, unsafe roles and SQLite exit with code 2."""
    from sqlalchemy.pool import NullPool

    from core.db.engine import make_engine
    from core.db.login_roles import UnsafeAppRole

    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            return action(connection)
    except (UnsafeAppRole, ValueError) as exc:
        fail(str(exc))
    finally:
        engine.dispose()


@click.command("create-tenant", short_help="Create a tenant; print its first admin API key.")
@click.argument("slug")
@click.argument("name")
@click.pass_obj
def create_tenant(ctx: Context, slug: str, name: str):
    """Create a tenant and print its first admin API key (shown once)."""
    from core.db.errors import InvalidSlug, SlugTaken

    try:
        with ctx.unit_of_work() as session:
            tenant, _key, plaintext = tenants.create_tenant(session, slug, name, actor=base.CLI)
    except (InvalidSlug, SlugTaken) as exc:
        fail(f"slug: {exc}")
    click.echo(f"tenant {tenant.slug} created; API key (store it now, it is not shown again):\n{plaintext}")


@click.command("export", short_help="Export everything a tenant owns as a zip archive.")
@click.option("--tenant", required=True, help="Tenant slug.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path), help="The zip archive to write.")
@click.pass_obj
def export_cmd(ctx: Context, tenant: str, out: Path):
    """Export everything a tenant owns as one zip archive (see GET /api/v1/tenant/export)."""
    partial = out.with_name(out.name + ".partial")
    try:
        with ctx.unit_of_work() as session, partial.open("wb") as file:
            manifest = export.export_tenant(session, ctx.tenant_id(session, tenant), file, base.CLI)
        partial.replace(out)  # a failed export never leaves a truncated archive under the name asked for
    finally:
        partial.unlink(missing_ok=True)
    counts = manifest["counts"]
    click.echo(f"{tenant}: exported to {out}: " + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items()))


@click.command("delete-tenant", short_help="Delete a tenant and all its data, irreversibly.")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Confirm: delete the tenant and all its data, irreversibly.")
@click.pass_obj
def delete_tenant(ctx: Context, slug: str, yes: bool):
    """Delete a tenant and everything it owns (keys, configurations, responses, audit log)."""
    if not yes:
        fail(f"this deletes tenant {slug!r} and all its data, irreversibly; export it first (csm export --tenant {slug} --out FILE.zip), then add --yes")
    with ctx.unit_of_work() as session:
        deleted = erasure.delete_tenant(session, ctx.tenant_id(session, slug), slug, base.CLI)
    click.echo(f"tenant {slug} deleted: " + ", ".join(f"{n} {table}" for table, n in deleted.rows.items()))


@click.command("erase", short_help="Erase one customer's responses, irreversibly (right to be forgotten).")
@click.option("--tenant", required=True, help="Tenant slug.")
@click.option("--customer", required=True, help="The customer id whose responses are deleted.")
@click.option("--yes", is_flag=True, help="Confirm: delete this customer's responses, irreversibly.")
@click.pass_obj
def erase_cmd(ctx: Context, tenant: str, customer: str, yes: bool):
    """Delete every response of TENANT carrying the customer id, their rows in the answer
    store and the customer's purchase records (see DELETE
    /api/v1/customers/{customer_id}/responses); audited with a digest of the id. A
    customer without responses erases 0 and succeeds."""
    if not yes:
        fail(f"this deletes every response of customer {customer!r} in tenant {tenant!r}, irreversibly; add --yes")
    with ctx.unit_of_work() as session:
        done = erasure.erase_customer(session, ctx.tenant_id(session, tenant), customer, base.CLI)
    erased, bought = done.responses, done.purchases
    click.echo(f"{tenant}: {erased} response{'' if erased == 1 else 's'} and {bought} purchase{'' if bought == 1 else 's'} of customer {customer!r} erased")


@click.command("seed-demo", short_help="Create the demo tenants (safe to re-run).")
@click.option("--responses", "count", type=click.IntRange(min=1), default=3000, show_default=True, help="Synthetic responses per demo tenant.")
@click.option("--host", default=None, show_default="CSM_HOST, else 127.0.0.1", help="Where the API is served, for the printed examples.")
@click.option("--port", type=click.IntRange(1, 65535), default=None, show_default="CSM_PORT, else 8000", help="The port served, for the printed examples.")
@click.pass_obj
def seed_demo(ctx: Context, count: int, host: str | None, port: int | None):
    """Create the demo tenants with configurations and synthetic responses (safe to
    re-run), and print their API keys and a curl example against the address served."""
    from core.cli.serve import base_url
    from core.demo.seed import keys_file, seed

    keys = seed(ctx, count, echo=click.echo)
    click.echo(f"\ndemo API keys (also in {keys_file(ctx.settings)}):")
    for slug, key in keys.items():
        click.echo(f"  {slug}: {key}")
    url = base_url(host or ctx.settings["HOST"], port or ctx.settings["PORT"])
    first = next(iter(keys.values()))
    click.echo("\ntry:")
    click.echo(f'  curl -s -H "Authorization: Bearer {first}" "{url}/api/v1/scores?by=store_type"')
    click.echo(f"API docs: {url}/docs")
