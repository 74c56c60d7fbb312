"""Rate limits per API key (flask-limiter).

Two budgets, both counted per key:

- ``RATE_LIMIT`` (default 600 per minute): every ``/api/v1`` call of a key, all endpoints
  together;
- ``RATE_LIMIT_INGEST`` (default 60 per minute): every endpoint marked ``@ingest_limited``
  (today the two ingest endpoints) together, on top of the first. One ingest request may
  carry 10,000 responses, so this one bounds the write load a single key can put on the
  database. The marker is read from the view that serves the request, so any endpoint
  joins the budget by carrying it, whatever blueprint it is on.

A request over either budget gets 429 with ``Retry-After`` (seconds until the window that
was exceeded ends) and the usual JSON error shape; nothing of it runs. The docs
(``/docs``, ``/openapi.json``) are not limited.

**Headers.** Every answer of an operation says where the key stands:
``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` (this request counted) and
``X-RateLimit-Reset`` (Unix time the window ends) of the budget closest to running out (on
an ingest endpoint usually the ingest one; over a budget, the exceeded one). They are set
here from flask-limiter's figures for the request rather than by its own
``RATELIMIT_HEADERS_ENABLED``, which also sets ``Retry-After`` on every answer, replacing
the ``Retry-After: 1`` of a 409 with the seconds left in the rate-limit window.

**The key.** Requests are counted by a hash of their bearer token (never the token itself,
which would then sit in Redis in clear). The key's prefix alone is not used: it is not a
secret (it is listed to admins and shows in logs), so counting by it would let anyone who
knows a prefix use up that key's budget with made-up tokens. A request without a bearer
token is counted by its remote address.

**Storage.** With ``REDIS_URL`` (env ``CSM_REDIS_URL``) the counters live in Redis and are
shared by every worker process; without it each process counts in memory (right for one
process, ``make run``; with N workers a key could get up to N times its budget).

**When Redis is down: degrade, never refuse.** Rate limiting protects the service; it must
not become the reason it fails. A request that finds Redis unreachable logs a warning
("Rate limit storage unreachable - falling back to in-memory storage") and from then on
each process enforces the same limits in its own memory, while Redis is probed again with
exponential back-off (1, 2, 4... s); once it answers, counting returns to it (counts taken
in memory meanwhile are not carried over). Should the limiter fail in any other way, the
request goes through and the error is logged (fail open). Connecting to Redis gives up
after ``REDIS_TIMEOUT_S``, so a dead Redis host costs each request at most that, and only
until the fallback is in place. tests/test_rate_limit.py proves both paths.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from flask import Flask, Response, current_app, jsonify, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded, RequestLimit
from werkzeug.http import HTTP_STATUS_CODES

from core.api import headers

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
# Seconds to wait for Redis to accept a connection or answer, before falling back.
REDIS_TIMEOUT_S = 0.5
_KEY_DOMAIN = b"csm-rate-limit\x00"


INGEST = "ingest"


def ingest_limited(view):
    """Mark a view as counting against the ingest budget (``RATE_LIMIT_INGEST``)."""
    view.csm_budget = INGEST
    return view


def budget_of_request() -> str | None:
    """The budget marker of the view method serving this request, if any."""
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:  # a MethodView: the marker is on its method
        view = getattr(view_class, request.method.lower(), None)
    return getattr(view, "csm_budget", None)


def rate_limit_key() -> str:
    """What a request is counted against: its bearer token (hashed), else its address."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        digest = hashlib.sha256(_KEY_DOMAIN + token.encode("utf-8", "surrogatepass")).hexdigest()
        return "key:" + digest[:32]
    return "addr:" + (request.remote_addr or "unknown")


def install_rate_limits(app: Flask, settings: dict) -> Limiter | None:
    """Attach the limiter to ``app``; returns it, or None when ``RATE_LIMIT_ENABLED`` is off."""
    if not settings.get("RATE_LIMIT_ENABLED", True):
        app.config["RATELIMIT_ENABLED"] = False
        return None
    redis_url = settings.get("REDIS_URL")
    app.config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=redis_url or "memory://",
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": REDIS_TIMEOUT_S, "socket_timeout": REDIS_TIMEOUT_S} if redis_url else {},
        RATELIMIT_STRATEGY="fixed-window",
        RATELIMIT_KEY_PREFIX="csm",
        # The policy when the storage is down: same limits, counted in this process's memory.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        # ...and if even that fails, let the request through and log the error.
        RATELIMIT_SWALLOW_ERRORS=True,
    )
    ingest = ApplicationLimit(limit_provider=settings["RATE_LIMIT_INGEST"], scope=INGEST, exempt_when=lambda: budget_of_request() != INGEST)
    limiter = Limiter(rate_limit_key, app=app, application_limits=[settings["RATE_LIMIT"], ingest])
    limiter.request_filter(lambda: not request.path.startswith(API_PREFIX))

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(error: RateLimitExceeded):
        retry_after = _retry_after(limiter, error)
        body = {
            "code": 429,
            "status": HTTP_STATUS_CODES[429],
            "message": f"rate limit of {error.limit.limit} for this API key exceeded; retry in {retry_after} s",
        }
        response = jsonify(body)
        response.status_code = 429
        response.headers[headers.RETRY_AFTER] = str(retry_after)
        return response

    @app.after_request
    def rate_limit_headers(response: Response) -> Response:
        _set_rate_limit_headers(limiter, response)
        return response

    return limiter


def _binding_limit(limiter: Limiter) -> RequestLimit | None:
    """The limit this request is reported against: the exceeded one, else the one with the
    fewest requests left (None for a request no limit was checked for)."""
    current = limiter.current_limit
    if current is not None and current.breached:
        return current
    checked = limiter.current_limits
    return min(checked, key=lambda limit: limit.remaining) if checked else None


def _set_rate_limit_headers(limiter: Limiter, response: Response) -> None:
    try:
        limit = _binding_limit(limiter)
        if limit is None:
            return
        response.headers[headers.RATE_LIMIT_LIMIT] = str(limit.limit.amount)
        response.headers[headers.RATE_LIMIT_REMAINING] = str(max(0, limit.remaining))
        response.headers[headers.RATE_LIMIT_RESET] = str(limit.reset_at)
    except Exception:  # the storage failed after the check: answer without the figures
        log.warning("rate limit storage unreachable while writing the rate-limit headers", exc_info=True)


def _retry_after(limiter: Limiter, error: RateLimitExceeded) -> int:
    """Whole seconds until the exceeded window ends (at least 1). If the storage cannot say,
    the window's full length: never too early."""
    try:
        current = limiter.current_limit
        if current is not None and current.breached:
            reset_time = current.window[0]  # when the exceeded window ends (epoch seconds)
            return max(1, math.ceil(reset_time - time.time()))
    except Exception:  # the storage failed between the hit and this question
        log.warning("rate limit storage unreachable while computing Retry-After", exc_info=True)
    return max(1, int(error.limit.limit.get_expiry()))
