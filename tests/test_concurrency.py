"""Ingest that loses nothing: concurrent writers, duplicate retries, injected failures.

Runs on SQLite (WAL, BEGIN IMMEDIATE, busy timeout: writers queue) and PostgreSQL
(writers overlap; the unique constraints and the committed claim arbitrate). Clients
behave like real ones: a 409 (the key's first request still in flight) is retried after a
pause until the answer is final.

Every scenario checks the same ledger: each batch's copies (same Idempotency-Key, same
bytes) end with the same answer; an acknowledged batch (201) was executed exactly once
(one fresh 201, the other copies replays) and all its rows are stored once; a refused
batch (422, its response ids stored by a competing batch) left no row; no request got a
5xx. Stored rows = rows of the acknowledged batches: 0 lost, 0 duplicated.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from collections import Counter, defaultdict
from dataclasses import fields, replace

import pytest
from sqlalchemy import func, select, text

from core.app import create_app
from core.db import make_engine, make_session_factory
from core.db.errors import DuplicateResponseKey
from core.db.repositories import IdempotencyRepository, ResponseRepository
from core.db.repositories import responses as responses_module
from core.db.tables import IdempotencyKeyRow, ResponseRow
from core.db.tenancy import bind_tenant
from core.ingest import BatchError, batch_from_records
from core.operations import responses
from tests.helpers import OPERATOR_KEY, STORE_YAML, app_session, auth

SIZE = 20
SHARED = 5
RETRY_PAUSE_S = 0.01
MAX_ATTEMPTS = 500


def make_batches() -> dict[int, list[dict]]:
    """Eight batches of SIZE responses, every row marked with customer_id ``b<i>``.

    - 0-3: response ids ``b<i>-<j>``;
    - 4, 5: response ids too, the first SHARED of them taken from batch 0 / 1, so of each
      pair (0, 4), (1, 5) exactly one can be stored;
    - 6, 7: no response ids at all: only the Idempotency-Key keeps their retries from
      being stored twice.
    """
    batches = {}
    for i in range(8):
        ids = [f"b{i}-{j}" for j in range(SIZE)] if i < 6 else [None] * SIZE
        if i in (4, 5):
            ids[:SHARED] = [f"b{i - 4}-{j}" for j in range(SHARED)]
        batches[i] = [
            {**({"response_id": rid} if rid else {}), "customer_id": f"b{i}", "answers": {"env_overall": "ABCD"[j % 4], "nps_recommend": j % 11}}
            for j, rid in enumerate(ids)
        ]
    return batches


BATCHES = make_batches()
BODIES = {i: json.dumps({"responses": rows}).encode() for i, rows in BATCHES.items()}
OVERLAPPING = ((0, 4), (1, 5))


def send(client, headers, i) -> list[tuple[int, bool, dict]]:
    """POST batch ``i`` with its key, retrying on 409; every attempt's (status, replayed, body)."""
    attempts = []
    for _ in range(MAX_ATTEMPTS):
        r = client.post("/api/v1/responses", data=BODIES[i], content_type="application/json", headers={**headers, "Idempotency-Key": f"batch-{i}"})
        attempts.append((r.status_code, r.headers.get("Idempotent-Replayed") == "true", r.get_json()))
        if r.status_code != 409:
            break
        time.sleep(RETRY_PAUSE_S)
    return attempts


def setup_tenant(url) -> tuple[int, dict]:
    app = create_app({"DATABASE_URL": url, "OPERATOR_KEY": OPERATOR_KEY})
    client = app.test_client()
    r = client.post("/api/v1/tenants", json={"slug": "acme", "name": "Acme"}, headers=auth(OPERATOR_KEY))
    headers = auth(r.json["api_key"])
    assert client.post("/api/v1/config/versions", data=STORE_YAML.encode(), content_type="application/yaml", headers=headers).status_code == 201
    app.extensions["csm"].engine.dispose()
    return r.json["tenant"]["id"], headers


