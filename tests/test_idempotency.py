"""Idempotency-Key: the pure rules, the claim/record/release protocol, and the API.

Everything touching a database runs on SQLite and PostgreSQL. Concurrent writers and
injected failures are in test_concurrency.py.
"""

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from core.db import unit_of_work
from core.db.repositories import (
    AuditRepository,
    IdempotencyRecord,
    IdempotencyRepository,
    ResponseRepository,
    TenantRepository,
)
from core.idempotency import (
    Decision,
    InFlight,
    InvalidKey,
    KeyReused,
    Outcome,
    Superseded,
    decide,
    request_hash,
    run_once,
    validate_key,
)
from tests.helpers import TWO, app_session

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(hours=24)
LEASE = timedelta(seconds=300)


# --- pure rules -------------------------------------------------------------------------


def test_key_format():
    for good in ("a", "x" * 200, " ~", "550e8400-e29b-41d4-a716-446655440000", "order 17/retry"):
        assert validate_key(good) == good
    for bad in (None, "", "x" * 201, "clé", "tab\there", "del\x7f", "line\nbreak"):
        with pytest.raises(InvalidKey, match="1-200 printable ASCII"):
            validate_key(bad)


def test_request_hash_is_sha256_of_length_prefixed_parts():
    # Each part is preceded by its length as 8 big-endian bytes:
    # ("ab", b"c") -> 00 00 00 00 00 00 00 02 'a' 'b' 00 00 00 00 00 00 00 01 'c'
    framed = b"\x00\x00\x00\x00\x00\x00\x00\x02ab" + b"\x00\x00\x00\x00\x00\x00\x00\x01c"
    assert request_hash("ab", b"c") == hashlib.sha256(framed).hexdigest()
    # without the framing "ab"+"c" and "a"+"bc" would hash the same bytes
    assert request_hash("a", "bc") != request_hash("ab", "c")
    assert request_hash("é") == request_hash("é".encode())


def record(request_hash="h1", status_code=None, created_at=T0, expires_at=T0 + TTL):
    return IdempotencyRecord(id=1, tenant_id=1, key="k", request_hash=request_hash, status_code=status_code,
                             response_body=None if status_code is None else "{}", created_at=created_at, expires_at=expires_at)


@pytest.mark.parametrize(
    "existing, now, expected",
    [
        # done, same payload, within the TTL: the recorded answer
        (record(status_code=201), T0 + timedelta(hours=23, minutes=59), Decision.REPLAY),
        # another payload, whether the first is done or still running
        (record("h2", status_code=201), T0 + timedelta(seconds=1), Decision.MISMATCH),
        (record("h2"), T0 + timedelta(seconds=1), Decision.MISMATCH),
        # in flight for 299 s < lease of 300 s
        (record(), T0 + timedelta(seconds=299), Decision.IN_FLIGHT),
        # in flight for exactly the lease: abandoned
        (record(), T0 + timedelta(seconds=300), Decision.TAKE_OVER),
        # expired (now == expires_at): the key is free again, even for another payload
        (record("h2", status_code=201), T0 + TTL, Decision.TAKE_OVER),
    ],
)
def test_decide(existing, now, expected):
    assert decide(existing, "h1", now, LEASE) is expected


# --- the protocol on a real database ------------------------------------------------------


@pytest.fixture
def tenants(session_factory):
    with unit_of_work(session_factory) as s:
        repo = TenantRepository(s)
        return repo.create("acme", "Acme").id, repo.create("other", "Other").id


class Work:
    """A unit of work that writes an audit event (a real row, in the caller's transaction),
    so tests can count how often its writes were committed."""

    def __init__(self, session, tenant_id, fail=False):
        self.session, self.tenant_id, self.fail, self.calls = session, tenant_id, fail, 0

    def __call__(self):
        self.calls += 1
        AuditRepository(self.session).record(self.tenant_id, "test.work", actor="test")
        if self.fail:
            raise ValueError("work failed")
        return 201, {"accepted": 1, "call": self.calls}


