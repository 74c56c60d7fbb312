"""Reads never take SQLite's write lock; a request still waiting for it past the busy
timeout is a 503 with Retry-After, never a 500; readers and writers run side by side on
both databases without an error."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import text

from core.app import create_app
from core.db import upgrade
from tests.helpers import OPERATOR_KEY, STORE_YAML, TWO, TenantHandle, app_session

ONE = [{"answers": {"env_overall": "A"}}]


@pytest.fixture
def sqlite_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'csm.db'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "OPERATOR_KEY": OPERATOR_KEY, "TESTING": True, "SQLITE_BUSY_TIMEOUT_MS": 300})
    yield app, tmp_path / "csm.db"
    app.extensions["csm"].engine.dispose()


def test_a_held_write_lock_blocks_no_reader_and_turns_a_writer_into_a_503(sqlite_app):
    app, path = sqlite_app
    acme = TenantHandle(app.test_client(), "acme")
    acme.upload(STORE_YAML)
    assert acme.post("/api/v1/responses", json={"responses": TWO}).status_code == 201

    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")  # another process writing, holding the lock
    holder.execute("UPDATE tenants SET name = name")
    try:
        for url in ("/api/v1/scores", "/api/v1/scores?by=segment", "/api/v1/responses", "/api/v1/config/versions", "/api/v1/tenant"):
            assert acme.get(url).status_code == 200, url
        r = acme.post("/api/v1/responses", json={"responses": ONE})
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "2"
        assert r.json["code"] == 503 and "retry" in r.json["message"]
        # The export writes (its audit event): it waits for the lock like any writer.
        assert acme.get("/api/v1/tenant/export").status_code == 503
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert acme.get("/api/v1/scores").json["n"] == 2  # the refused batch stored nothing
    assert acme.post("/api/v1/responses", json={"responses": ONE}).status_code == 201
    assert acme.get("/api/v1/scores").json["n"] == 3


def test_a_database_error_that_is_not_a_busy_lock_stays_a_500(sqlite_app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from core.operations import reports

    app, _ = sqlite_app
    app.config["TESTING"] = False  # a 500 is answered, not raised into the test
    acme = TenantHandle(app.test_client(), "acme")
    acme.upload(STORE_YAML)

    def broken(*_a, **_k):
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(reports, "score_blocks", broken)
    assert acme.get("/api/v1/scores").status_code == 500


def test_readers_and_writers_side_by_side(app, make_tenant):
    """4 writers each push 6 batches while 4 readers ask for scores without pause: every
    answer is a 200 or 201, and the stored count is what the writers were told."""
    acme = make_tenant("acme")
    acme.upload(STORE_YAML)
    statuses: list[int] = []
    lock = threading.Lock()
    done = threading.Event()

    def writer(w):
        client = app.test_client()
        for b in range(6):
            batch = [{"response_id": f"w{w}-b{b}-{i}", "answers": {"env_overall": "ABCD"[i % 4]}} for i in range(50)]
            r = client.post("/api/v1/responses", json={"responses": batch}, headers=acme.headers)
            with lock:
                statuses.append(r.status_code)

    def reader():
        client = app.test_client()
        while not done.is_set():
            r = client.get("/api/v1/scores?by=touchpoint", headers=acme.headers)
            with lock:
                statuses.append(r.status_code)

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in writers + readers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert set(statuses) <= {200, 201}, sorted(set(statuses))
    assert statuses.count(201) == 24 and statuses.count(200) >= 4
    body = acme.get("/api/v1/scores").json
    assert body["n"] == 24 * 50
    with app_session(app, acme.id) as session:
        assert session.scalar(text("SELECT sum(rows) FROM answer_blocks WHERE tenant_id = :t"), {"t": acme.id}) == 1200
