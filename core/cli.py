"""The ``csm`` command: validate and score offline, or manage the stored side.

Bad input (YAML, CSV, options) exits with code 2 and a message naming the file, line,
row or field; success exits 0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pandas as pd

from core.operations import base, configuration, erasure, export, reports, responses, tenants
from core.config import ConfigError, load_config
from core.ingest import BatchError, read_csv_batch
from core.scoring import AnswerValidationError, ScoringInputError, score
from core.settings import load_settings

EXIT_BAD_INPUT = 2


class Context:
    """Lazily built pieces shared by the subcommands (settings, plugins, database)."""

    def __init__(self, database_url: str | None):
        self.settings = load_settings({"DATABASE_URL": database_url} if database_url else None)
        self._registry = None
        self._sessions = None

    @property
    def registry(self):
        if self._registry is None:
            from core.plugins import IndustryRegistry, get_plugin_manager

            self._registry = IndustryRegistry(get_plugin_manager())
        return self._registry

    def unit_of_work(self):
        from core.db.engine import make_engine, make_session_factory, unit_of_work

        if self._sessions is None:
            self._sessions = make_session_factory(make_engine(self.settings["DATABASE_URL"]))
        return unit_of_work(self._sessions)

    def tenant_id(self, session, slug: str) -> int:
        """The id of the tenant with this slug; the session then acts for it (bind_tenant)."""
        from core.db.repositories import TenantRepository
        from core.db.tenancy import bind_tenant

        tenant = TenantRepository(session).get_by_slug(slug)
        if tenant is None:
            fail(f"--tenant: no tenant {slug!r}")
        bind_tenant(session, tenant.id)
        return tenant.id


def fail(message: str, lines: list[str] | None = None):
    click.echo(f"error: {message}", err=True)
    for line in lines or ():
        click.echo(f"  {line}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _read_config(ctx: Context, path: Path):
    try:
        return load_config(path.read_bytes(), str(path), ctx.registry.template)
    except ConfigError as exc:
        _config_failed(exc, str(path))


def _config_failed(exc: ConfigError, name: str):
    fail(f"{name}: {len(exc.issues)} problem(s)", [str(i) for i in exc.issues])


def _batch_failed(exc: BatchError, name: str):
    lines = [f"row {e.row}: {e.field}: {e.message}" if e.row >= 0 else f"{e.field}: {e.message}" for e in exc.errors[:50]]
    if exc.total > len(lines):
        lines.append(f"... and {exc.total - len(lines)} more")
    fail(f"{name}: nothing stored, {exc.total} problem(s)", lines)


@click.group()
@click.option("--database-url", envvar="CSM_DATABASE_URL", default=None, help="SQLAlchemy URL (default: sqlite:///var/csm.sqlite3).")
@click.pass_context
def main(click_ctx, database_url):
    """CSM: weighted customer-satisfaction indices from YAML indicator sets."""
    click_ctx.obj = Context(database_url)


@main.command()
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def validate(ctx: Context, config: Path):
    """Check a configuration file; print a summary, or every problem with its line."""
    tenant_config = _read_config(ctx, config)
    s = tenant_config.summary()
    click.echo(f"{config}: valid")
    click.echo(f"  indicator set {s['indicator_set']} ({s['name'] or 'unnamed'}): {s['groups']} groups, {s['questions']} questions ({s['scored_questions']} scored)")
    click.echo(f"  scales: {', '.join(s['scales'])}" + (f"; template {s['template']} from {s['industry']}" if s["template"] else ""))


@main.command("score")
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--responses", "responses_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", multiple=True, help="Breakdown column (repeatable): touchpoint, an attribute column, or period.")
@click.option("--period", type=click.Choice(["month", "quarter", "year"]), default=None, help="Period length for --by period (default month).")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table")
@click.pass_obj
def score_cmd(ctx: Context, config_path: Path, responses_path: Path, by, period, fmt):
    """Score a CSV of responses against a configuration, offline (no database)."""
    iset = _read_config(ctx, config_path).indicator_set
    try:
        batch = read_csv_batch(responses_path.read_bytes(), iset)
    except BatchError as exc:
        _batch_failed(exc, str(responses_path))
    frame = pd.concat([batch.meta, batch.attributes, batch.answers], axis=1)
    if "period" in by and period is None:
        period = "month"
    try:
        result = score(frame, iset, by=tuple(by), period=period).to_dict()
    except AnswerValidationError as exc:
        errors = exc.errors
        fail(f"{responses_path}: {len(errors)} invalid answer(s)", [f"row {e.row}: {e.field}: {e.reason}" for e in errors[:50]])
    except ScoringInputError as exc:
        fail(f"--by: {exc}")
    _print_result(result, fmt)


def _print_result(result: dict, fmt: str):
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    fmt_num = lambda v, d=1: "-" if v is None else f"{v:.{d}f}"  # noqa: E731
    click.echo(f"{result['indicator_set']}: CSI {fmt_num(result['csi'])} ± {fmt_num(result['margin_of_error'])} (95 %), n = {result['n']}")
    click.echo(f"{'node':<32} {'score':>7} {'n':>8}  {'sat. rate':>9}")
    for code, node in result["nodes"].items():
        rate = node.get("satisfaction_rate")
        click.echo(f"{code:<32} {fmt_num(node['score']):>7} {node['n']:>8}  {'' if rate is None else f'{rate * 100:.1f} %':>9}")
    if result.get("touchpoints"):
        click.echo("touchpoints:")
        for code, tp in result["touchpoints"].items():
            click.echo(f"  {code:<30} {fmt_num(tp['score']):>7} {tp['n']:>8}")
    if result.get("groups"):
        click.echo("by " + " × ".join(result["group_by"]) + ":")
        for value, g in result["groups"].items():
            click.echo(f"  {value:<30} {fmt_num(g['csi']):>7} ± {fmt_num(g['margin_of_error']):>5} {g['n']:>8}")


@main.command("init-db")
@click.pass_obj
@click.option("--app-role", default=None, help="PostgreSQL: then grant this role what the application needs (default: setting APP_ROLE).")
def init_db(ctx: Context, app_role: str | None):
    """Create or upgrade the database schema (Alembic migrations), as MIGRATION_DATABASE_URL
    (default DATABASE_URL): on PostgreSQL, the role that owns the tables."""
    from core.db.migrate import upgrade
    from core.settings import migration_database_url

    url = migration_database_url(ctx.settings)
    upgrade(url)
    click.echo(f"database ready: {_safe_url(url)}")
    role = app_role or ctx.settings.get("APP_ROLE")
    if role:
        _grant_app_role(url, role)


@main.command("create-app-role")
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


@main.command("create-tenant")
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


@main.command("upload-config")
@click.option("--tenant", required=True, help="Tenant slug.")
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def upload_config(ctx: Context, tenant: str, config: Path):
    """Store a configuration file as the tenant's next version."""
    try:
        with ctx.unit_of_work() as session:
            version, _ = configuration.upload_config(session, ctx.tenant_id(session, tenant), config.read_bytes(), str(config), ctx.registry.template)
    except ConfigError as exc:
        _config_failed(exc, str(config))
    click.echo(f"{tenant}: stored configuration version {version.version} ({version.indicator_set_code})")