def run(session, tenant_id, work, key="k", hashed="h1", now=T0):
    return run_once(session, tenant_id, key, hashed, work, ttl=TTL, lease=LEASE, clock=lambda: now)


def counts(session_factory, tenant_id):
    with unit_of_work(session_factory) as s:
        return AuditRepository(s).count(tenant_id), IdempotencyRepository(s).count(tenant_id)


def test_work_runs_once_and_a_retry_gets_its_answer(session_factory, tenants):
    acme, _ = tenants
    session = session_factory()
    work = Work(session, acme)
    assert run(session, acme, work) == Outcome(201, {"accepted": 1, "call": 1}, replayed=False)
    assert run(session, acme, work, now=T0 + timedelta(hours=1)) == Outcome(201, {"accepted": 1, "call": 1}, replayed=True)
    session.close()
    assert work.calls == 1
    assert counts(session_factory, acme) == (1, 1)
    with unit_of_work(session_factory) as s:
        stored = IdempotencyRepository(s).get(acme, "k")
    assert (stored.status_code, stored.response_body) == (201, '{"accepted":1,"call":1}')
    assert stored.created_at == T0 and stored.expires_at == T0 + TTL


def test_the_key_with_another_payload_is_refused(session_factory, tenants):
    acme, _ = tenants
    session = session_factory()
    run(session, acme, Work(session, acme))
    work = Work(session, acme)
    with pytest.raises(KeyReused, match="different payload"):
        run(session, acme, work, hashed="h2")
    session.close()
    assert work.calls == 0 and counts(session_factory, acme) == (1, 1)


def test_a_retry_while_the_first_is_in_flight_is_refused(session_factory, tenants):
    acme, _ = tenants
    with unit_of_work(session_factory) as s:
        assert IdempotencyRepository(s).claim(acme, "k", "h1", T0, T0 + TTL) is not None
    session = session_factory()
    work = Work(session, acme)
    with pytest.raises(InFlight, match="still in progress"):
        run(session, acme, work, now=T0 + timedelta(seconds=10))
    session.close()
    assert work.calls == 0 and counts(session_factory, acme) == (0, 1)


def test_failed_work_is_rolled_back_and_its_claim_released(session_factory, tenants):
    acme, _ = tenants
    session = session_factory()
    with pytest.raises(ValueError, match="work failed"):
        run(session, acme, Work(session, acme, fail=True))
    assert counts(session_factory, acme) == (0, 0)  # its audit row rolled back, claim gone
    work = Work(session, acme)
    assert run(session, acme, work).replayed is False  # the retry runs
    session.close()
    assert work.calls == 1 and counts(session_factory, acme) == (1, 1)


def test_an_abandoned_claim_is_taken_over_after_the_lease(session_factory, tenants):
    acme, _ = tenants
    with unit_of_work(session_factory) as s:
        abandoned = IdempotencyRepository(s).claim(acme, "k", "h1", T0, T0 + TTL)
    session = session_factory()
    with pytest.raises(InFlight):
        run(session, acme, Work(session, acme), now=T0 + LEASE - timedelta(seconds=1))
    work = Work(session, acme)
    assert run(session, acme, work, now=T0 + LEASE).replayed is False
    session.close()
    with unit_of_work(session_factory) as s:
        stored = IdempotencyRepository(s).get(acme, "k")
    assert stored.status_code == 201 and stored.created_at == T0 + LEASE
    assert abandoned is not None


def test_a_request_whose_claim_was_taken_over_does_not_commit(session_factory, tenants):
    acme, _ = tenants
    session = session_factory()

    def work():
        # meanwhile a retry decided this request was dead and claimed the key afresh
        # (on SQLite the new row even gets the old row's id back)
        with unit_of_work(session_factory) as other:
            repo = IdempotencyRepository(other)
            mine = repo.get(acme, "k")
            assert repo.release(acme, mine.id, mine.created_at)
            assert repo.claim(acme, "k", "h1", T0 + LEASE, T0 + LEASE + TTL) is not None
        AuditRepository(session).record(acme, "test.work", actor="test")
        return 201, {}

    with pytest.raises(Superseded):
        run(session, acme, work)
    session.close()
    assert counts(session_factory, acme) == (0, 1)  # its work rolled back; the new claim untouched
    with unit_of_work(session_factory) as s:
        assert IdempotencyRepository(s).get(acme, "k").in_flight


