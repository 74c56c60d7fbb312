"""Fewer malloc arenas for threaded servers: ``limit_malloc_arenas`` (glibc only).

glibc gives threads that allocate at once arenas of their own, up to 8 per core, and memory
freed into one arena serves only that arena's later requests. A gthread gunicorn worker
scoring a million responses on one thread and then on another holds both high-water marks:
in ``bench/stored.py`` (PostgreSQL, 1,000,000 responses, 2 workers × 4 threads, 2 clients)
the workers peaked at 493 and 548 MiB with glibc's default, at 410 and 411 MiB with two
arenas, with the same latencies. The server entry points (``wsgi.py``, ``csm serve``) call
this before any worker thread starts; ``MALLOC_ARENA_MAX`` in the environment, read by
glibc itself, takes precedence.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(most: int = ARENAS) -> bool:
    """Ask glibc for at most ``most`` arenas; False where that is not possible (another C
    library, or the operator set ``MALLOC_ARENA_MAX``, which glibc already applied)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, int(most)))
