"""The background worker for real: ``csm worker``'s code in its own process, on the embedded
queue, on Redis (127.0.0.1:6379) and on RabbitMQ (127.0.0.1:5672), against SQLite and
PostgreSQL (as the row-level-security-bound role).

Workers are tests/worker_process.py (``run_worker`` with a 2-second deadline evaluator),
started in a process group of their own and killed with SIGKILL, group and all, to show
that a worker dying mid-delivery or mid-sweep loses no alert and that sweeping again
raises none twice. Waits poll the database or the receiver until a state is reached
(bounded); nothing asserts how long anything took.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from core.alerts import Deadline
from core.app import create_app
from core.settings import load_settings
from core.worker import WorkerState, make_celery, sweep_all
from tests.helpers import OPERATOR_KEY, ROOT, Receiver, TenantHandle

REDIS = "redis://127.0.0.1:6379/15"
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
DEADLINE = Deadline(timedelta(seconds=2))  # as in tests/worker_process.py


def reachable(url: str) -> bool:
    host, port = ("127.0.0.1", 6379) if url.startswith("redis") else ("127.0.0.1", 5672)
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


BROKERS = [
    pytest.param(None, id="embedded"),
    pytest.param(REDIS, id="redis", marks=pytest.mark.skipif(not reachable(REDIS), reason="Redis not reachable on 127.0.0.1:6379")),
    pytest.param(RABBITMQ, id="rabbitmq", marks=pytest.mark.skipif(not reachable(RABBITMQ), reason="RabbitMQ not reachable on 127.0.0.1:5672")),
]


def until(condition, what: str, limit_s: float = 60):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"never reached: {what}")


@pytest.fixture
def deployment(request, tmp_path, app_db_url):
    """(settings, start_worker, kill): one database, one queue (of its own on a shared
    broker), workers started as processes and always killed at the end."""
    broker = request.param
    settings = {
        "DATABASE_URL": app_db_url,
        "QUEUE_NAME": "csm-test-" + uuid.uuid4().hex[:8],
        "QUEUE_DIR": str(tmp_path / "queue"),
        "SWEEP_SECONDS": 1,
        "DISPATCH_SECONDS": 1,
        "WEBHOOK_ALLOW_PRIVATE": True,
        "WEBHOOK_TIMEOUT_SECONDS": 2,
        "WEBHOOK_LEASE_SECONDS": 3,
        "WEBHOOK_RETRY_SECONDS": 1,
        **({"BROKER_URL": broker} if broker else {}),
    }
    started: list[subprocess.Popen] = []

    def start(**env) -> subprocess.Popen:
        environ = {**os.environ, **{f"CSM_{k}": str(v) for k, v in settings.items()}, **env, "PYTHONPATH": str(ROOT)}
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")
        process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "worker_process.py")], cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(process)
        return process

    def kill(process: subprocess.Popen) -> None:
        """SIGKILL the worker and everything it started (its beat included)."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    yield settings, start, kill
    for process in started:
        try:
            kill(process)
        except ProcessLookupError:
            pass
    if broker:  # the test's queue goes with it (RabbitMQ keeps durable queues)
        with make_celery(load_settings(settings)).connection_for_write() as connection:
            connection.default_channel.queue_delete(settings["QUEUE_NAME"])


def api(settings):
    app = create_app({**settings, "OPERATOR_KEY": OPERATOR_KEY}, evaluator=DEADLINE)
    return app, TenantHandle(app.test_client(), "acme")


def alerts(t) -> list[dict]:
    return t.get("/api/v1/alerts?page_size=100").json


def deliveries(t, hook_id) -> list[dict]:
    return t.get(f"/api/v1/webhooks/{hook_id}/deliveries?page_size=100").json


def iso(moment: datetime) -> str:
    return moment.isoformat()


