"""``@idempotent``: the ``Idempotency-Key`` protocol (core.idempotency) for any endpoint.

Put it on a view below ``@tenant_required`` and ``@blp.arguments`` (so the key is claimed
only for an authenticated, well-formed request) and above ``@blp.response`` (so what it
records is the answer exactly as sent)::

    @blp.errors(401, 403, 409, 422)
    @tenant_required(role=INTEGRATOR)
    @blp.arguments(IngestSchema)
    @idempotent
    @blp.response(201, IngestResultSchema)
    def post(self, body): ...

Without the header the view simply runs. With it, the view runs at most once per
(tenant, key, payload): a retry with the same payload gets the recorded answer with
``Idempotent-Replayed: true``; the errors (422 for a malformed key or another payload,
409 + ``Retry-After`` while the first request is in flight) are raised as
``core.idempotency`` errors and answered by the error map (core.api.errors). Only
successful answers (< 400) are recorded: a failed request stored nothing, so its retry
runs again. The decorator also documents the header parameter and the response header.

The payload hash covers the method and path (without the API prefix, e.g.
``POST /responses``), the parameters and the body bytes. ``payload`` chooses the last two
when the raw body is not the request's identity (a CSV sent raw or as a multipart file is
the same request): it gets the view's arguments and returns (parameters, body bytes).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta

from flask import current_app, jsonify, request

from core import idempotency
from core.api.common import body_digest
from core.api.auth import principal
from core.api.context import db, state

API_PREFIX = "/api/v1"

KEY_PARAMETER = {
    "in": "header",
    "name": idempotency.KEY_HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH, "pattern": idempotency.KEY_PATTERN},
    "description": "Makes retries safe: a retry with the same key and the same body (byte for byte, same parameters) gets the first "
    "result (header `Idempotent-Replayed: true`) and stores nothing twice; the same key with another body is 422; while the "
    "first request with the key is still running, 409. Keys belong to the tenant and are kept at least 24 h. Failed requests "
    "are not recorded: a retry after a 4xx runs again. 1-200 printable ASCII characters, e.g. a UUID.",
}
REPLAYED_HEADER = {
    idempotency.REPLAYED_HEADER: {
        "description": "`true` when this is the recorded result of an earlier request with the same Idempotency-Key (nothing was stored now).",
        "schema": {"type": "string", "enum": ["true"]},
    }
}

Payload = Callable[..., tuple[str, bytes]]


class _NotRecorded(Exception):
    """Carries a failed answer out of the protocol, so it is released, not recorded."""

    def __init__(self, response):
        super().__init__(response.status_code)
        self.response = response


def _raw_body(*_args, **_kwargs) -> tuple[str, bytes]:
    """A JSON request's identity: its body as received, by digest (the parsed body has let
    go of the bytes by the time the view runs)."""
    return "", body_digest(request)


def idempotent(view=None, *, payload: Payload = _raw_body):
    """Run ``view`` at most once per Idempotency-Key (see the module docstring)."""
    if view is None:
        return functools.partial(idempotent, payload=payload)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        sent = request.headers.get(idempotency.KEY_HEADER)
        if sent is None:
            return view(*args, **kwargs)
        key = idempotency.validate_key(sent)
        params, body = payload(*args, **kwargs)
        digest = idempotency.request_hash(f"{request.method} {request.url_rule.rule.removeprefix(API_PREFIX)}", params, body)
        answer = []

        def work():
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code >= 400:
                raise _NotRecorded(response)
            answer.append(response)
            return response.status_code, response.get_json()

        settings = state().settings
        try:
            outcome = idempotency.run_once(
                db(),
                principal().tenant_id,
                key,
                digest,
                work,
                ttl=timedelta(hours=settings["IDEMPOTENCY_TTL_HOURS"]),
                lease=timedelta(seconds=settings["IDEMPOTENCY_LEASE_SECONDS"]),
            )
        except _NotRecorded as failed:
            return failed.response
        if not outcome.replayed:
            return answer[0]
        replay = jsonify(outcome.body)
        replay.status_code = outcome.status_code
        replay.headers[idempotency.REPLAYED_HEADER] = "true"
        return replay

    wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    marker = wrapper._apidoc.setdefault("csm_doc", {})
    marker.setdefault("parameters", []).append(KEY_PARAMETER)
    marker.setdefault("success_headers", {}).update(REPLAYED_HEADER)
    return wrapper
