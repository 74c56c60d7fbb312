"""A retry after the server died mid-request runs within seconds, not after the lease:
the claim's holder is known to be gone (PostgreSQL advisory lock, SQLite process identity)."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import claim_holders
from core.db.repositories.idempotency import IdempotencyRecord, IdempotencyRepository
from core.db.tables import IdempotencyKeyRow, ResponseRow
from core.idempotency import Decision, decide
from tests.helpers import ROOT, TWO, app_session

T0 = datetime(2026, 3, 1, tzinfo=UTC)
LEASE = timedelta(seconds=300)

# A server whose ingest first sleeps, so it can be killed while it holds a claim.
SERVER = """
import sys, time
from werkzeug.serving import make_server
from core.app import create_app
import core.operations.responses as responses
real, delay = responses.ingest, float(sys.argv[3])
def slow(*args, **kwargs):
    time.sleep(delay)
    return real(*args, **kwargs)
responses.ingest = slow
app = create_app({"DATABASE_URL": sys.argv[1], "TESTING": True, "RATE_LIMIT_ENABLED": False})
make_server("127.0.0.1", int(sys.argv[2]), app, threaded=True).serve_forever()
"""


def in_flight(holder):
    return IdempotencyRecord(1, 1, "k", "h", None, None, T0, T0 + timedelta(hours=24), holder)


@pytest.mark.parametrize(
    "gone, now, expected",
    [
        (True, T0 + timedelta(seconds=1), Decision.TAKE_OVER),  # holder gone: at once
        (False, T0 + timedelta(seconds=1), Decision.IN_FLIGHT),  # holder alive
        (None, T0 + timedelta(seconds=1), Decision.IN_FLIGHT),  # cannot tell: wait for the lease
        (None, T0 + LEASE, Decision.TAKE_OVER),
    ],
)
def test_decide_takes_a_claim_over_once_its_holder_is_gone(gone, now, expected):
    assert decide(in_flight("x"), "h", now, LEASE, gone) is expected


def test_a_process_token_names_a_live_process_and_a_dead_one_is_gone():
    ours = claim_holders.Holder(token=claim_holders.process_token())
    assert claim_holders.holder_gone(claim_holders.process_token(), ours) is False
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    token = claim_holders.process_token(child.pid)
    child.wait()
    assert claim_holders.holder_gone(token, ours) is True
    host, pid, started = token.split(":")[1:]
    assert claim_holders.holder_gone(f"proc:{host}:{os.getpid()}:{started}", ours) is True  # a recycled pid
    assert claim_holders.holder_gone(f"proc:another-host:{pid}:{started}", ours) is None
    assert claim_holders.holder_gone(None, ours) is None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(url, delay):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", SERVER, url, str(port), str(delay)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=1).read()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not start")


def _post(port, key, token, timeout=30):
    body = json.dumps({"responses": TWO}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/responses",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _post_until_killed(port, key, token):
    try:
        _post(port, key, token, timeout=90)
    except OSError:  # the server is killed under it: no answer
        pass


def _counts(app, tenant_id):
    with app_session(app, tenant_id) as s:
        claims = s.scalar(select(func.count()).select_from(IdempotencyKeyRow))
        rows = s.scalar(select(func.count()).select_from(ResponseRow))
        return claims, rows


def test_a_retry_after_the_server_was_killed_mid_request_runs_at_once(app, app_db_url, make_tenant):
    t = make_tenant("acme")
    t.upload()
    first, port = _serve(app_db_url, delay=60)
    try:
        threading.Thread(target=_post_until_killed, args=(port, "crash-1", t.key), daemon=True).start()
        deadline = time.monotonic() + 30
        while _counts(app, t.id)[0] == 0:  # the claim is committed before the work starts
            assert time.monotonic() < deadline, "the first request never claimed its key"
            time.sleep(0.05)
        status, body = _post(port, "crash-1", t.key)  # the holder is alive: wait
        assert status == 409 and "still in progress" in body["message"]
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert _counts(app, t.id) == (1, 0)  # the dead request's claim is left in flight

    second, port = _serve(app_db_url, delay=0)
    try:
        started = time.monotonic()
        status, body = _post(port, "crash-1", t.key)
        assert status == 201, body
        assert body["accepted"] == 2
        assert time.monotonic() - started < LEASE.total_seconds() / 10
        assert _post(port, "crash-1", t.key)[0] == 201  # and now replayed
    finally:
        second.kill()
        second.wait()
    assert _counts(app, t.id) == (1, 2)
