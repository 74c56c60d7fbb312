"""Survey responses: bulk JSON ingest, CSV upload, listing. Ingest is all or nothing."""

from datetime import timedelta

from flask import request
from flask.views import MethodView
from flask_smorest import abort

from core import idempotency
from core.operations import base, responses
from core.api.auth import principal, tenant_required
from core.api.common import Blueprint, document_errors
from core.api.context import db, state
from core.api.responses.schemas import (
    IngestQuerySchema,
    IngestResultSchema,
    IngestSchema,
)
from core.roles import INTEGRATOR
from core.ingest import BatchError, batch_from_records, read_csv_batch

blp = Blueprint("responses", __name__, url_prefix="/api/v1", description="Survey responses, scored against the configuration version they were collected under.")

CSV_BODY = {
    "required": True,
    "description": "CSV, one row per response: optional response_id, customer_id, touchpoint, collected_at and attribute columns, then one column per question code. Raw `text/csv` body or multipart field `file`.",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
    },
}

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": idempotency.KEY_HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH, "pattern": idempotency.KEY_PATTERN},
    "description": "Makes retries safe: a retry with the same key and the same body (byte for byte, same parameters) gets the first "
    "result (header `Idempotent-Replayed: true`) and stores nothing twice; the same key with another body is 422; while the "
    "first request with the key is still running, 409. Keys belong to the tenant and are kept at least 24 h. Failed requests "
    "are not recorded: a retry after a 4xx runs again. 1-200 printable ASCII characters, e.g. a UUID.",
}
REPLAYED = {
    idempotency.REPLAYED_HEADER: {
        "description": "`true` when this is the recorded result of an earlier request with the same Idempotency-Key (nothing was stored now).",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def _ingest(batch_of, version):
    who = principal()
    try:
        return responses.ingest(db(), who.tenant_id, batch_of, version)
    except base.NotFound as exc:
        if version is None:
            abort(409, message=str(exc))
        abort(404, message=str(exc), errors={"version": [str(exc)]})
    except BatchError as exc:
        abort(
            422,
            message=f"nothing was stored: {exc.total} problem(s) in the batch" + (f" (first {len(exc.errors)} listed)" if exc.total > len(exc.errors) else ""),
            errors=[e.to_dict() for e in exc.errors],
        )


def _once(endpoint: str, params: str, body: bytes, run):
    """``run()`` (an ingest), at most once per Idempotency-Key when the request sends one.

    The key's payload hash covers the endpoint, its parameters and the body bytes; see
    core.idempotency for the claim/record/release protocol.
    """
    sent = request.headers.get(idempotency.KEY_HEADER)
    if sent is None:
        return run()
    settings = state().settings
    try:
        key = idempotency.validate_key(sent)
        outcome = idempotency.run_once(
            db(),
            principal().tenant_id,
            key,
            idempotency.request_hash(endpoint, params, body),
            lambda: (201, IngestResultSchema().dump(run())),
            ttl=timedelta(hours=settings["IDEMPOTENCY_TTL_HOURS"]),
            lease=timedelta(seconds=settings["IDEMPOTENCY_LEASE_SECONDS"]),
        )
    except idempotency.IdempotencyError as exc:
        retry = {"headers": {"Retry-After": "1"}} if exc.status == 409 else {}
        abort(exc.status, message=exc.message, errors={idempotency.KEY_HEADER: [exc.message]}, **retry)
    if outcome.replayed:
        return outcome.body, outcome.status_code, {idempotency.REPLAYED_HEADER: "true"}
    return outcome.body, outcome.status_code


@blp.route("/responses")
class Responses(MethodView):
    @tenant_required(role=INTEGRATOR)
    @blp.arguments(IngestSchema)
    @blp.doc(parameters=[IDEMPOTENCY_KEY])
    @blp.response(201, IngestResultSchema, headers=REPLAYED)
    def post(self, body):
        """Ingest up to 10,000 responses as JSON; every problem is reported by row and field and nothing is stored unless all are valid."""
        items = body["responses"]
        max_rows = state().settings["MAX_BATCH"]  # batch_from_records refuses more items than this
        return _once("POST /responses", "", request.get_data(), lambda: _ingest(lambda iset: batch_from_records(items, iset, max_rows=max_rows), body.get("version")))


@blp.route("/responses/csv")
class ResponsesCsv(MethodView):
    @tenant_required(role=INTEGRATOR)
    @blp.arguments(IngestQuerySchema, location="query")
    @blp.doc(requestBody=CSV_BODY, parameters=[IDEMPOTENCY_KEY])
    @blp.response(201, IngestResultSchema, headers=REPLAYED)
    def post(self, query):
        """Upload responses as CSV (all or nothing); errors name the data row (0 = first row after the header) and column."""
        upload = request.files.get("file")
        data = upload.read() if upload is not None else request.get_data(cache=False)

        max_rows = state().settings["MAX_BATCH"]  # read_csv_batch refuses more rows than this
        return _once(
            "POST /responses/csv",
            str(query.get("version", "")),
            data,
            lambda: _ingest(lambda iset: read_csv_batch(data, iset, max_rows=max_rows), query.get("version")),
        )


document_errors(blp, Responses.post, 401, 403, 404, 409, 413, 422)
document_errors(blp, ResponsesCsv.post, 401, 403, 404, 409, 413, 422)
