"""Cached score answers: the same request is scored once until the data it reads changes
(a batch, an erasure, a new version), ETag and 304, per process or shared through Redis,
and never a failure when Redis is down."""

from __future__ import annotations

import uuid

import pytest
import redis

from core.app import create_app
from core.operations import erasure, reports
from core.operations.base import CLI
from core.result_cache import MemoryCache
from core.settings import SettingsError, load_settings
from tests.helpers import OPERATOR_KEY, STORE_YAML, TWO, TenantHandle, app_session

REDIS_URL = "redis://127.0.0.1:6379/15"


def one(rid: str) -> dict:
    return {"responses": [{"response_id": rid, "customer_id": "c1", "answers": {"env_overall": "A"}}]}


def revalidate(tenant: TenantHandle, url: str, etag: str):
    return tenant.client.get(url, headers={**tenant.headers, "If-None-Match": etag})


@pytest.fixture
def scorings(monkeypatch):
    """How many times the answer store was actually scored."""
    calls = []
    real = reports.score_blocks

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "score_blocks", counting)
    return calls


def test_a_star_tag_revalidates_valid_requests_and_never_hides_a_refusal(make_tenant, scorings):
    """``If-None-Match: *`` matches any answer that exists (RFC 9110 13.1.2): a valid request
    gets 304 (scored once, then cached), an invalid one has no answer and still gets its 422."""
    acme = make_tenant("acme")
    acme.upload()
    assert acme.post("/api/v1/responses", json={"responses": TWO}).status_code == 201
    cold = revalidate(acme, "/api/v1/scores?by=segment", "*")
    assert cold.status_code == 304 and cold.get_data() == b"" and len(scorings) == 1
    warm = revalidate(acme, "/api/v1/scores?by=segment", "*")
    assert warm.status_code == 304 and warm.headers["ETag"] == cold.headers["ETag"] and len(scorings) == 1
    assert acme.get("/api/v1/scores?by=segment").headers["ETag"] == cold.headers["ETag"]
    refused = revalidate(acme, "/api/v1/scores?compare=" + "0" * 21, "*")
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "compare"
    refused = revalidate(acme, "/api/v1/scores?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "*")
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "to"


def test_same_request_is_scored_once_until_its_data_changes(client, make_tenant, scorings, app):
    acme = make_tenant("acme")
    acme.upload()
    assert acme.post("/api/v1/responses", json={"responses": TWO}).status_code == 201
    first = acme.get("/api/v1/scores?by=segment")
    again = acme.get("/api/v1/scores?by=segment")
    assert first.status_code == again.status_code == 200 and len(scorings) == 1
    assert again.get_data() == first.get_data() and again.json["n"] == 2
    etag = first.headers["ETag"]
    assert etag.startswith('"') and again.headers["ETag"] == etag
    assert first.headers["Cache-Control"] == "private, no-cache"

    unchanged = revalidate(acme, "/api/v1/scores?by=segment", etag)
    assert unchanged.status_code == 304 and unchanged.get_data() == b"" and unchanged.headers["ETag"] == etag
    assert len(scorings) == 1

    other = acme.get("/api/v1/scores")  # other parameters: another key
    assert other.status_code == 200 and other.headers["ETag"] != etag and len(scorings) == 2

    pair = {"responses": [{"response_id": r, "customer_id": c, "answers": {"env_overall": "A"}} for r, c in (("r3", "c1"), ("r4", "c2"))]}
    assert acme.post("/api/v1/responses", json=pair).status_code == 201  # a new block
    changed = revalidate(acme, "/api/v1/scores?by=segment", etag)
    assert changed.status_code == 200 and changed.json["n"] == 4 and changed.headers["ETag"] != etag
    assert len(scorings) == 3

    with app_session(app, acme.id) as session:  # an erasure rewrites the block: a new key
        assert erasure.erase_customer(session, acme.id, "c1", CLI).responses == 1
    erased = acme.get("/api/v1/scores?by=segment")
    assert erased.json["n"] == 3 and erased.headers["ETag"] not in (etag, changed.headers["ETag"]) and len(scorings) == 4


def test_a_version_s_answers_survive_ingest_into_another_version(make_tenant, scorings):
    acme = make_tenant("acme")
    acme.upload()
    assert acme.post("/api/v1/responses", json={"responses": TWO}).status_code == 201
    acme.upload()  # version 2 is now the latest
    v1 = acme.get("/api/v1/scores?version=1")
    assert v1.json["n"] == 2 and len(scorings) == 1
    assert acme.post("/api/v1/responses", json=one("late")).status_code == 201  # into version 2
    assert acme.get("/api/v1/scores?version=1").headers["ETag"] == v1.headers["ETag"]
    assert len(scorings) == 1
    latest = acme.get("/api/v1/scores")
    assert latest.json["version"] == 2 and latest.json["n"] == 1 and len(scorings) == 2


def test_tenants_never_share_an_answer(make_tenant, scorings):
    acme, beta = make_tenant("acme"), make_tenant("beta")
    for t in (acme, beta):
        t.upload()
    assert acme.post("/api/v1/responses", json={"responses": TWO}).status_code == 201
    a, b = acme.get("/api/v1/scores"), beta.get("/api/v1/scores")
    assert (a.json["n"], b.json["n"]) == (2, 0) and a.headers["ETag"] != b.headers["ETag"]
    assert revalidate(beta, "/api/v1/scores", a.headers["ETag"]).status_code == 200


def test_refused_requests_are_not_cached(make_tenant, scorings):
    acme = make_tenant("acme")
    acme.upload()
    assert acme.post("/api/v1/responses", json={"responses": TWO}).status_code == 201
    assert acme.get("/api/v1/scores?by=colour").status_code == 422  # responses have no attribute 'colour'
    r = acme.get("/api/v1/scores?by=colour")
    assert r.status_code == 422 and "ETag" not in r.headers


def test_memory_cache_is_bounded_and_expires(monkeypatch):
    cache = MemoryCache(max_bytes=10, ttl=60)
    cache.set("a", b"12345")
    cache.set("b", b"12345")
    assert cache.get("a") == b"12345"  # a is now the most recently used
    cache.set("c", b"123")  # 13 bytes: b, the least recently used, goes
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"12345", None, b"123")
    cache.set("huge", b"x" * 11)  # larger than the whole cache: not kept
    assert cache.get("huge") is None and len(cache) == 2
    import core.result_cache as module

    now = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    cache = MemoryCache(max_bytes=100, ttl=5)
    cache.set("k", b"v")
    now[0] += 4.9
    assert cache.get("k") == b"v"
    now[0] += 0.2
    assert cache.get("k") is None and len(cache) == 0


