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


def state() -> CsmState:
    return current_app.extensions["csm"]


def db() -> Session:
    """The request's session (opened on first use)."""
    if "csm_session" not in g:
        g.csm_session = state().sessions()
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