@main.command("import-responses")
@click.option("--tenant", required=True, help="Tenant slug.")
@click.option("--version", type=int, default=None, help="Configuration version the answers were collected under (default: latest).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_responses(ctx: Context, tenant: str, version: int | None, file: Path):
    """Import a CSV of responses, all or nothing (at most CSM_MAX_BATCH rows)."""
    data = file.read_bytes()
    max_rows = ctx.settings["MAX_BATCH"]  # the API's limit too
    try:
        with ctx.unit_of_work() as session:
            result = responses.ingest(session, ctx.tenant_id(session, tenant), lambda iset: read_csv_batch(data, iset, max_rows=max_rows), version)
    except BatchError as exc:
        _batch_failed(exc, str(file))
    except base.NotFound as exc:
        fail(f"--version: {exc}" if version else str(exc))
    click.echo(f"{tenant}: imported {result.accepted} responses under configuration version {result.version}")


@main.command()
@click.option("--tenant", required=True, help="Tenant slug.")
@click.option("--version", type=int, default=None, help="Configuration version (default: latest).")
@click.option("--by", multiple=True, help="Breakdown key (repeatable): touchpoint, an attribute, or period.")
@click.option("--period", type=click.Choice(["month", "quarter", "year"]), default=None)
@click.option("--from", "start", type=click.DateTime(), default=None, help="Collected at or after (UTC).")
@click.option("--to", "end", type=click.DateTime(), default=None, help="Collected before (UTC).")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table")
@click.pass_obj
def report(ctx: Context, tenant: str, version, by, period, start, end, fmt):
    """Score a tenant's stored responses."""
    if "period" in by and period is None:
        period = "month"
    utc = lambda d: None if d is None else pd.Timestamp(d, tz="UTC").to_pydatetime()  # noqa: E731
    try:
        with ctx.unit_of_work() as session:
            result = reports.report(session, ctx.tenant_id(session, tenant), version, utc(start), utc(end), tuple(by), period)
    except base.NotFound as exc:
        fail(str(exc))
    except ScoringInputError as exc:
        fail(f"--by: {exc}")
    click.echo(f"configuration version {result['version']}") if fmt == "table" else None
    _print_result(result, fmt)


@main.command("export")
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


@main.command("delete-tenant")
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


@main.command("seed-demo")
@click.option("--responses", "count", type=int, default=3000, show_default=True, help="Synthetic responses per demo tenant.")
@click.pass_obj
def seed_demo(ctx: Context, count: int):
    """Create the demo tenants with configurations and synthetic responses (safe to re-run)."""
    from core.demo.seed import keys_file, seed

    keys = seed(ctx, count, echo=click.echo)
    click.echo(f"\ndemo API keys (also in {keys_file(ctx.settings)}):")
    for slug, key in keys.items():
        click.echo(f"  {slug}: {key}")
    first = next(iter(keys.values()))
    click.echo("\ntry:")
    click.echo(f'  curl -s -H "Authorization: Bearer {first}" "http://127.0.0.1:8000/api/v1/scores?by=store_type"')
    click.echo("API docs: http://127.0.0.1:8000/docs")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.pass_obj
def serve(ctx: Context, host: str, port: int):
    """Serve the API (development server; use gunicorn with wsgi:app in production)."""
    from core.app import create_app

    app = create_app(ctx.settings)
    app.run(host=host, port=port, threaded=True)


def _safe_url(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    main()
