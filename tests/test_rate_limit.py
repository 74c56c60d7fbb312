"""Rate limits per API key (core/api/ratelimit.py): 429 with Retry-After, a stricter ingest
budget, counting by token hash, Redis shared between workers, and the policy when Redis is
down (each process falls back to counting in memory; requests keep working).

Rate limiting is off in every other test (tests/conftest.py); these build their own apps
with it on, on a SQLite file of their own: the limiter does not touch the database.
"""

from __future__ import annotations

import logging
import os
import uuid

import pytest
import redis
from limits.storage import MemoryStorage

from core.app import create_app
from core.db import upgrade
from core.settings import load_settings
from tests.helpers import OPERATOR_KEY, STORE_YAML, TenantHandle, assert_429, auth, tenant

TEST_REDIS_URL = os.environ.get("CSM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Nothing listens on port 1: connecting is refused at once.
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not redis_answers(TEST_REDIS_URL), reason=f"no Redis answers at {TEST_REDIS_URL} (set CSM_TEST_REDIS_URL)")


# --- settings ---------------------------------------------------------------------------


def test_production_defaults_and_environment_switch():
    defaults = load_settings({}, environ={})
    assert defaults["RATE_LIMIT_ENABLED"] is True
    assert (defaults["RATE_LIMIT"], defaults["RATE_LIMIT_INGEST"], defaults["REDIS_URL"]) == ("600 per minute", "60 per minute", None)
    assert load_settings({}, environ={"CSM_RATE_LIMIT_ENABLED": "0"})["RATE_LIMIT_ENABLED"] is False
    assert load_settings({}, environ={"CSM_RATE_LIMIT_ENABLED": "false"})["RATE_LIMIT_ENABLED"] is False
    assert load_settings({}, environ={"CSM_RATE_LIMIT_ENABLED": "1"})["RATE_LIMIT_ENABLED"] is True
    assert load_settings({}, environ={"CSM_REDIS_URL": "redis://cache:6379/2"})["REDIS_URL"] == "redis://cache:6379/2"


def test_the_suites_app_fixture_is_not_rate_limited(app):
    assert app.config["RATELIMIT_ENABLED"] is False
    assert "limiter" not in app.extensions


# --- limits -----------------------------------------------------------------------------


def test_a_key_over_its_budget_gets_429_and_nothing_runs(make_app):
    app = make_app(RATE_LIMIT="4 per minute")
    t = tenant(app)
    other_key = t.post("/api/v1/keys", json={"name": "second admin", "role": "admin"}).json["api_key"]  # call 1
    assert [t.get("/api/v1/tenant").status_code for _ in range(3)] == [200, 200, 200]  # calls 2-4
    refused = t.post("/api/v1/keys", json={"name": "never created"})  # call 5
    assert_429(refused, "4 per 1 minute")
    # the budget is the key's, not the tenant's: another key of the tenant still works...
    listed = t.client.get("/api/v1/keys", headers=auth(other_key))
    assert listed.status_code == 200
    # ...and the refused request did nothing
    assert sorted(k["name"] for k in listed.json) == ["first admin key", "second admin"]


def test_ingest_has_a_stricter_budget_shared_by_json_and_csv(make_app):
    app = make_app(RATE_LIMIT="100 per minute", RATE_LIMIT_INGEST="2 per minute")
    t = tenant(app)
    t.upload()
    assert t.post("/api/v1/responses", json={"responses": [{"response_id": "j1", "answers": {"env_overall": "A"}}]}).status_code == 201
    assert t.post("/api/v1/responses/csv", data=b"response_id,env_overall\nc1,B\n", content_type="text/csv").status_code == 201
    refused = t.post("/api/v1/responses", json={"responses": [{"response_id": "j2", "answers": {"env_overall": "A"}}]})
    assert_429(refused, "2 per 1 minute")
    assert t.post("/api/v1/responses/csv", data=b"response_id,env_overall\nc2,B\n", content_type="text/csv").status_code == 429
    # reading is not ingest: still allowed, and shows that only the first two were stored
    listed = t.get("/api/v1/responses")
    assert listed.status_code == 200
    assert [r["response_id"] for r in listed.json] == ["j1", "c1"]  # oldest collected first


