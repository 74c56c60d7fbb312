"""Engines, session factories and the unit of work.

Nothing here is global: the application factory (or a CLI command, or a test) builds an
engine from a URL and hands sessions down to repositories.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_CACHE_MB = 2  # SQLite's own default page cache (``PRAGMA cache_size=-2000``, about 2 MiB)
SQLITE_BEGIN_MODES = ("DEFERRED", "IMMEDIATE")
SQLITE_BEGIN_OPTION = "csm_sqlite_begin"  # execution option: the BEGIN mode of one connection


def make_engine(
    url: str | URL,
    *,
    sqlite_begin: str = "IMMEDIATE",
    sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    sqlite_cache_mb: int = SQLITE_CACHE_MB,
    **kwargs,
) -> Engine:
    """Build an engine for ``url`` with the settings this project relies on.

    SQLite: foreign keys are off by default in SQLite, so every connection turns them on
    (tenant deletion relies on ON DELETE CASCADE); WAL lets readers proceed while one writer
    writes; ``busy_timeout`` makes a second writer wait instead of failing at once. The
    sqlite3 driver's own transaction handling is switched off and SQLAlchemy emits ``BEGIN``
    itself, so SAVEPOINTs and DDL really are transactional (migrations are all or nothing).
    Transactions start with ``BEGIN IMMEDIATE`` by default: each takes the write lock up
    front, so two read-then-write transactions (authenticate, then ingest) queue for up to
    the busy timeout. With ``sqlite_begin="DEFERRED"`` the second one would fail at its first
    write with "database is locked", because its snapshot is older than the other's commit.
    Readers need not pay for that: ``reader_engine(engine)`` gives connections whose
    transactions begin DEFERRED whatever the engine's mode, so a read runs on its WAL
    snapshot beside the one writer instead of queueing (``make_session_factory(...,
    read_only=True)``); PostgreSQL is the database for concurrent writers.
    The directory holding the database file is created if missing.

    PostgreSQL: use ``postgresql+psycopg://`` (psycopg 3). Connection parameters in the URL
    query are passed to libpq, e.g. ``?options=-csearch_path%3Dtenant_schema``.
    """
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, sqlite_begin, sqlite_busy_timeout_ms, sqlite_cache_mb, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: URL, begin: str, busy_timeout_ms: int, cache_mb: int = SQLITE_CACHE_MB, **kwargs) -> Engine:
    begin = begin.upper()
    if begin not in SQLITE_BEGIN_MODES:
        raise ValueError(f"sqlite_begin must be one of {SQLITE_BEGIN_MODES}, not {begin!r}")
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (below)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")  # negative: KiB
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, begin)
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def reader_engine(engine: Engine) -> Engine:
    """``engine`` for reading: on SQLite its transactions begin DEFERRED (no write lock
    until a write, which a reader never makes); elsewhere ``engine`` itself."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite giving up on a lock after the busy timeout."""
    orig = getattr(exc, "orig", exc)
    return type(orig).__module__.startswith("sqlite3") and ("database is locked" in str(orig) or "database table is locked" in str(orig))


def url_with_search_path(base_url: str | URL, schema: str) -> str:
    """A PostgreSQL URL whose connections use ``schema`` (libpq ``options``, URL-encoded),
    so every engine built from it (the app, the CLI, Alembic) lands in that schema."""
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def make_session_factory(engine: Engine, info: Mapping[str, Any] | None = None, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` (``read_only``: to ``reader_engine(engine)``, for requests
    that only read), each starting with a copy of ``info`` in ``session.info`` (what the
    application hands every unit of work, e.g. the configuration sections its plugins
    register).

    ``expire_on_commit=False`` because repositories already copy rows into plain records;
    expiring would only cause surprise reloads if an ORM row ever escaped.
    """
    return sessionmaker(bind=reader_engine(engine) if read_only else engine, expire_on_commit=False, info=dict(info or {}))


@contextmanager
def unit_of_work(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit once when the block ends, roll back if it raises.

    Repositories never commit; the caller decides where the business operation ends, so a
    request that fails half-way leaves nothing half-written.
    """
    session = session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