@pytest.mark.parametrize("deployment", BROKERS, indirect=True)
def test_the_worker_delivers_what_the_api_raised_and_sweeps_what_falls_due(deployment):
    settings, start, _kill = deployment
    app, t = api(settings)
    receiver = Receiver()
    try:
        hook_id = t.post("/api/v1/webhooks", json={"url": receiver.url}).json["endpoint"]["id"]
        now = datetime.now(timezone.utc)
        events = [{"case_id": "late", "type": "opened", "at": iso(now - timedelta(hours=1))}, {"case_id": "soon", "type": "opened", "at": iso(now)}]
        # "late" is breached when its event arrives (raised by the API, delivered by the worker);
        # "soon" 2 s later, with no event: the worker's sweep raises it
        assert t.post("/api/v1/case-events", json={"events": events}).json["alerts_raised"] == 1
        start()
        until(lambda: len(receiver.requests) >= 2, "both alerts delivered")
        assert sorted(a["case_id"] for a in alerts(t)) == ["late", "soon"]
        until(lambda: all(d["status"] == "delivered" for d in deliveries(t, hook_id)), "both deliveries settled")
        assert sorted(d["message_id"] for d in deliveries(t, hook_id)) == sorted(receiver.ids())
    finally:
        receiver.close()
        app.extensions["csm"].engine.dispose()


@pytest.mark.parametrize("deployment", BROKERS[1:2], indirect=True)
def test_a_worker_killed_mid_delivery_loses_nothing_and_the_redelivery_keeps_its_webhook_id(deployment):
    settings, start, kill = deployment
    app, t = api(settings)
    receiver = Receiver()
    try:
        hook_id = t.post("/api/v1/webhooks", json={"url": receiver.url}).json["endpoint"]["id"]
        receiver.held.clear()  # the first POST hangs until the worker is dead
        now = datetime.now(timezone.utc)
        assert t.post("/api/v1/case-events", json={"events": [{"case_id": "c1", "type": "opened", "at": iso(now - timedelta(hours=1))}]}).json["alerts_raised"] == 1
        first = start()
        until(receiver.started.is_set, "the first worker is sending")
        kill(first)
        receiver.held.set()
        [pending] = deliveries(t, hook_id)
        assert (pending["status"], pending["attempts"], pending["log"]) == ("pending", 1, [])  # claimed, never settled
        start()  # once the dead worker's lease (3 s) ran out, the dispatch sends it again
        until(lambda: deliveries(t, hook_id)[0]["status"] == "delivered", "the redelivery")
        [done] = deliveries(t, hook_id)
        assert done["attempts"] == 2 and [a["attempt"] for a in done["log"]] == [2]
        assert receiver.ids() == [done["message_id"], done["message_id"]]
        assert len(alerts(t)) == 1
    finally:
        receiver.close()
        app.extensions["csm"].engine.dispose()


@pytest.mark.parametrize("deployment", BROKERS[2:3], indirect=True)
def test_a_worker_killed_mid_sweep_loses_nothing_and_sweeping_twice_raises_nothing_twice(deployment, tmp_path):
    settings, start, kill = deployment
    app, t = api(settings)
    receiver = Receiver()
    slow = tmp_path / "slow"
    try:
        hook_id = t.post("/api/v1/webhooks", json={"url": receiver.url}).json["endpoint"]["id"]
        now = datetime.now(timezone.utc)
        events = [{"case_id": f"c{i}", "type": "opened", "at": iso(now)} for i in range(3)]
        assert t.post("/api/v1/case-events", json={"events": events}).json["alerts_raised"] == 0  # due in 2 s
        slow.touch()
        first = start(CSM_TEST_SLOW_FILE=str(slow))
        until((tmp_path / "slow.started").exists, "the first worker is in the middle of a sweep")
        kill(first)
        assert alerts(t) == []  # its sweep's transaction never committed
        slow.unlink()
        start(CSM_TEST_SLOW_FILE=str(slow))
        until(lambda: len(receiver.requests) >= 3, "three alerts delivered")
        state = WorkerState.build({**app.extensions["csm"].settings}, DEADLINE)
        try:
            later = datetime.now(timezone.utc) + timedelta(hours=1)
            assert sweep_all(state, later) == {} and sweep_all(state, later) == {}
        finally:
            state.engine.dispose()
        until(lambda: all(d["status"] == "delivered" for d in deliveries(t, hook_id)), "every delivery settled")
        assert sorted(a["case_id"] for a in alerts(t)) == ["c0", "c1", "c2"]
        assert len(deliveries(t, hook_id)) == 3 and len(set(receiver.ids())) == 3
    finally:
        receiver.close()
        app.extensions["csm"].engine.dispose()
