"""Survey responses: bulk JSON ingest, CSV upload, listing. Ingest is all or nothing."""

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from core import operations
from core.api.auth import principal, tenant_required
from core.api.common import document_errors
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


def _ingest(batch_of, version):
    who = principal()
    try:
        return operations.ingest(db(), who.tenant_id, batch_of, version)
    except operations.NotFound as exc:
        if version is None:
            abort(409, message=str(exc))
        abort(422, message=str(exc), errors={"version": [str(exc)]})
    except BatchError as exc:
        abort(
            422,
            message=f"nothing was stored: {exc.total} problem(s) in the batch" + (f" (first {len(exc.errors)} listed)" if exc.total > len(exc.errors) else ""),
            errors=[e.to_dict() for e in exc.errors],
        )


def _check_size(n: int):
    limit = state().settings["MAX_BATCH"]
    if n > limit:
        abort(422, message=f"at most {limit} responses per request; got {n}", errors={"responses": [f"at most {limit} items"]})


@blp.route("/responses")
class Responses(MethodView):
    @blp.arguments(IngestSchema)
    @blp.response(201, IngestResultSchema)
    @tenant_required(role=INTEGRATOR)
    def post(self, body):
        """Ingest up to 10,000 responses as JSON; every problem is reported by row and field and nothing is stored unless all are valid."""
        items = body["responses"]
        _check_size(len(items))
        return _ingest(lambda iset: batch_from_records(items, iset), body.get("version"))


@blp.route("/responses/csv")
class ResponsesCsv(MethodView):
    @blp.arguments(IngestQuerySchema, location="query")
    @blp.doc(requestBody=CSV_BODY)
    @blp.response(201, IngestResultSchema)
    @tenant_required(role=INTEGRATOR)
    def post(self, query):
        """Upload responses as CSV (all or nothing); errors name the data row (0 = first row after the header) and column."""
        upload = request.files.get("file")
        data = upload.read() if upload is not None else request.get_data(cache=False)

        def batch_of(iset):
            batch = read_csv_batch(data, iset)
            _check_size(len(batch))
            return batch

        return _ingest(batch_of, query.get("version"))


document_errors(blp, Responses.post, 401, 403, 409, 413, 422)
document_errors(blp, ResponsesCsv.post, 401, 403, 409, 413, 422)
