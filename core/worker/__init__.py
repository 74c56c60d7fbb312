"""Background work on Celery: sweeping open cases and delivering webhooks from the outbox.

- ``queue``: the Celery application built from the settings (broker: Redis, RabbitMQ or
  the embedded folder queue), its three tasks and the periodic schedule;
- ``jobs``: what the tasks do, as plain functions over a ``WorkerState`` (tested without
  any queue).

Durability lives in the database, not in the queue: alerts and their deliveries are
stored in the transaction that caused them, a delivery is settled only after its POST, and
a sweep commits per chunk of cases. A message lost with a killed worker or a broker
restart costs time, never an alert: the periodic dispatch finds every delivery due in the
outbox, and the next sweep evaluates every case due again, raising nothing twice.
"""

from core.worker.jobs import WorkerState, deliver_all, dispatch_all, sweep_all
from core.worker.queue import make_celery, run_worker

__all__ = ["WorkerState", "deliver_all", "dispatch_all", "make_celery", "run_worker", "sweep_all"]