def test_keys_expire_after_the_ttl_and_are_purged_lazily(session_factory, tenants):
    acme, other = tenants
    session = session_factory()
    for tenant, key in ((acme, "k"), (acme, "old"), (other, "k")):
        run(session, tenant, Work(session, tenant), key=key)
    assert run(session, acme, Work(session, acme), now=T0 + TTL - timedelta(seconds=1)).replayed is True
    work = Work(session, acme)
    assert run(session, acme, work, now=T0 + TTL).replayed is False  # expired: runs again
    session.close()
    with unit_of_work(session_factory) as s:
        repo = IdempotencyRepository(s)
        assert repo.get(acme, "old") is None  # purged with the claim
        assert repo.get(other, "k") is not None  # another tenant's keys are not touched
        assert repo.get(acme, "k").created_at == T0 + TTL
    assert work.calls == 1


def test_keys_belong_to_their_tenant(session_factory, tenants):
    acme, other = tenants
    session = session_factory()
    assert run(session, acme, Work(session, acme)).replayed is False
    assert run(session, other, Work(session, other)).replayed is False
    session.close()
    assert counts(session_factory, acme) == (1, 1) and counts(session_factory, other) == (1, 1)


def test_repository_claims_once_and_only_touches_claims_in_flight(session_factory, tenants):
    acme, _ = tenants
    with unit_of_work(session_factory) as s:
        repo = IdempotencyRepository(s)
        first = repo.claim(acme, "k", "h1", T0, T0 + TTL)
        assert first is not None and repo.claim(acme, "k", "h1", T0, T0 + TTL) is None
        assert repo.complete(acme, first, T0 + timedelta(microseconds=1), 201, "{}") is False  # another claim's instant
        assert repo.complete(acme, first, T0, 201, "{}") is True
        assert repo.complete(acme, first, T0, 201, "{}") is False  # already done
        assert repo.release(acme, first, T0) is False  # a recorded answer is never released
        assert repo.purge_expired(acme, T0 + TTL - timedelta(microseconds=1)) == 0
        assert repo.purge_expired(acme, T0 + TTL) == 1


# --- the API ------------------------------------------------------------------------------


def stored(app, tenant_id):
    """(responses, idempotency keys) stored for the tenant."""
    with app_session(app, tenant_id) as s:
        return ResponseRepository(s).count(tenant_id), IdempotencyRepository(s).count(tenant_id)


def post_json(t, body, key=None, **kw):
    headers = {} if key is None else {"Idempotency-Key": key}
    return t.post("/api/v1/responses", data=body, content_type="application/json", headers=headers, **kw)


BODY = json.dumps({"responses": TWO}).encode()


def test_retry_with_the_same_key_and_body_replays_the_first_answer(app, make_tenant):
    t = make_tenant("acme")
    t.upload()
    first = post_json(t, BODY, "batch-1")
    assert first.status_code == 201 and first.json == {"accepted": 2, "version": 1}
    assert "Idempotent-Replayed" not in first.headers
    again = post_json(t, BODY, "batch-1")
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert stored(app, t.id) == (2, 1)
    # without a key the same body is a new request, refused row by row as before
    r = post_json(t, BODY)
    assert r.status_code == 422 and {e["field"] for e in r.json["errors"]} == {"response_id"}


def test_the_key_with_another_body_is_422_naming_the_header(app, make_tenant):
    t = make_tenant("acme")
    t.upload()
    assert post_json(t, BODY, "batch-1").status_code == 201
    other = json.dumps({"responses": [{"answers": {"env_overall": "A"}}]}).encode()
    r = post_json(t, other, "batch-1")
    assert r.status_code == 422 and [(e["location"], e["field"]) for e in r.json["errors"]] == [("header", "Idempotency-Key")]
    assert "different payload" in r.json["message"]
    # the same JSON serialised differently is another body too (the hash is of the bytes)
    assert post_json(t, json.dumps({"responses": TWO}, indent=1).encode(), "batch-1").status_code == 422
    assert stored(app, t.id) == (2, 1)


