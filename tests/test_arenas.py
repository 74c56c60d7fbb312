"""The servers ask glibc for fewer malloc arenas (core/arenas.py), unless the operator chose."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={"PATH": "", **env}, capture_output=True, text=True, timeout=60)


def test_the_limit_is_applied_unless_malloc_arena_max_is_set():
    code = "from core.arenas import limit_malloc_arenas; print(limit_malloc_arenas(2))"
    assert _run(code, {}).stdout.strip() == "True"  # glibc accepted it (this machine runs glibc)
    assert _run(code, {"MALLOC_ARENA_MAX": "4"}).stdout.strip() == "False"  # glibc applied the operator's


def test_threads_allocating_at_once_share_the_limited_arenas():
    """Eight threads each holding a 1 MiB-ish working set of small objects at the same time:
    glibc's default gives them arenas of their own (up to 8 per core), the limit at most 2;
    malloc_info's XML lists one <heap> per arena."""
    code = (
        "import ctypes, ctypes.util, sys, threading, tempfile, os\n"
        "from core.arenas import limit_malloc_arenas\n"
        "if sys.argv[-1] == 'limit': limit_malloc_arenas(2)\n"
        "barrier = threading.Barrier(8)\n"
        "def work():\n"
        "    data = [bytearray(64) for _ in range(20000)]\n"
        "    barrier.wait()\n"
        "threads = [threading.Thread(target=work) for _ in range(8)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "libc = ctypes.CDLL(ctypes.util.find_library('c'))\n"
        "libc.fdopen.restype = ctypes.c_void_p; libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]; libc.fclose.argtypes = [ctypes.c_void_p]\n"
        "fd, path = tempfile.mkstemp(); stream = libc.fdopen(fd, b'w'); libc.malloc_info(0, stream); libc.fclose(stream)\n"
        "print(open(path).read().count('<heap nr='))\n"
    )
    default = _run(code + "#", {})
    limited = subprocess.run([sys.executable, "-c", code, "limit"], cwd=ROOT, env={"PATH": ""}, capture_output=True, text=True, timeout=60)
    assert default.returncode == 0 and limited.returncode == 0, (default.stderr, limited.stderr)
    assert int(limited.stdout) <= 2 < int(default.stdout)
