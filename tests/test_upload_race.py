"""Concurrent configuration uploads through the API, on SQLite and PostgreSQL: never a 5xx.

Writers of one tenant take turns (SQLite: the write lock; PostgreSQL: an advisory lock per
tenant), so as deployed every concurrent upload is a 201 with the next number. The safety
net behind the lock: should a proposed number still collide VERSION_ATTEMPTS times in a
row, the upload is a 409 with ``Retry-After`` that stored nothing; the second variant
switches the lock off and allows one attempt, so on PostgreSQL real collisions reach it.
Whatever the interleaving, the stored version numbers are 1..k without gaps or
duplicates, k is the number of 201s, and every stored version has exactly one audit event.
Threads share one app (one engine, its connection pool), as the threads of a worker do;
on PostgreSQL the app connects as the row-level-security-bound role.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from core.app import create_app
from core.db.repositories import ConfigVersionRepository
from core.db.repositories import config_versions as config_versions_module
from tests.helpers import OPERATOR_KEY, STORE_YAML, TenantHandle

THREADS = 6
UPLOADS_PER_THREAD = 3


def _yaml(i: int) -> bytes:
    return STORE_YAML.replace("name: Store satisfaction", f"name: Store satisfaction {i}").encode()


@pytest.mark.parametrize("deployed", [True, False], ids=["as-deployed", "unserialised-one-attempt"])
def test_concurrent_uploads_are_201_or_409_and_numbered_without_gaps(app_db_url, monkeypatch, deployed):
    if not deployed:
        monkeypatch.setattr(ConfigVersionRepository, "_take_turn", lambda self, tenant_id: None)
        monkeypatch.setattr(config_versions_module, "VERSION_ATTEMPTS", 1)
    app = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY})
    try:
        t = TenantHandle(app.test_client(), "acme")
        start = threading.Barrier(THREADS)
        answers: list[tuple[int, dict, str | None]] = []
        lock = threading.Lock()
        failures = []

        def uploader(n: int):
            try:
                client = app.test_client()
                start.wait()
                for j in range(UPLOADS_PER_THREAD):
                    r = client.post("/api/v1/config/versions", data=_yaml(n * 10 + j), content_type="application/yaml", headers=t.headers)
                    with lock:
                        answers.append((r.status_code, r.get_json(), r.headers.get("Retry-After")))
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=uploader, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures, failures
        assert len(answers) == THREADS * UPLOADS_PER_THREAD

        statuses = Counter(status for status, _, _ in answers)
        assert set(statuses) <= {201, 409}, answers
        for status, body, retry_after in answers:
            if status == 409:
                assert retry_after == "1" and body["code"] == 409 and "try again" in body["message"], body
        k = statuses[201]
        assert sorted(body["version"] for status, body, _ in answers if status == 201) == list(range(1, k + 1))
        stored = t.get("/api/v1/config/versions").json
        assert [v["version"] for v in stored] == list(range(1, k + 1))
        uploads = [e for e in t.get("/api/v1/audit?page_size=1000").json if e["action"] == "config.upload"]
        assert sorted(e["target"] for e in uploads) == sorted(f"version {n}" for n in range(1, k + 1))
        print(dict(statuses))
        if deployed:
            assert k == THREADS * UPLOADS_PER_THREAD  # writers took turns: all stored
    finally:
        app.extensions["csm"].engine.dispose()


def test_an_upload_that_keeps_losing_is_409_with_retry_after_and_stores_nothing(make_tenant, monkeypatch):
    """Deterministic: every number the upload proposes is already taken."""
    t = make_tenant("acme")
    t.upload()
    monkeypatch.setattr(ConfigVersionRepository, "_next_version", lambda self, tenant_id: 1)
    r = t.post("/api/v1/config/versions", data=_yaml(2), content_type="application/yaml")
    assert r.status_code == 409 and r.headers["Retry-After"] == "1"
    assert r.json["code"] == 409 and r.json["status"] == "Conflict" and "try again" in r.json["message"]
    monkeypatch.undo()
    assert [v["version"] for v in t.get("/api/v1/config/versions").json] == [1]
    assert [e["action"] for e in t.get("/api/v1/audit").json].count("config.upload") == 1
    assert t.upload(_yaml(3).decode())["version"] == 2  # the retry succeeds