@pytest.mark.parametrize("key", ["", "x" * 201, "clé"])
def test_malformed_keys_are_422_and_store_nothing(app, make_tenant, key):
    t = make_tenant("acme")
    t.upload()
    r = post_json(t, BODY, key)
    assert r.status_code == 422 and [(e["location"], e["field"]) for e in r.json["errors"]] == [("header", "Idempotency-Key")]
    assert stored(app, t.id) == (0, 0)


def test_a_retry_while_the_first_is_in_flight_is_409(app, make_tenant):
    t = make_tenant("acme")
    t.upload()
    with app_session(app, t.id) as s:
        now = datetime.now(UTC)
        # a JSON body is known by its digest
        IdempotencyRepository(s).claim(t.id, "busy", request_hash("POST /responses", "", hashlib.sha256(BODY).digest()), now, now + TTL)
    r = post_json(t, BODY, "busy")
    assert r.status_code == 409 and r.headers["Retry-After"] == "1"
    assert [(e["location"], e["field"]) for e in r.json["errors"]] == [("header", "Idempotency-Key")] and "still in progress" in r.json["message"]
    assert post_json(t, b'{"responses": [{"answers": {"env_overall": "A"}}]}', "busy").status_code == 422
    assert stored(app, t.id) == (0, 1)


def test_failed_requests_are_not_recorded_so_a_retry_runs_again(app, make_tenant):
    t = make_tenant("acme")
    r = post_json(t, BODY, "early")
    assert r.status_code == 409 and "no configuration" in r.json["message"]
    assert stored(app, t.id) == (0, 0)
    t.upload()
    assert post_json(t, BODY, "early").json == {"accepted": 2, "version": 1}
    bad = json.dumps({"responses": [{"answers": {"env_overall": "Z"}}]}).encode()
    assert post_json(t, bad, "bad").status_code == 422
    assert stored(app, t.id) == (2, 1)


def test_csv_keys_cover_the_file_and_the_version(app, make_tenant):
    t = make_tenant("acme")
    t.upload()
    csv = b"response_id,env_overall,nps_recommend\nc1,A,10\nc2,C,5\n"
    key = {"Idempotency-Key": "csv-1"}
    first = t.post("/api/v1/responses/csv", data=csv, content_type="text/csv", headers=key)
    assert first.status_code == 201 and first.json == {"accepted": 2, "version": 1}
    # the same file as a multipart upload (another body, same file bytes) is the same request
    again = t.post("/api/v1/responses/csv", data={"file": (io.BytesIO(csv), "r.csv")}, content_type="multipart/form-data", headers=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert t.post("/api/v1/responses/csv?version=1", data=csv, content_type="text/csv", headers=key).status_code == 422
    assert post_json(t, BODY, "csv-1").status_code == 422  # the key is bound to the CSV endpoint's request
    assert stored(app, t.id) == (2, 1)


def test_tenants_may_use_the_same_key(app, make_tenant):
    a, b = make_tenant("acme"), make_tenant("other")
    a.upload()
    b.upload()
    assert "Idempotent-Replayed" not in post_json(a, BODY, "shared").headers
    assert "Idempotent-Replayed" not in post_json(b, BODY, "shared").headers
    assert stored(app, a.id) == (2, 1) and stored(app, b.id) == (2, 1)


def test_the_header_is_documented_on_both_ingest_endpoints(client):
    spec = client.get("/openapi.json").json
    for path in ("/api/v1/responses", "/api/v1/responses/csv"):
        post = spec["paths"][path]["post"]
        (param,) = [p for p in post["parameters"] if p["in"] == "header"]
        assert param["name"] == "Idempotency-Key" and param["required"] is False
        assert (param["schema"]["minLength"], param["schema"]["maxLength"]) == (1, 200)
        assert "Idempotent-Replayed" in post["responses"]["201"]["headers"]
        assert {"409", "422"} <= set(post["responses"])
