"""Database fixtures: every test that asks for them runs once on SQLite and once on PostgreSQL.

Load with ``pytest_plugins = ["tests.db_fixtures"]`` in the root conftest.

- ``db_url``: an empty database of its own. SQLite: a file in ``tmp_path``. PostgreSQL: a
  fresh schema, dropped afterwards, named in the URL as
  ``?options=-csearch_path%3D<schema>`` so that anything building its own engine from the
  URL (``create_app({"DATABASE_URL": db_url})``, the CLI, Alembic) lands in that schema.
  Tests stay independent and can run in parallel (pytest-xdist).
- ``migrated_db_url``: the same, migrated to head.
- ``engine``: an engine on the migrated database; ``session_factory``: sessions on it.
- ``app_db_url``: the migrated database as the application connects to it. PostgreSQL: as
  the role ``csm_app_test`` (LOGIN, no SUPERUSER, no BYPASSRLS, owns nothing; created once
  per cluster), granted on the test's schema by ``core.db.login_roles.grant_app_role``, the same
  code ``csm create-app-role`` runs; so every app and CLI test that uses it goes through
  row-level security. SQLite: the same URL as ``migrated_db_url``.
- ``unmigrated_app_url``: ``db_url`` as the application's role, nothing granted yet (for
  ``csm init-db --app-role``).

Owner and application: ``db_url``, ``migrated_db_url``, ``engine`` and ``session_factory``
connect as the owner (the PostgreSQL superuser of ``CSM_TEST_DATABASE_URL``), which
migrates and skips row-level security. That is right for the repository tests (they test
the application-layer filter and SQL, one tenant or several per transaction) and for
tests that count rows behind the application's back; the application itself, and every
test of row-level security, uses ``app_db_url``.

PostgreSQL comes from ``CSM_TEST_DATABASE_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/test). It is probed once per session with a
2 s timeout; if unreachable, the PostgreSQL variants are reported as skipped, not failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from functools import cache

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from core.db import make_engine, make_session_factory, upgrade
from core.db.engine import url_with_search_path
from core.db.login_roles import create_app_role, grant_app_role
from tests.helpers import APP_PASSWORD, APP_ROLE, is_postgres, pg_base_url

PG_CONNECT_TIMEOUT_S = 2
SCHEMA_PREFIX = "csm_t_"


@cache
def pg_reachable() -> bool:
    """One connection attempt per test session (per worker under xdist)."""
    engine = create_engine(
        pg_base_url(),
        poolclass=NullPool,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def _pg_display_url() -> str:
    return make_url(pg_base_url()).render_as_string(hide_password=True)


DB_PARAMS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not pg_reachable(), reason=f"PostgreSQL not reachable at {_pg_display_url()}"
        ),
    ),
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``@pytest.mark.postgres`` (row-level security, roles) run only in their
    PostgreSQL variant: their SQLite variant is deselected rather than reported as skipped."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        sqlite_variant = callspec is not None and callspec.params.get("db_url") == "sqlite"
        (drop if sqlite_variant and item.get_closest_marker("postgres") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def pg_admin_engine() -> Iterator[Engine]:
    """Creates and drops the per-test schemas; built only if a PostgreSQL test runs."""
    engine = create_engine(
        pg_base_url(), poolclass=NullPool, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S}
    )
    yield engine
    engine.dispose()


@pytest.fixture(params=DB_PARAMS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty, unmigrated database of this test's own, as a URL string."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'csm.db'}"
        return
    admin: Engine = request.getfixturevalue("pg_admin_engine")
    schema = SCHEMA_PREFIX + uuid.uuid4().hex[:12]
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url_with_search_path(pg_base_url(), schema)
    finally:
        with admin.begin() as connection:
            # Fail instead of hanging if a test left a transaction open on the schema.
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def migrated_db_url(db_url: str) -> str:
    """``db_url`` migrated to the newest revision."""
    upgrade(db_url)
    return db_url


def as_app_role(url: str) -> str:
    """The same PostgreSQL database and schema, connecting as the application's role."""
    return make_url(url).set(username=APP_ROLE, password=APP_PASSWORD).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_app_role(pg_admin_engine: Engine) -> str:
    """The application's role, created once (idempotent, safe under pytest-xdist)."""
    with pg_admin_engine.begin() as connection:
        create_app_role(connection, APP_ROLE, APP_PASSWORD)
    return APP_ROLE


@pytest.fixture
def unmigrated_app_url(request: pytest.FixtureRequest, db_url: str) -> str:
    if not is_postgres(db_url):
        return db_url
    request.getfixturevalue("pg_app_role")
    return as_app_role(db_url)


@pytest.fixture
def app_db_url(request: pytest.FixtureRequest, migrated_db_url: str) -> str:
    """``migrated_db_url`` as the application connects (see the module docstring)."""
    if not is_postgres(migrated_db_url):
        return migrated_db_url
    role = request.getfixturevalue("pg_app_role")
    owner = make_engine(migrated_db_url, poolclass=NullPool)
    try:
        with owner.begin() as connection:
            grant_app_role(connection, role)
    finally:
        owner.dispose()
    return as_app_role(migrated_db_url)


@pytest.fixture
def engine(migrated_db_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)
