"""Who holds an in-flight ``Idempotency-Key`` claim, and whether that holder still lives.

A request that claims a key and then dies (the process is killed, the machine restarts)
leaves its claim in flight. Rather than make every retry wait out the lease, a claim
records its holder, and a retry asks whether the holder is gone:

- **PostgreSQL**: the holder takes a session-level advisory lock on (schema, tenant, key)
  on a connection of its own and keeps it until the request is done. The server releases the
  lock the moment that connection dies, so whoever gets the lock knows any earlier holder
  has finished or is dead. A retry that cannot get the lock knows the holder is alive.
- **SQLite** (one machine): the holder's host name, process id and process start time
  (``/proc/<pid>/stat``, so a recycled pid is not mistaken for the holder). The holder is
  gone when that process no longer exists or is another process. Elsewhere (no ``/proc``,
  another host) nothing can be told, and the lease stays the last resort.
"""

from __future__ import annotations

import hashlib
import os
import socket
import weakref
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

PG_LOCK = "pg-advisory-lock"


@dataclass
class Holder:
    """This request's hold on a key; ``token`` is stored on the claim."""

    token: str
    _connection: Connection | None = None
    _lock: int | None = None

    def release(self) -> None:
        """Give the hold up (idempotent); on PostgreSQL, unlock and close the connection."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._lock})
            connection.commit()
        finally:
            connection.close()  # a broken connection drops the lock server-side anyway


def lock_key(schema: str, tenant_id: int, key: str) -> int:
    """The advisory lock's 64-bit key. Advisory locks are per database, not per schema, so
    the schema is part of it (two deployments in one database never block each other)."""
    digest = hashlib.sha256(f"csm-idempotency\0{schema}\0{tenant_id}\0{key}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_SCHEMAS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _schema(engine, connection: Connection) -> str:
    """The schema the engine's connections work in (asked once per engine)."""
    found = _SCHEMAS.get(engine)
    if found is None:
        found = _SCHEMAS[engine] = connection.execute(text("SELECT current_schema()")).scalar() or ""
    return found


def acquire(session: Session, tenant_id: int, key: str) -> Holder | None:
    """Hold ``key`` for this request; None when a live request holds it (PostgreSQL)."""
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        return Holder(token=process_token())
    connection = engine.connect()
    try:
        lock = lock_key(_schema(engine, connection), tenant_id, key)
        got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock}).scalar()
        connection.commit()
    except BaseException:
        connection.close()
        raise
    if not got:
        connection.close()
        return None
    return Holder(token=PG_LOCK, _connection=connection, _lock=lock)


def holder_gone(token: str | None, ours: Holder) -> bool | None:
    """Whether the holder recorded as ``token`` is gone: True, False, or None (cannot tell).

    Called once ``ours`` is held: on PostgreSQL holding the lock means any earlier holder
    is gone."""
    if token is None:
        return None
    if token == PG_LOCK:
        return ours.token == PG_LOCK or None
    parts = token.split(":")
    if len(parts) != 4 or parts[0] != "proc" or parts[1] != socket.gethostname():
        return None
    pid, started = int(parts[2]), parts[3]
    if started == "?":
        return None
    now = _start_time(pid)
    return now is None or now != started


def process_token(pid: int | None = None) -> str:
    """``proc:<host>:<pid>:<start time>`` of this process (start time ``?`` if unknown)."""
    pid = os.getpid() if pid is None else pid
    return f"proc:{socket.gethostname()}:{pid}:{_start_time(pid) or '?'}"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot, or None if there is no such
    process (field 22 of /proc/<pid>/stat; the name in field 2 may hold spaces)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None
