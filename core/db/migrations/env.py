"""Alembic environment: run migrations on the connection or URL handed in by core.db.migrate.

There is no alembic.ini; ``core.db.migrate`` builds the configuration in code and passes
either ``attributes["connection"]`` (an open Connection) or ``attributes["url"]``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.pool import NullPool

from core.db import tables  # noqa: F401  (registers every table on Base.metadata)
from core.db.base import Base
from core.db.engine import make_engine

config = context.config
target_metadata = Base.metadata


def _migrate(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            _check_foreign_keys(connection)


def _check_foreign_keys(connection: Connection) -> None:
    """Fail (and roll back) if a migration left rows pointing at nothing."""
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"migration broke foreign keys: {problems[:5]}")


def _set_sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Switch SQLite's foreign keys outside any transaction (the PRAGMA is ignored inside).

    Off while migrating: batch mode drops and re-creates tables, and with foreign keys on,
    dropping ``tenants`` would cascade-delete every tenant's rows.
    """
    driver = connection.connection.driver_connection
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = make_engine(config.attributes["url"], poolclass=NullPool)
    try:
        with engine.connect() as connection:
            _run_on(connection)
    finally:
        engine.dispose()


def _run_on(connection: Connection) -> None:
    toggle = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if toggle:
        _set_sqlite_foreign_keys(connection, False)
    try:
        _migrate(connection)
    finally:
        if toggle:
            _set_sqlite_foreign_keys(connection, True)


def run_offline() -> None:
    context.configure(
        url=config.attributes["url"],
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
