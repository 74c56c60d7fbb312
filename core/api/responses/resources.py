"""Survey responses: bulk JSON ingest and CSV upload, all or nothing (listing: listing.py).

Both ingest endpoints carry ``@idempotent`` (Idempotency-Key, core.api.idempotent) and
``@ingest_limited`` (the stricter ingest budget, core.api.ratelimit); their domain errors
(no configuration yet, an unknown version, a refused batch) are answered by the error map
(core.api.errors).
"""

from flask import g, request, url_for
from flask.views import MethodView
from flask_smorest import abort

from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.context import db, state
from core.api.idempotent import idempotent
from core.api.ratelimit import ingest_limited
from core.api.responses.schemas import (
    IngestQuerySchema,
    IngestResultSchema,
    IngestSchema,
)
from core.operations import responses
from core.roles import INTEGRATOR
from core.ingest import batch_from_records

blp = Blueprint("responses", __name__, url_prefix="/api/v1", description="Survey responses, scored against the configuration version they were collected under.")

CSV_BODY = {
    "required": True,
    "description": "CSV, one row per response: optional response_id, customer_id, touchpoint, collected_at and attribute columns, then one column per question code. Raw `text/csv` body or multipart field `file`.",
    "content": {
        "text/csv": {"schema": {"type": "string", "format": "binary", "minLength": 1}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary", "minLength": 1}}}},
    },
}


def _stored_under(body: dict) -> str:
    """Where a stored batch can be read back: the listing of its configuration version."""
    return url_for("responses.ResponseList", version=body["version"])


def _ingest(batch_of, version):
    return responses.ingest(db(), principal().tenant_id, batch_of, version)


def _csv_bytes() -> bytes:
    """The CSV: the multipart field ``file`` or the raw body (read once per request)."""
    if "csm_csv" not in g:
        upload = request.files.get("file")
        g.csm_csv = upload.read() if upload is not None else request.get_data(cache=False)
    return g.csm_csv


def _csv_payload(_view, query) -> tuple[str, bytes]:
    """A CSV request's identity: its version and the file's bytes, however they were sent."""
    return str(query.get("version", "")), _csv_bytes()


@blp.route("/responses")
class Responses(MethodView):
    @blp.errors(401, 403, 404, 409, 413, 422)
    @ingest_limited
    @tenant_required(role=INTEGRATOR)
    @blp.arguments(IngestSchema)
    @blp.location(_stored_under)
    @idempotent
    @blp.response(201, IngestResultSchema)
    @blp.doc(operationId="ingest_responses")
    def post(self, body):
        """Ingest up to 10,000 responses as JSON; every problem is reported by item index and field and nothing is stored unless all are valid.

        What the configuration version decides is a 422 naming the item and field: a question
        code the version does not have, an answer that is not one of its options or outside
        its scale, an item without any answered question, a `response_id` sent twice or
        already stored, an attribute name or value beyond its limits, a `collected_at` more
        than a day ahead. An `Idempotency-Key` sent again with another body is a 422 too."""
        items = body["responses"]
        max_rows = state().settings["MAX_BATCH"]  # batch_from_records refuses more items than this
        return _ingest(lambda iset: batch_from_records(items, iset, max_rows=max_rows), body.get("version"))


@blp.route("/responses/csv")
class ResponsesCsv(MethodView):
    @blp.errors(401, 403, 404, 409, 413, 422)
    @ingest_limited
    @tenant_required(role=INTEGRATOR)
    @blp.arguments(IngestQuerySchema, location="query")
    @blp.doc(requestBody=CSV_BODY)
    @blp.location(_stored_under)
    @idempotent(payload=_csv_payload)
    @blp.response(201, IngestResultSchema)
    @blp.doc(operationId="ingest_responses_csv")
    def post(self, query):
        """Upload responses as CSV (all or nothing); errors name the file's line (the header is line 1) and the column.

        A 422 names the line and column for what the configuration version decides, as for
        JSON items, and answers a file that is not such a CSV at all: empty or without data
        rows, not UTF-8, unparsable, a header with an unnamed or repeated column, a row with
        more fields than the header. An `Idempotency-Key` sent again with another file is a
        422 too."""
        max_rows = state().settings["MAX_BATCH"]  # the reader refuses more rows than this
        return responses.ingest_csv(db(), principal().tenant_id, _csv_bytes(), query.get("version"), max_rows)
