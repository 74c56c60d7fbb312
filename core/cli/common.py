"""What the ``csm`` subcommands share: the lazily built context, and failing with code 2."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.config import ConfigError
from core.settings import SettingsError, load_settings

EXIT_BAD_INPUT = 2
MAX_SHOWN_ERRORS = 50


class Context:
    """Settings (checked when the command starts) and, built when first needed, the
    plugins and the database."""

    def __init__(self, database_url: str | None):
        try:
            self.settings = load_settings({"DATABASE_URL": database_url} if database_url else None)
        except SettingsError as exc:
            fail("invalid settings", exc.problems)
        self._registry = None
        self._engine = self._sessions = None

    @property
    def registry(self):
        if self._registry is None:
            from core.plugins import IndustryRegistry, get_plugin_manager

            self._registry = IndustryRegistry(get_plugin_manager())
        return self._registry

    def unit_of_work(self):
        from core.db.engine import make_engine, make_session_factory, unit_of_work
        from core.operations.configuration import session_info

        if self._sessions is None:
            self._engine = make_engine(self.settings["DATABASE_URL"])
            self._sessions = make_session_factory(self._engine, session_info(self.registry))
        return unit_of_work(self._sessions)

    def close(self) -> None:
        """Close the database connections the command opened (the command may run inside
        another process, a test or a script, which would otherwise keep them open)."""
        if self._sessions is not None:
            self._engine.dispose()
            self._engine = self._sessions = None

    def tenant_id(self, session, slug: str) -> int:
        """The id of the tenant with this slug; the session then acts for it (bind_tenant)."""
        from core.db.repositories import TenantRepository
        from core.db.tenancy import bind_tenant

        tenant = TenantRepository(session).get_by_slug(slug)
        if tenant is None:
            fail(f"--tenant: no tenant {slug!r}")
        bind_tenant(session, tenant.id)
        return tenant.id


def fail(message: str, lines: list[str] | None = None, total: int | None = None):
    """Print ``error: message`` and the first MAX_SHOWN_ERRORS ``lines`` on stderr, exit 2."""
    lines = list(lines or ())
    total = len(lines) if total is None else total
    click.echo(f"error: {message}", err=True)
    for line in lines[:MAX_SHOWN_ERRORS]:
        click.echo(f"  {line}", err=True)
    if total > min(len(lines), MAX_SHOWN_ERRORS):
        click.echo(f"  ... and {total - min(len(lines), MAX_SHOWN_ERRORS)} more", err=True)
    sys.exit(EXIT_BAD_INPUT)


def read_config(ctx: Context, path: Path):
    try:
        from core.operations import configuration

        return configuration.read_config(path.read_bytes(), str(path), ctx.registry.template)
    except ConfigError as exc:
        config_failed(exc, str(path))


def config_failed(exc: ConfigError, name: str):
    fail(f"{name}: {exc.headline}", [str(i) for i in exc.issues])


def safe_url(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)