def check_ledger(url, tenant_id, results: dict[int, list[list[tuple[int, bool, dict]]]]) -> Counter:
    """Assert the module docstring's ledger; return how many answers of each kind there were."""
    kinds = Counter()
    acknowledged = set()
    for i, copies in results.items():
        for attempts in copies:
            for status, replayed, body in attempts:
                kinds["replay" if replayed else str(status)] += 1
                assert status in (201, 409, 422), (i, status, body)  # never a 5xx
                if status == 422:  # refused only for response ids another batch stored
                    assert body["errors"] and all(e["field"] == "response_id" and "already stored" in e["reason"] for e in body["errors"]), body
        finals = [attempts[-1] for attempts in copies]
        assert {f[0] for f in finals} in ({201}, {422}), (i, finals)  # copies agree, no 409 left
        if finals[0][0] == 201:
            acknowledged.add(i)
            assert all(f[2] == {"accepted": SIZE, "version": 1} for f in finals)
            assert sum(not f[1] for f in finals) == 1, (i, finals)  # executed once, the rest replays
    for a, b in OVERLAPPING:
        assert len({a, b} & acknowledged) == 1, (a, b, acknowledged)
    assert {2, 3, 6, 7} <= acknowledged

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            rows = c.execute(select(ResponseRow.customer_id, ResponseRow.response_key).where(ResponseRow.tenant_id == tenant_id)).all()
            keys = c.execute(select(IdempotencyKeyRow.key, IdempotencyKeyRow.status_code).where(IdempotencyKeyRow.tenant_id == tenant_id)).all()
    finally:
        engine.dispose()
    # each acknowledged batch's answer is recorded; refused batches released their claims
    assert sorted(keys) == sorted((f"batch-{i}", 201) for i in acknowledged)
    per_batch = Counter(customer for customer, _ in rows)
    assert per_batch == Counter({f"b{i}": SIZE for i in acknowledged})  # 0 lost, 0 duplicated, 0 partial
    keys = [k for _, k in rows if k is not None]
    expected_keys = {r["response_id"] for i in acknowledged for r in BATCHES[i] if "response_id" in r}
    assert len(keys) == len(set(keys)) and set(keys) == expected_keys
    return kinds


def test_threads_with_duplicate_retries_and_overlapping_ids(migrated_db_url, app_db_url):
    """Four threads; threads 0 and 1 send batches 0-3 in step (each copy races its twin on
    the same key), threads 2 and 3 send 4-7 (whose ids clash with 0 and 1)."""
    tenant_id, headers = setup_tenant(app_db_url)
    app = create_app({"DATABASE_URL": app_db_url})
    schedules = [[0, 1, 2, 3], [0, 1, 2, 3], [4, 5, 6, 7], [4, 5, 6, 7]]
    results: dict[int, list] = defaultdict(list)
    lock = threading.Lock()
    start = threading.Barrier(len(schedules))
    failures = []

    def worker(schedule):
        try:
            client = app.test_client()
            start.wait()
            for i in schedule:
                attempts = send(client, headers, i)
                with lock:
                    results[i].append(attempts)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in schedules]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    app.extensions["csm"].engine.dispose()
    assert not failures, failures
    assert all(len(copies) == 2 for copies in results.values()) and len(results) == 8
    kinds = check_ledger(migrated_db_url, tenant_id, results)
    assert kinds["replay"] == 6  # one per acknowledged batch: its twin's copy
    print(dict(kinds))


def _process_worker(url: str, headers: dict, schedule: list[int]) -> list[tuple[int, list]]:
    """Runs in a spawned process: its own app, engine and connections, built from the URL."""
    app = create_app({"DATABASE_URL": url})
    client = app.test_client()
    try:
        return [(i, send(client, headers, i)) for i in schedule]
    finally:
        app.extensions["csm"].engine.dispose()


@pytest.fixture(scope="module")
def processes():
    """Two spawned worker processes, shared by this module's tests (a spawned process
    imports everything again; each task still builds its own app and engine)."""
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        yield pool


