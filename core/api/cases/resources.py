"""Cases and their events: bulk JSON ingest (all or nothing, idempotent, any order), reading.

Both ingest endpoints carry ``@idempotent`` and ``@ingest_limited`` like the responses'
ones; a batch is checked whole by its record kind (core.ingest) and refused with every
problem by row and field. Alerts the touched cases raise are stored in the same
transaction.
"""

from dataclasses import asdict

from flask import url_for
from flask.views import MethodView

from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.cases.schemas import (
    CASE_ID_PATH,
    CaseIngestResultSchema,
    CaseIngestSchema,
    CaseQuerySchema,
    CaseSchema,
    CaseWithEventsSchema,
    EventIngestSchema,
)
from core.api.context import db, state
from core.api.idempotent import idempotent
from core.api.ratelimit import ingest_limited
from core.db.repositories import CaseRepository
from core.operations import cases, commitments
from core.roles import INTEGRATOR

blp = Blueprint("cases", __name__, url_prefix="/api/v1", description="Cases and their event logs, from which commitments' clocks and alerts are computed.")


def _case(case) -> dict:
    body = asdict(case)
    body.pop("id")
    return body


@blp.route("/cases")
class Cases(MethodView):
    @blp.errors(401, 403, 409, 413, 422)
    @blp.location(lambda body: url_for("cases.Cases"))  # the stored cases
    @ingest_limited
    @tenant_required(role=INTEGRATOR)
    @blp.arguments(CaseIngestSchema)
    @idempotent
    @blp.response(201, CaseIngestResultSchema)
    @blp.doc(operationId="ingest_cases")
    def post(self, body):
        """Store up to 10,000 cases; each replaces the stored record of its case_id, so sending a batch again changes nothing. Every problem is reported by row and field and nothing is stored unless all are valid.

        422 lists every refused row and field (an empty `case_id`, say)."""
        return cases.ingest_cases(db(), principal().tenant_id, body["cases"], state().settings["MAX_BATCH"])

    @blp.errors(401, 422)
    @tenant_required
    @blp.response(200, CaseSchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="list_cases")
    def get(self, pagination_parameters):
        """Stored cases, oldest first; any role."""
        repo = CaseRepository(db())
        tenant_id = principal().tenant_id
        pagination_parameters.item_count = repo.count(tenant_id)
        return [_case(c) for c in repo.list_page(tenant_id, pagination_parameters.page_size, pagination_parameters.first_item)]


@blp.route("/case-events")
class CaseEvents(MethodView):
    @blp.errors(401, 403, 409, 413, 422)
    @blp.location(lambda body: url_for("cases.Cases"))  # the stored cases
    @ingest_limited
    @tenant_required(role=INTEGRATOR)
    @blp.arguments(EventIngestSchema)
    @idempotent
    @blp.response(201, CaseIngestResultSchema)
    @blp.doc(operationId="ingest_case_events")
    def post(self, body):
        """Store up to 10,000 case events, in any order; an event under a stored key (event_id, or type@at) replaces it. All or nothing; the cases they touch are evaluated in the same transaction.

        422 lists every refused row and field (an empty `case_id`, say)."""
        return cases.ingest_events(db(), principal().tenant_id, body["events"], state().settings["MAX_BATCH"])


@blp.route(f"/cases/{CASE_ID_PATH}")
class CaseById(MethodView):
    @blp.errors(401, 404, 422)
    @tenant_required
    @blp.arguments(CaseQuerySchema, location="query")
    @blp.response(200, CaseWithEventsSchema)
    @blp.doc(operationId="get_case")
    def get(self, query, case_id):
        """One case with its event log and each commitment's clock on it at `at` (default now): status, started, stopped, elapsed, paused, limit, remaining, ladder steps reached, remedies owed and whether given in time, the next step and when; any role.

        422 when `at` is not an ISO 8601 date-time, naming `at`."""
        found = commitments.case_with_figures(db(), principal().tenant_id, case_id, query.get("at"))
        return {**_case(found["case"]), "events": [asdict(e) for e in found["events"]], "at": found["at"], "commitments": found["commitments"]}
