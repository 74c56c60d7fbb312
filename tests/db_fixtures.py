"""Database fixtures: every test that asks for them runs once on SQLite and once on PostgreSQL.

Load with ``pytest_plugins = ["tests.db_fixtures"]`` in the root conftest.

- ``db_url``: an empty database of its own. SQLite: a file in ``tmp_path``. PostgreSQL: a
  fresh schema, dropped afterwards, named in the URL as
  ``?options=-csearch_path%3D<schema>`` so that anything building its own engine from the
  URL (``create_app({"DATABASE_URL": db_url})``, the CLI, Alembic) lands in that schema.
  Tests stay independent and can run in parallel (pytest-xdist).
- ``migrated_db_url``: the same, migrated to head.
- ``engine``: an engine on the migrated database; ``session_factory``: sessions on it.

PostgreSQL comes from ``CSM_TEST_DATABASE_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/test). It is probed once per session with a
2 s timeout; if unreachable, the PostgreSQL variants are reported as skipped, not failed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from core.db import make_engine, make_session_factory, upgrade
from core.db.engine import url_with_search_path

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_CONNECT_TIMEOUT_S = 2
SCHEMA_PREFIX = "csm_t_"


def pg_base_url() -> str:
    return os.environ.get("CSM_TEST_DATABASE_URL", DEFAULT_PG_URL)


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


url_with_schema = url_with_search_path


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
        yield url_with_schema(pg_base_url(), schema)
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


@pytest.fixture
def engine(migrated_db_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)
