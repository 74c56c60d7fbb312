"""Which transaction a request runs in: reads never take SQLite's write lock.

On SQLite a transaction starts with ``BEGIN IMMEDIATE`` (``core.db.engine``): it takes the
write lock at once, so read-then-write requests queue instead of failing. A request that
only reads has no reason to queue behind writers: with WAL it reads its snapshot while a
writer writes. So a ``GET`` or ``HEAD`` request gets a session whose transactions begin
``DEFERRED`` (``CsmState.read_sessions``), unless its view is marked ``@writes`` (an
export records an audit event). PostgreSQL needs no such distinction; there both
factories are the same engine.

A request that still waits for SQLite's lock past the busy timeout (a writer held it too
long) is answered 503 with ``Retry-After`` by the error map, never 500.
"""

from __future__ import annotations

from flask import current_app, request

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def writes(view):
    """Mark a view of a read method (GET) that writes too: it runs in a write transaction."""
    view.csm_writes = True
    return view


def request_writes() -> bool:
    """Whether the current request may write (its method, or its view's ``@writes``)."""
    if request.method not in READ_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:  # a MethodView: the marker is on its method
        view = getattr(view_class, request.method.lower(), None)
    return bool(getattr(view, "csm_writes", False))
