"""The Celery application: broker from the settings, three tasks, the periodic schedule.

Brokers: ``BROKER_URL`` (Redis or RabbitMQ, shared by worker processes on any number of
machines) or, unset, the embedded queue: kombu's filesystem transport in ``QUEUE_DIR``,
which needs no server and serves the processes of one machine (``make run``).

Tasks (queue ``QUEUE_NAME``, default ``csm``): ``csm.deliver`` (some deliveries of one tenant, queued after the
alerts commit), ``csm.dispatch`` (queue every delivery due: retries, and those whose
message or worker was lost) and ``csm.sweep`` (evaluate the cases whose next check has
come). Beat sends the last two every ``DISPATCH_SECONDS`` and ``SWEEP_SECONDS``, and each
worker sends both once when it starts, so a restart catches up at once. Messages are
acknowledged after the task ran (``acks_late``; a task whose worker died is redelivered by
RabbitMQ and Redis), but nothing depends on that: the jobs start from the database.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from celery import Celery, signals

from core.settings import sqlite_path
from core.worker import jobs

log = logging.getLogger(__name__)

# Seconds a publisher waits for the broker before giving up (the dispatch sends it later).
PUBLISH_TIMEOUT_S = 2


def queue_dir(settings: Mapping[str, Any]) -> Path:
    """The embedded queue's folder: QUEUE_DIR, else beside the SQLite file, else var/queue."""
    if settings.get("QUEUE_DIR"):
        return Path(settings["QUEUE_DIR"])
    db_file = sqlite_path(settings["DATABASE_URL"])
    return (db_file.parent if db_file is not None else Path("var")) / "queue"


def make_celery(settings: Mapping[str, Any], evaluator=None) -> Celery:
    """A Celery application for these settings. Its worker state (engine, sessions) is
    built on first use in each process; ``evaluator`` is the case evaluator it uses."""
    app = Celery("csm", set_as_current=False)
    broker = settings.get("BROKER_URL")
    conf: dict[str, Any] = {
        "task_default_queue": settings["QUEUE_NAME"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": PUBLISH_TIMEOUT_S,
        "worker_hijack_root_logger": False,
        # No remote control (nothing here uses it): its exclusive per-node queue would make
        # a worker restarted at once, or two nodes of one name, refuse to start on RabbitMQ.
        "worker_enable_remote_control": False,
        "beat_schedule": {
            "sweep": {"task": "csm.sweep", "schedule": float(settings["SWEEP_SECONDS"])},
            "dispatch": {"task": "csm.dispatch", "schedule": float(settings["DISPATCH_SECONDS"])},
        },
    }
    if broker:
        conf["broker_url"] = broker
        if broker.startswith(("redis", "rediss")):
            # a task whose worker died goes back to the queue after this long (> any task)
            conf["broker_transport_options"] = {"visibility_timeout": 3600, "socket_connect_timeout": PUBLISH_TIMEOUT_S}
    else:
        folder = queue_dir(settings)
        for sub in ("messages", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        conf["broker_url"] = "filesystem://"
        conf["broker_transport_options"] = {
            "data_folder_in": str(folder / "messages"),
            "data_folder_out": str(folder / "messages"),
            "control_folder": str(folder / "control"),
        }
    app.conf.update(conf)
    _register_tasks(app, settings, evaluator)
    return app


def notifier(app: Celery):
    """What the API and the sweep call once alerts commit: queue their deliveries."""

    def notify(tenant_id: int, delivery_ids: list[int]) -> None:
        app.send_task("csm.deliver", args=[tenant_id, delivery_ids], queue=app.conf.task_default_queue, retry=False)

    return notify


def _register_tasks(app: Celery, settings: Mapping[str, Any], evaluator) -> None:
    lock = threading.Lock()
    built: list[jobs.WorkerState] = []

    def state() -> jobs.WorkerState:
        with lock:
            if not built:
                built.append(jobs.WorkerState.build(settings, evaluator, notifier(app)))
            return built[0]

    @app.task(name="csm.sweep")
    def sweep():
        jobs.sweep_all(state())

    @app.task(name="csm.dispatch")
    def dispatch():
        send = notifier(app)
        for tenant_id, ids in jobs.dispatch_all(state()).items():
            send(tenant_id, ids)

    @app.task(name="csm.deliver")
    def deliver(tenant_id: int, delivery_ids: list[int]):
        jobs.deliver_all(state(), int(tenant_id), [int(i) for i in delivery_ids])

    app.csm_state = state


def run_worker(settings: Mapping[str, Any], *, concurrency: int = 4, pool: str = "threads", beat: bool = True, loglevel: str = "INFO", evaluator=None) -> None:
    """Run a worker in this process until it is stopped (SIGTERM, Ctrl-C)."""
    app = make_celery(settings, evaluator)

    @signals.worker_ready.connect(weak=False)
    def _catch_up(sender=None, **_kwargs):
        app.send_task("csm.sweep", queue=settings["QUEUE_NAME"])
        app.send_task("csm.dispatch", queue=settings["QUEUE_NAME"])

    argv = ["worker", f"--pool={pool}", f"--concurrency={concurrency}", f"--queues={settings['QUEUE_NAME']}", f"--loglevel={loglevel}", "--without-gossip", "--without-mingle", f"--hostname=csm-{os.getpid()}@%h"]
    if beat:
        argv += ["--beat", "--scheduler=celery.beat:Scheduler"]
    app.worker_main(argv)
