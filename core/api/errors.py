"""Domain errors → HTTP answers, in one place.

Operations (core.operations), the ingest and configuration readers and the repositories
raise domain errors that know nothing about HTTP; this module is the only place that says
which status, message, ``errors`` and headers each one becomes. Views just call
operations: a new view cannot answer the same error differently, and a new domain error
is added here once.

Every answer has the one error shape ``{"code", "status", "message", "errors"}``: the
handler builds the HTTPException flask-smorest's ``abort`` would have raised and lets the
API's own handler (``CsmApi.handle_http_exception``) render it, so these answers and
those of ``abort`` cannot drift apart.

Flask picks the handler of the most specific class in the exception's MRO, so a
subclass listed here (``NothingToUse``) overrides its base (``Conflict``); subclasses not
listed fall back to their base's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from werkzeug.exceptions import default_exceptions

from core import idempotency
from core.config import ConfigError
from core.db.errors import ConfigVersionConflict, InvalidSlug, SlugTaken
from core.ingest import BatchError
from core.operations.base import Conflict, NotFound, NothingToUse
from core.operations.erasure import ConfirmationMismatch
from core.operations.webhooks import InvalidWebhookUrl
from core.scoring import ScoringInputError

# How long a client should wait before retrying a request that lost a race (seconds).
RETRY_AFTER_S = "1"


@dataclass(frozen=True)
class HttpError:
    """What a domain error becomes: a status, a message, and optional ``errors``/headers."""

    status: int
    message: str
    errors: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def _batch(exc: BatchError) -> HttpError:
    listed = f" (first {len(exc.errors)} listed)" if exc.total > len(exc.errors) else ""
    return HttpError(422, f"nothing was stored: {exc.total} problem(s) in the batch{listed}", [e.to_dict() for e in exc.errors])


def _config(exc: ConfigError) -> HttpError:
    return HttpError(422, f"the configuration has {exc.headline}", exc.to_dict())


def _scoring(exc: ScoringInputError) -> HttpError:
    # What reaches the engine from the API unchecked is the breakdown (`by`, with `period`):
    # unknown or repeated columns, a period without `by=period`.
    return HttpError(422, str(exc), {"by": [str(exc)]})


def _idempotency(exc: idempotency.IdempotencyError) -> HttpError:
    retry = {"Retry-After": RETRY_AFTER_S} if exc.status == 409 else {}
    return HttpError(exc.status, exc.message, {idempotency.KEY_HEADER: [exc.message]}, retry)


def _confirmation(exc: ConfirmationMismatch) -> HttpError:
    return HttpError(422, str(exc), {"json": {"confirm": ["must be the slug of the tenant being deleted"]}})


# Exception class → its answer. Order does not matter (Flask walks the MRO).
ERROR_MAP: dict[type[Exception], Callable[[Any], HttpError]] = {
    NotFound: lambda exc: HttpError(404, str(exc)),
    Conflict: lambda exc: HttpError(409, str(exc)),
    # A missing prerequisite (ingest before any configuration): the request may succeed
    # later, unlike a reference to something that does not exist.
    NothingToUse: lambda exc: HttpError(409, str(exc)),
    BatchError: _batch,
    ConfigError: _config,
    ScoringInputError: _scoring,
    idempotency.IdempotencyError: _idempotency,
    ConfirmationMismatch: _confirmation,
    # Concurrent uploads kept taking the next version number: retrying soon succeeds.
    ConfigVersionConflict: lambda exc: HttpError(409, str(exc), headers={"Retry-After": RETRY_AFTER_S}),
    SlugTaken: lambda exc: HttpError(409, str(exc), {"slug": ["already taken"]}),
    InvalidSlug: lambda exc: HttpError(422, str(exc), {"slug": [str(exc)]}),
    InvalidWebhookUrl: lambda exc: HttpError(422, str(exc), {"json": {"url": [str(exc)]}}),
}


def http_exception(error: HttpError):
    """The HTTPException ``flask_smorest.abort(status, message=..., errors=..., headers=...)``
    raises, so the API's one handler renders it."""
    exc = default_exceptions[error.status]()
    exc.data = {"message": error.message}
    if error.errors is not None:
        exc.data["errors"] = error.errors
    if error.headers:
        exc.data["headers"] = error.headers
    return exc


def register_error_map(app: Flask, render: Callable) -> None:
    """Install a handler per domain error on ``app``; ``render`` turns an HTTPException
    into the response (the API's ``handle_http_exception``)."""
    for exc_class, convert in ERROR_MAP.items():

        def handler(exc, convert=convert):
            return render(http_exception(convert(exc)))

        app.register_error_handler(exc_class, handler)
