"""Run the schema migrations from code: the app, the CLI and tests all call these.

The migration scripts live inside the package (``core/db/migrations``), so no alembic.ini
is needed wherever the code is deployed. URLs travel through ``Config.attributes`` rather
than the ini-style options, because ini interpolation would mangle ``%`` in URLs such as
``?options=-csearch_path%3Dschema``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Engine
from sqlalchemy.pool import NullPool

from core.db.engine import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic Config pointing at the packaged migrations (for ``command.*`` calls)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.attributes["url"] = url
    return cfg


def upgrade(target: str | URL | Engine, revision: str = "head") -> None:
    """Bring the database at ``target`` (a URL or an Engine) up to ``revision``."""
    _run(command.upgrade, target, revision)


def downgrade(target: str | URL | Engine, revision: str = "base") -> None:
    """Take the database at ``target`` down to ``revision`` (default: an empty schema)."""
    _run(command.downgrade, target, revision)


def current_revision(target: str | URL | Engine) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    engine, owned = _engine_for(target)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def head_revision() -> str:
    """The newest revision the code knows about."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _run(fn, target: str | URL | Engine, revision: str) -> None:
    if isinstance(target, Engine):
        cfg = alembic_config()
        with target.connect() as connection:
            cfg.attributes["connection"] = connection
            fn(cfg, revision)
            connection.commit()
    else:
        fn(alembic_config(target), revision)


def _engine_for(target: str | URL | Engine) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    return make_engine(target, poolclass=NullPool), True
