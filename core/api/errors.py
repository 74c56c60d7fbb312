"""Domain errors → HTTP answers, in one place.

Operations (core.operations), the ingest and configuration readers and the repositories
raise domain errors that know nothing about HTTP; this module is the only place that says
which status, message, ``errors`` and headers each one becomes. Views just call
operations: a new view cannot answer the same error differently, and a new domain error
is added here once.

Every error answer has one shape, documented once in the spec (``ErrorSchema``, referenced
by every error response)::

    {"code": 422, "status": "Unprocessable Entity", "message": "...",
     "errors": [{"location": "csv", "field": "answers.q1", "line": 3, "index": null,
                 "reason": "unknown option 'Z' ..."}],
     "total": 1}

``errors`` lists each problem found in the request (empty when the refusal is not about
a part of it: a missing key, something not found, a conflict), ``total`` counts them all
(``errors`` holds at most the first 1,000 of a batch, 100 of a configuration). Each item
says where (see ``LOCATIONS``): ``field`` names the field, parameter, header, column or
YAML path (null: the body, file or document as a whole), ``line`` the 1-based line of a
CSV file or a YAML document, ``index`` the 0-based position of a JSON batch item (or of a
CSV data row whose line cannot be told), and ``reason`` what is wrong. ``problem`` builds
an item; ``shaped`` puts every answer, webargs' validation errors included, into this
shape. The handlers build the HTTPException flask-smorest's ``abort`` would have raised
and let the API's own handler (``CsmApi.handle_http_exception``) render it, so these
answers and those of ``abort`` cannot drift apart.

Flask picks the handler of the most specific class in the exception's MRO, so a
subclass listed here (``NothingToUse``) overrides its base (``Conflict``); subclasses not
listed fall back to their base's answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import default_exceptions

from core import idempotency
from core.analysis.errors import AnalysisInputError
from core.config import ConfigError
from core.db.engine import is_busy
from core.db.errors import ConfigVersionConflict, InvalidSlug, SlugTaken
from core.batch.csv_reader import FILE, HEADER
from core.config.errors import ConfigIssue
from core.ingest import BatchError
from core.operations.base import Conflict, InvalidValue, NotFound, NothingToUse
from core.operations.erasure import ConfirmationMismatch
from core.operations.webhooks import InvalidWebhookUrl
from core.scoring import ScoringInputError

# How long a client should wait before retrying a request that lost a race (seconds).
RETRY_AFTER_S = "1"
# ... and one that found SQLite's write lock held past the busy timeout.
BUSY_RETRY_AFTER_S = "2"


# Where a problem is. Each location says which of ``field``, ``line`` and ``index`` it uses.
LOCATIONS = {
    "body": "a field of the JSON request body (field: its dotted path, null for the body as a whole)",
    "query": "a query parameter (field: its name)",
    "header": "a request header (field: its name)",
    "path": "a parameter of the URL path (field: its name)",
    "item": "a JSON batch item (index: its 0-based position in the list, null for the batch as a whole; field: the item's field)",
    "csv": "a CSV file (line: the file's 1-based line the row starts on, the header being line 1 unless blank lines precede it; null for the file as a whole; field: the column)",
    "yaml": "a configuration document (field: the YAML path, line: the document's 1-based line)",
}

# webargs' locations → ours.
_WEBARGS_LOCATIONS = {
    "json": "body", "form": "body", "files": "body", "json_or_form": "body",
    "query": "query", "querystring": "query", "headers": "header", "view_args": "path", "path": "path",
}


def problem(location: str, field: str | None, reason: str, *, line: int | None = None, index: int | None = None) -> dict:
    """One item of ``errors``."""
    if location not in LOCATIONS:
        raise ValueError(f"unknown error location {location!r}")
    return {"location": location, "field": field, "line": line, "index": index, "reason": reason}


def request_problems(messages: Mapping) -> list[dict]:
    """webargs' nested messages (``{"json": {"responses": {0: {"answers": ["..."]}}}}``)
    as items, one per message, with dotted field paths (``responses.0.answers``);
    ``_schema`` (a problem of the object as a whole) names the object itself."""
    out: list[dict] = []

    def walk(location: str, path: tuple, value) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(location, path if key == "_schema" else path + (str(key),), inner)
        elif isinstance(value, (list, tuple)):
            for inner in value:
                walk(location, path, inner)
        else:
            out.append(problem(location, ".".join(path) or None, str(value)))

    for where, inner in messages.items():
        walk(_WEBARGS_LOCATIONS.get(where, "body"), (), inner)
    return out


def shaped(payload: dict) -> dict:
    """``payload`` (code, status, message, maybe errors) in the one error shape: webargs'
    mapping of messages becomes items, ``errors`` and ``total`` are always there, and a
    validation error's generic message gives way to one that names the problems."""
    errors = payload.get("errors")
    generic = False
    if isinstance(errors, Mapping):  # webargs: in schema order, then the unknown fields; sorted here
        errors, generic = sorted(request_problems(errors), key=lambda e: (e["location"], e["field"] or "")), True
    errors = list(errors or [])
    total = payload.get("total", len(errors))
    message = payload.get("message") or ""
    if generic and errors:
        listed = "; ".join(_where(e) + f": {e['reason']}" for e in errors[:5])
        message = f"{total} problem(s) in the request: {listed}" + ("; ..." if total > 5 else "")
    return {"code": payload["code"], "status": payload["status"], "message": message, "errors": errors, "total": total}


_NOUNS = {"body": "body field", "query": "query parameter", "header": "header", "path": "path parameter"}