def test_counted_by_the_token_not_by_the_key_prefix(make_app):
    """Made-up tokens with a real key's (non-secret) prefix must not use up that key's budget."""
    app = make_app(RATE_LIMIT="3 per minute")
    t = tenant(app)
    prefix = t.key.split("_")[1]
    forged = auth(f"csm_{prefix}_not-the-secret")
    assert [t.client.get("/api/v1/tenant", headers=forged).status_code for _ in range(4)] == [401, 401, 401, 429]
    assert t.get("/api/v1/tenant").status_code == 200


def test_requests_without_a_key_are_counted_by_address(make_app):
    app = make_app(RATE_LIMIT="2 per minute")
    client = app.test_client()
    here = [client.get("/api/v1/tenant", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code for _ in range(3)]
    elsewhere = client.get("/api/v1/tenant", environ_base={"REMOTE_ADDR": "203.0.113.8"}).status_code
    assert (here, elsewhere) == ([401, 401, 429], 401)


def test_docs_are_not_limited(make_app):
    app = make_app(RATE_LIMIT="1 per minute")
    client = app.test_client()
    assert {client.get("/openapi.json").status_code for _ in range(3)} == {200}
    assert {client.get("/docs").status_code for _ in range(3)} == {200}


def test_every_api_operation_documents_429(make_app):
    spec = make_app().test_client().get("/openapi.json").json
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items() if method in {"get", "post", "patch", "delete", "put"}]
    assert len(operations) >= 20
    for path, method, op in operations:
        assert op["responses"]["429"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path)


# --- storage ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "storage",
    [
        pytest.param(None, id="memory"),
        pytest.param(TEST_REDIS_URL, id="redis", marks=needs_redis),
    ],
)
def test_workers_share_counts_only_through_redis(make_app, storage):
    """Two app instances stand for two worker processes. With Redis they share one budget
    per key (3 + 3 calls against 5 per minute: the sixth is refused); in memory each counts
    its own (all six pass)."""
    worker_a, worker_b = make_app(RATE_LIMIT="5 per minute", REDIS_URL=storage), make_app(RATE_LIMIT="5 per minute", REDIS_URL=storage)
    key = auth(tenant(worker_a).key)  # (tenant creation counts against the operator key)
    a = [worker_a.test_client().get("/api/v1/tenant", headers=key).status_code for _ in range(3)]
    b = [worker_b.test_client().get("/api/v1/tenant", headers=key).status_code for _ in range(3)]
    if storage is None:
        assert a + b == [200] * 6
    else:
        assert a + b == [200] * 5 + [429]


def test_redis_down_falls_back_to_counting_in_memory(make_app, caplog, monkeypatch):
    """The documented policy: a dead Redis degrades to per-process counting with the same
    limits (and a logged warning); it never turns requests into errors. Configured through
    the environment, as deployed."""
    caplog.set_level(logging.WARNING)
    monkeypatch.setenv("CSM_REDIS_URL", DEAD_REDIS_URL)
    app = make_app(RATE_LIMIT="3 per minute")
    assert app.config["RATELIMIT_STORAGE_URI"] == DEAD_REDIS_URL
    client = app.test_client()
    # the operator's key creates the tenant: its first call finds Redis dead
    t = TenantHandle(client, "t-" + uuid.uuid4().hex[:10])
    assert any("falling back to in-memory storage" in r.getMessage() for r in caplog.records)
    statuses = [t.get("/api/v1/tenant").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert_429(t.get("/api/v1/tenant"), "3 per 1 minute")


def test_if_even_the_fallback_fails_requests_go_through(make_app, caplog, monkeypatch):
    """Fail open: a limiter that cannot count lets the request through and logs why."""
    caplog.set_level(logging.ERROR)
    app = make_app(RATE_LIMIT="1 per minute", REDIS_URL=DEAD_REDIS_URL)

    def broken(self, *args, **kwargs):
        raise RuntimeError("memory storage broken for this test")

    monkeypatch.setattr(MemoryStorage, "incr", broken)
    client = app.test_client()
    statuses = [client.get("/api/v1/tenant", headers=auth(OPERATOR_KEY)).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]  # authentication ran each time: nothing was limited
    assert any("Swallowing error" in r.getMessage() for r in caplog.records)


def test_a_configured_app_still_uploads_and_scores(make_app):
    """With the production-like defaults nothing in an ordinary session gets near a limit."""
    app = make_app()
    t = tenant(app)
    t.upload(STORE_YAML)
    assert t.post("/api/v1/responses", json={"responses": [{"answers": {"env_overall": "A"}}]}).status_code == 201
    assert t.get("/api/v1/scores").json["n"] == 1
