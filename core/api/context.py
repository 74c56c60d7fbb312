"""Per-application state and the per-request database session.

A request gets one session on first use; it is committed after a successful response and
rolled back after an error, so views never commit and a failed request leaves nothing
half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.plugins import IndustryRegistry


@dataclass
class CsmState:
    engine: Engine
    sessions: sessionmaker
    registry: IndustryRegistry
    settings: dict[str, Any]
    # Sessions for requests that only read (core.api.transactions): on SQLite their
    # transactions begin DEFERRED and never take the write lock.
    read_sessions: sessionmaker | None = None
    # Where score answers are cached (core.result_cache); None = not cached.
    answer_cache: Any = None
    # Slots for computing score answers in this process (core.api.answer_cache); None =
    # unbounded.
    score_slots: Any = None


def state() -> CsmState:
    return current_app.extensions["csm"]


def db() -> Session:
    """The request's session (opened on first use): a read session for a request that
    only reads (``core.api.transactions``), else a write session."""
    if "csm_session" not in g:
        from core.api.transactions import request_writes

        csm = state()
        reads_only = csm.read_sessions is not None and not request_writes()
        g.csm_session = (csm.read_sessions if reads_only else csm.sessions)()
    return g.csm_session


def install_request_session(app: Flask) -> None:
    @app.after_request
    def _finish(response):
        session = g.pop("csm_session", None)
        if session is not None:
            try:
                if response.status_code < 400:
                    session.commit()
                else:
                    session.rollback()
            finally:
                session.close()
        return response

    @app.teardown_request
    def _cleanup(_exc):
        session = g.pop("csm_session", None)
        if session is not None:  # the view raised before a response existed
            session.rollback()
            session.close()
