"""A CSM worker for tests/test_worker.py, run as its own process (never imported by tests).

It is ``csm worker`` with one difference: cases are evaluated by a 2-second
``core.alerts.Deadline`` instead of the tenant's commitments, so a step falls due within
seconds. Settings come from
the ``CSM_*`` environment as for ``csm worker``. While the file named by
``CSM_TEST_SLOW_FILE`` exists, each evaluation first touches ``<file>.started`` and
sleeps 2 s, so a test can kill the worker in the middle of a sweep.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from core.alerts import Deadline
from core.settings import load_settings
from core.worker import run_worker

DEADLINE = Deadline(timedelta(seconds=2))


def evaluate(config, cases, at, customers=None):
    slow = os.environ.get("CSM_TEST_SLOW_FILE")
    if slow and Path(slow).exists():
        Path(slow + ".started").touch()
        time.sleep(2)
    return DEADLINE(config, cases, at, customers)


if __name__ == "__main__":
    run_worker(load_settings(), concurrency=2, pool="threads", beat=True, loglevel="WARNING", evaluator=evaluate)
