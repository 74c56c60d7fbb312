"""Shared fixtures: databases (SQLite and PostgreSQL), the app, a client, tenants.

Fixtures only: the constants and helpers test modules import are in tests/helpers.py.
"""

import os
import tempfile

import pytest

from core.app import create_app
from core.db import upgrade
from tests.helpers import OPERATOR_KEY, TenantHandle

pytest_plugins = ["tests.db_fixtures"]

# Rate limiting is off for every app the tests build (fixtures, served apps, the fuzzer), so
# no test depends on how many requests came before it; tests/test_rate_limit.py turns it on.
os.environ.setdefault("CSM_RATE_LIMIT_ENABLED", "0")
# The embedded work queue of every app the tests build lives in a temporary folder (a
# webhook delivery queued by a test is a file there; tests that run a worker set their own).
os.environ.setdefault("CSM_QUEUE_DIR", tempfile.mkdtemp(prefix="csm-queue-"))


@pytest.fixture
def app(app_db_url):
    """The application as deployed: on PostgreSQL it connects as a role bound by row-level
    security (see tests/db_fixtures.py, ``app_db_url``)."""
    app = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY, "TESTING": True})
    yield app
    app.extensions["csm"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_tenant(client):
    return lambda slug: TenantHandle(client, slug)


@pytest.fixture
def make_app(tmp_path):
    """Apps with rate limiting on, sharing one migrated SQLite file (like workers of one
    deployment); ``settings`` override the limits."""
    url = f"sqlite:///{tmp_path / 'csm.db'}"
    upgrade(url)
    apps = []

    def make(**settings):
        app = create_app({"DATABASE_URL": url, "OPERATOR_KEY": OPERATOR_KEY, "TESTING": True, "RATE_LIMIT_ENABLED": True, **settings})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["csm"].engine.dispose()