def test_processes_with_duplicate_retries_and_overlapping_ids(migrated_db_url, app_db_url, processes):
    """Two processes; at each step they send either the same batch (same key) or the two
    batches of an overlapping pair."""
    tenant_id, headers = setup_tenant(app_db_url)
    schedules = [[0, 1, 2, 3, 4, 5, 6, 7], [4, 1, 6, 3, 0, 5, 2, 7]]
    outputs = processes.starmap(_process_worker, [(app_db_url, headers, s) for s in schedules], chunksize=1)
    results: dict[int, list] = defaultdict(list)
    for output in outputs:
        for i, attempts in output:
            results[i].append(attempts)
    kinds = check_ledger(migrated_db_url, tenant_id, results)
    assert kinds["replay"] == 6
    print(dict(kinds))


# --- the same response_id from two different requests at once ---------------------------


def test_concurrent_batches_sharing_a_response_id_store_one_and_refuse_the_other(migrated_db_url, app_db_url):
    """Session A stores r1, r2 and stays uncommitted; session B ingests r2, r3 meanwhile.

    PostgreSQL: B's "already stored?" check cannot see A's uncommitted rows and passes; its
    COPY then waits on the unique index until A commits and fails there. SQLite: B waits
    for A's write lock and its check then finds r2. Either way B is refused for r2 by row,
    as a 422 would name it, and nothing of B is stored.
    """
    tenant_id, _headers = setup_tenant(app_db_url)
    engine = make_engine(app_db_url)
    owner = make_engine(migrated_db_url)  # to watch the locks
    sessions = make_session_factory(engine)
    postgres = engine.dialect.name == "postgresql"
    rows = lambda ids: lambda iset: batch_from_records([{"response_id": r, "answers": {"env_overall": "A"}} for r in ids], iset)  # noqa: E731
    outcome = {}

    def b_ingests():
        with sessions() as b:
            bind_tenant(b, tenant_id)
            if postgres:
                outcome["pid"] = b.execute(text("SELECT pg_backend_pid()")).scalar()
            try:
                responses.ingest(b, tenant_id, rows(["r2", "r3"]))
                b.commit()
            except BatchError as exc:
                b.rollback()
                outcome["error"] = exc

    try:
        with sessions() as a:
            bind_tenant(a, tenant_id)
            responses.ingest(a, tenant_id, rows(["r1", "r2"]))
            other = threading.Thread(target=b_ingests)
            other.start()
            if postgres:  # wait until B is blocked on A's row lock
                with owner.connect() as probe:
                    for _ in range(500):
                        pid = outcome.get("pid")
                        if pid and probe.execute(text("SELECT cardinality(pg_blocking_pids(:p))"), {"p": pid}).scalar():
                            break
                        time.sleep(0.01)
                    else:
                        pytest.fail("session B never blocked on session A")
            else:
                time.sleep(0.2)
            a.commit()
        other.join(timeout=30)
        error = outcome["error"]
        assert [e.to_dict() for e in error.errors] == [{"row": 0, "field": "response_id", "message": "response_id 'r2' is already stored"}]
        if postgres:
            assert isinstance(error.__cause__, DuplicateResponseKey)
        with sessions() as s:
            bind_tenant(s, tenant_id)
            assert sorted(s.scalars(select(ResponseRow.response_key).where(ResponseRow.tenant_id == tenant_id))) == ["r1", "r2"]
    finally:
        engine.dispose()
        owner.dispose()


def test_a_unique_violation_at_insert_is_a_422_naming_the_rows(app, make_tenant, monkeypatch):
    """The API side of the race above, made deterministic: the "already stored?" check is
    made to miss once (as if it ran before the competing commit), so the duplicate reaches
    the unique constraint. The answer is the same 422 the check gives, never a 500."""
    t = make_tenant("acme")
    t.upload()
    assert t.post("/api/v1/responses", json={"responses": [{"response_id": "r1", "answers": {"env_overall": "A"}}]}).status_code == 201
    real = ResponseRepository.existing_keys
    calls = []

    def misses_once(self, tenant_id, keys):
        calls.append(list(keys))
        return set() if len(calls) == 1 else real(self, tenant_id, keys)

    monkeypatch.setattr(ResponseRepository, "existing_keys", misses_once)
    body = {"responses": [{"response_id": "r0", "answers": {"env_overall": "B"}}, {"response_id": "r1", "answers": {"env_overall": "B"}}]}
    r = t.post("/api/v1/responses", json=body, headers={"Idempotency-Key": "race"})
    assert r.status_code == 422, r.json
    assert r.json["errors"] == [{"location": "item", "field": "response_id", "line": None, "index": 1, "reason": "response_id 'r1' is already stored"}]
    assert len(calls) == 2  # the check, then the lookup after the constraint fired
    with app_session(app, t.id) as s:
        assert ResponseRepository(s).count(t.id) == 1
        assert IdempotencyRepository(s).count(t.id) == 0  # claim released


