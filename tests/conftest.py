"""Shared fixtures: databases (SQLite and PostgreSQL), the app, a client, tenants."""

import os
from pathlib import Path

import pytest

from core.app import create_app

pytest_plugins = ["tests.db_fixtures"]

# Rate limiting is off for every app the tests build (fixtures, served apps, the fuzzer), so
# no test depends on how many requests came before it; tests/test_rate_limit.py turns it on.
os.environ.setdefault("CSM_RATE_LIMIT_ENABLED", "0")

ROOT = Path(__file__).resolve().parent.parent
OPERATOR_KEY = "operator-test-key-0123456789"
STORE_YAML = (ROOT / "config" / "examples" / "store.yaml").read_text(encoding="utf-8")


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


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


class TenantHandle:
    """A tenant created through the API, with its admin key and a few shortcuts."""

    def __init__(self, client, slug: str):
        r = client.post("/api/v1/tenants", json={"slug": slug, "name": slug.title()}, headers=auth(OPERATOR_KEY))
        assert r.status_code == 201, r.json
        self.client = client
        self.id = r.json["tenant"]["id"]
        self.slug = slug
        self.key = r.json["api_key"]
        self.headers = auth(self.key)

    def get(self, url, **kw):
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def put(self, url, **kw):
        return self.client.put(url, headers=self.headers, **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers=self.headers, **kw)

    def upload(self, yaml_text: str = STORE_YAML):
        r = self.post("/api/v1/config/versions", data=yaml_text.encode(), content_type="application/yaml")
        assert r.status_code == 201, r.json
        return r.json


@pytest.fixture
def make_tenant(client):
    return lambda slug: TenantHandle(client, slug)