def test_cache_settings_are_checked():
    with pytest.raises(SettingsError) as caught:
        load_settings({"CACHE_TTL_SECONDS": "soon", "CACHE_MAX_MB": 0, "CACHE_ENABLED": "maybe"}, environ={})
    problems = "\n".join(caught.value.problems)
    assert "CSM_CACHE_TTL_SECONDS: must be a positive integer, got 'soon'" in problems
    assert "CSM_CACHE_MAX_MB: must be a positive integer, got 0" in problems
    assert "CSM_CACHE_ENABLED: must be a boolean" in problems


def test_cache_off_scores_every_time(app_db_url, scorings):
    app = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY, "TESTING": True, "CACHE_ENABLED": False})
    try:
        acme = TenantHandle(app.test_client(), "acme")
        acme.upload(STORE_YAML)
        r1, r2 = acme.get("/api/v1/scores"), acme.get("/api/v1/scores")
        assert r1.status_code == r2.status_code == 200 and "ETag" not in r1.headers and len(scorings) == 2
    finally:
        app.extensions["csm"].engine.dispose()


def _redis_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_timeout=0.5).ping()
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis not reachable at 127.0.0.1:6379")
def test_workers_share_answers_through_redis(app_db_url, scorings):
    """Two apps on one database and one Redis, as two gunicorn workers: the second is
    served what the first computed; the entry lives in Redis with the TTL."""
    settings = {"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY, "TESTING": True, "REDIS_URL": REDIS_URL, "CACHE_TTL_SECONDS": 120}
    first, second = create_app(settings), create_app(settings)
    try:
        acme = TenantHandle(first.test_client(), "t-" + uuid.uuid4().hex[:10])
        acme.upload(STORE_YAML)
        assert acme.post("/api/v1/responses", json={"responses": TWO}).status_code == 201
        a = first.test_client().get("/api/v1/scores", headers=acme.headers)
        b = second.test_client().get("/api/v1/scores", headers=acme.headers)
        assert a.status_code == b.status_code == 200 and a.get_data() == b.get_data() and len(scorings) == 1
        client = redis.Redis.from_url(REDIS_URL)
        key = f"csm:answer:{a.headers['ETag'].strip(chr(34))}"
        stored = [k for k in client.scan_iter(match=key + "*")]
        assert len(stored) == 1 and 0 < client.ttl(stored[0]) <= 120
        assert client.get(stored[0]) == a.get_data()
        assert len(second.extensions["csm"].answer_cache.fallback) == 0  # nothing kept in memory
    finally:
        for app in (first, second):
            app.extensions["csm"].engine.dispose()


def test_redis_down_caches_in_process_memory(app_db_url, scorings, caplog):
    settings = {"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY, "TESTING": True, "REDIS_URL": "redis://127.0.0.1:1/0"}
    app = create_app(settings)
    try:
        acme = TenantHandle(app.test_client(), "acme")
        acme.upload(STORE_YAML)
        r1, r2 = acme.get("/api/v1/scores"), acme.get("/api/v1/scores")
        assert r1.status_code == r2.status_code == 200 and r1.get_data() == r2.get_data() and len(scorings) == 1
        assert "Redis unreachable" in caplog.text
    finally:
        app.extensions["csm"].engine.dispose()


def test_score_computations_in_a_process_are_bounded_and_a_waiting_twin_is_served_from_the_cache(app_db_url, monkeypatch):
    """SCORE_CONCURRENCY 1: four requests at once, two of them the same, are computed
    one at a time, and the twin that waited is answered from the cache."""
    import threading
    import time

    app = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY, "TESTING": True, "SCORE_CONCURRENCY": 1})
    acme = TenantHandle(app.test_client(), "acme")
    acme.upload()
    assert acme.post("/api/v1/responses", json={"responses": TWO}).status_code == 201
    running, peak, calls, lock = [0], [0], [], threading.Lock()
    real = reports.score_blocks

    def slow(*args, **kwargs):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            calls.append(1)
        time.sleep(0.2)
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(reports, "score_blocks", slow)
    urls = ["/api/v1/scores", "/api/v1/scores?by=segment", "/api/v1/scores?by=touchpoint", "/api/v1/scores?by=segment"]
    answers = [None] * len(urls)

    def ask(i):
        answers[i] = app.test_client().get(urls[i], headers=acme.headers)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(urls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200] * 4 and answers[1].json == answers[3].json
    assert peak[0] == 1 and len(calls) == 3  # one at a time; the second by=segment was not scored again