# --- a failure in the middle of a batch ---------------------------------------------------


def count_rows(app, tenant_id) -> tuple[int, int]:
    with app_session(app, tenant_id) as s:
        return ResponseRepository(s).count(tenant_id), IdempotencyRepository(s).count(tenant_id)


TEN = {"responses": [{"response_id": f"m{j}", "answers": {"env_overall": "A"}} for j in range(10)]}


def test_a_crash_after_half_the_rows_are_written_leaves_no_partial_batch(app, make_tenant, monkeypatch):
    """The bulk write is patched to really write the first 5 of 10 rows (checked inside the
    transaction), then raise. The request fails (500), the 5 rows are gone, the key's claim
    is released, and the retry with the same key stores all 10, once."""
    t = make_tenant("acme")
    t.upload()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # let the 500 reach the client
    written = []

    def half_then_crash(original):
        def write(connection, tenant_id, config_version_id, version, rows):
            half = replace(rows, **{f.name: getattr(rows, f.name)[:5] for f in fields(rows)})
            original(connection, tenant_id, config_version_id, version, half)
            written.append(connection.execute(select(func.count()).select_from(ResponseRow).where(ResponseRow.tenant_id == tenant_id)).scalar())
            raise RuntimeError("injected failure after a partial write")

        return write

    for name in ("_executemany_rows", "_copy_rows"):
        monkeypatch.setattr(responses_module, name, half_then_crash(getattr(responses_module, name)))
    r = t.post("/api/v1/responses", json=TEN, headers={"Idempotency-Key": "mid"})
    assert r.status_code == 500 and written == [5]
    assert count_rows(app, t.id) == (0, 0)

    monkeypatch.undo()
    r = t.post("/api/v1/responses", json=TEN, headers={"Idempotency-Key": "mid"})
    assert r.status_code == 201 and r.json["accepted"] == 10 and "Idempotent-Replayed" not in r.headers
    assert t.post("/api/v1/responses", json=TEN, headers={"Idempotency-Key": "mid"}).headers["Idempotent-Replayed"] == "true"
    assert count_rows(app, t.id) == (10, 1)


def test_a_database_error_on_row_6_of_10_leaves_no_partial_batch(app, migrated_db_url, make_tenant):
    """A trigger makes the database itself fail on the sixth row, in the middle of the
    bulk write (five rows already inserted by the same statement); then it is dropped and
    the retry with the same key runs."""
    t = make_tenant("acme")
    t.upload()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    body = {"responses": [{"response_id": "poison" if j == 5 else f"p{j}", "answers": {"env_overall": "A"}} for j in range(10)]}
    engine = make_engine(migrated_db_url)
    postgres = engine.dialect.name == "postgresql"
    try:
        with engine.begin() as c:
            if postgres:
                c.execute(text("CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                               "IF NEW.response_key = 'poison' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$"))
                c.execute(text("CREATE TRIGGER poison BEFORE INSERT ON responses FOR EACH ROW EXECUTE FUNCTION poison()"))
            else:
                c.execute(text("CREATE TRIGGER poison BEFORE INSERT ON responses WHEN NEW.response_key = 'poison' "
                               "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"))
        r = t.post("/api/v1/responses", json=body, headers={"Idempotency-Key": "poisoned"})
        assert r.status_code == 500
        assert count_rows(app, t.id) == (0, 0)
        with engine.begin() as c:
            c.execute(text("DROP TRIGGER poison ON responses" if postgres else "DROP TRIGGER poison"))
    finally:
        engine.dispose()
    r = t.post("/api/v1/responses", json=body, headers={"Idempotency-Key": "poisoned"})
    assert r.status_code == 201 and r.json["accepted"] == 10
    assert count_rows(app, t.id) == (10, 1)