def _where(item: dict) -> str:
    """``query parameter 'bye'``, ``body field 'role'``, ``the body``: for a message."""
    if item["field"] is None:
        return f"the {item['location']}"
    return f"{_NOUNS.get(item['location'], item['location'])} {item['field']!r}"


@dataclass(frozen=True)
class HttpError:
    """What a domain error becomes: a status, a message, the problems and headers."""

    status: int
    message: str
    errors: list[dict] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    total: int | None = None  # None: len(errors)


def batch_problems(exc: BatchError) -> list[dict]:
    """A refused batch's problems: a CSV's by line (or by index where the line cannot be
    told), a JSON batch's by item index; a problem of the whole batch by neither."""
    if exc.source != "csv":
        return [problem("item", e.field, e.message, index=None if e.row < 0 else e.row) for e in exc.errors]
    out = []
    for e in exc.errors:
        field = None if e.field in (FILE, HEADER) else e.field
        if e.row < 0:  # the file as a whole; a problem of its header, on the header's line
            out.append(problem("csv", field, e.message, line=exc.header_line if e.field == HEADER else None))
        elif exc.lines is not None and e.row < len(exc.lines):
            out.append(problem("csv", field, e.message, line=exc.lines[e.row]))
        else:
            out.append(problem("csv", field, e.message, index=e.row))
    return out


def config_problem(issue: ConfigIssue) -> dict:
    return problem("yaml", ".".join(str(p) for p in issue.path) or None, issue.message, line=issue.line)


def _batch(exc: BatchError) -> HttpError:
    listed = f" (first {len(exc.errors)} listed)" if exc.total > len(exc.errors) else ""
    return HttpError(422, f"nothing was stored: {exc.total} problem(s) in the batch{listed}", batch_problems(exc), total=exc.total)


def _config(exc: ConfigError) -> HttpError:
    return HttpError(422, f"the configuration has {exc.headline}", [config_problem(i) for i in exc.issues], total=exc.total)


def _scoring(exc: ScoringInputError) -> HttpError:
    # What reaches the engine from the API unchecked is the breakdown (`by`, with `period`)
    # and whether versions can be pooled (`version=all`): the parameter at fault is named.
    return HttpError(422, str(exc), [problem("query", exc.field, str(exc))])


def _analysis(exc: AnalysisInputError) -> HttpError:
    # The parameter at fault, whether the query gave it or the `analysis` section did.
    return HttpError(422, str(exc), [problem("query", exc.field, exc.message)])


def _idempotency(exc: idempotency.IdempotencyError) -> HttpError:
    retry = {"Retry-After": RETRY_AFTER_S} if exc.status == 409 else {}
    return HttpError(exc.status, exc.message, [problem("header", idempotency.KEY_HEADER, exc.message)], retry)


def _database_busy(exc: OperationalError) -> HttpError | None:
    # SQLite gave up waiting for the write lock (a writer held it past the busy timeout):
    # the request changed nothing and may succeed shortly. Any other database error is
    # not answered here (None: it stays a 500).
    if not is_busy(exc):
        return None
    return HttpError(503, "the database is busy with other writes; nothing was changed, retry shortly", headers={"Retry-After": BUSY_RETRY_AFTER_S})


def _confirmation(exc: ConfirmationMismatch) -> HttpError:
    return HttpError(422, str(exc), [problem("body", "confirm", "must be the slug of the tenant being deleted")])


# Exception class → its answer. Order does not matter (Flask walks the MRO).
ERROR_MAP: dict[type[Exception], Callable[[Any], HttpError | None]] = {
    NotFound: lambda exc: HttpError(404, str(exc)),
    Conflict: lambda exc: HttpError(409, str(exc)),
    # A missing prerequisite (ingest before any configuration): the request may succeed
    # later, unlike a reference to something that does not exist.
    NothingToUse: lambda exc: HttpError(409, str(exc)),
    BatchError: _batch,
    ConfigError: _config,
    ScoringInputError: _scoring,
    AnalysisInputError: _analysis,
    idempotency.IdempotencyError: _idempotency,
    ConfirmationMismatch: _confirmation,
    # Concurrent uploads kept taking the next version number: retrying soon succeeds.
    ConfigVersionConflict: lambda exc: HttpError(409, str(exc), headers={"Retry-After": RETRY_AFTER_S}),
    SlugTaken: lambda exc: HttpError(409, str(exc), [problem("body", "slug", "already taken")]),
    InvalidSlug: lambda exc: HttpError(422, str(exc), [problem("body", "slug", str(exc))]),
    OperationalError: _database_busy,
    InvalidWebhookUrl: lambda exc: HttpError(422, str(exc), [problem("body", "url", str(exc))]),
    InvalidValue: lambda exc: HttpError(422, str(exc), [problem(exc.location, exc.field, str(exc))]),
}


def http_exception(error: HttpError):
    """The HTTPException ``flask_smorest.abort(status, message=..., errors=..., headers=...)``
    raises, so the API's one handler renders it."""
    exc = default_exceptions[error.status]()
    exc.data = {"message": error.message, "errors": error.errors, "total": len(error.errors) if error.total is None else error.total}
    if error.headers:
        exc.data["headers"] = error.headers
    return exc


def register_error_map(app: Flask, render: Callable) -> None:
    """Install a handler per domain error on ``app``; ``render`` turns an HTTPException
    into the response (the API's ``handle_http_exception``)."""
    for exc_class, convert in ERROR_MAP.items():

        def handler(exc, convert=convert):
            error = convert(exc)
            if error is None:  # not an error this map answers
                raise exc
            return render(http_exception(error))

        app.register_error_handler(exc_class, handler)
