"""Customers (bulk ingest graded on arrival, listing, one customer, its grade history) and
service requests checked against the grade (recorded; above grade raises an alert).

Both POSTs carry ``@idempotent``; customer ingest also joins the ingest budget
(``@ingest_limited``). Writing takes the integrator role, reading any role.
"""

from dataclasses import asdict

from flask import url_for
from flask.views import MethodView

from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.context import db, state
from core.api.customers.schemas import (
    CUSTOMER_ID_PATH,
    CheckedServiceRequestSchema,
    CustomerDetailSchema,
    CustomerIngestResultSchema,
    CustomerIngestSchema,
    CustomerSchema,
    GradeSchema,
    ServiceRequestQuerySchema,
    ServiceRequestSchema,
    StoredServiceRequestSchema,
)
from core.api.idempotent import idempotent
from core.api.ratelimit import ingest_limited
from core.db.repositories import RequestFilter
from core.operations import customers
from core.roles import INTEGRATOR

blp = Blueprint("customers", __name__, url_prefix="/api/v1", description="Customers with typed attributes, their grades per period, and service requests checked against the grade.")


def _grade(grade) -> dict:
    """A stored grade without its customer (the history's items)."""
    body = asdict(grade)
    body.pop("customer_id")
    return body


def _in_force(grade) -> dict:
    """The grade in force, flat (all null when never graded)."""
    fields = ("grade", "period", "score", "config_version", "graded_at")
    return {k: getattr(grade, k) if grade is not None else None for k in fields}


@blp.route("/customers")
class Customers(MethodView):
    @blp.errors(401, 403, 409, 413, 422)
    @blp.location(lambda body: url_for("customers.Customers"))  # the stored customers
    @ingest_limited
    @tenant_required(role=INTEGRATOR)
    @blp.arguments(CustomerIngestSchema)
    @idempotent
    @blp.response(201, CustomerIngestResultSchema)
    @blp.doc(operationId="ingest_customers")
    def post(self, body):
        """Store up to 10,000 customers and grade them for the period; all or nothing, a customer posted again gets the new attributes.

        Attributes are checked against the latest configuration's `customers.attributes`; 422 lists every refused item by index and field (an unknown attribute, a value not of its type, a required one missing), or names `period` when it is not of the configuration's form (`reevaluate`). Each grade is stored with the inputs that produced it. 409 when the configuration has no customers section."""
        result = customers.ingest_customers(db(), principal().tenant_id, body["customers"], body.get("period"), state().settings["MAX_BATCH"])
        return asdict(result)

    @blp.errors(401, 422)
    @tenant_required
    @blp.response(200, CustomerSchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="list_customers")
    def get(self, pagination_parameters):
        """Stored customers, oldest first, each with the grade in force now; any role."""
        page, pagination_parameters.item_count = customers.list_customers(db(), principal().tenant_id, pagination_parameters.page_size, pagination_parameters.first_item)
        return [{**{k: v for k, v in asdict(c).items() if k != "id"}, **_in_force(g)} for c, g in page]


@blp.route(f"/customers/{CUSTOMER_ID_PATH}")
class CustomerById(MethodView):
    @blp.errors(401, 404, 409)
    @tenant_required
    @blp.response(200, CustomerDetailSchema)
    @blp.doc(operationId="get_customer")
    def get(self, customer_id):
        """One customer: its attributes, the grade in force now and the services it entitles to; any role."""
        view = customers.customer_view(db(), principal().tenant_id, customer_id)
        return {**view, **_in_force(view.pop("grade"))}


@blp.route(f"/customers/{CUSTOMER_ID_PATH}/grades")
class CustomerGrades(MethodView):
    @blp.errors(401, 404)
    @tenant_required
    @blp.response(200, GradeSchema(many=True))
    @blp.doc(operationId="list_customer_grades")
    def get(self, customer_id):
        """A customer's grade history, oldest period first, each with its inputs, score and configuration version; any role."""
        return [_grade(g) for g in customers.grade_history(db(), principal().tenant_id, customer_id)]


@blp.route("/service-requests")
class ServiceRequests(MethodView):
    @blp.errors(401, 403, 404, 409, 422)
    @blp.location(lambda body: url_for("customers.ServiceRequests", customer_id=body["customer_id"]))
    @tenant_required(role=INTEGRATOR)
    @blp.arguments(ServiceRequestSchema)
    @idempotent
    @blp.response(201, CheckedServiceRequestSchema)
    @blp.doc(operationId="check_service_request")
    def post(self, body):
        """Check a service request against the customer's grade at the time and record it: `entitled`, `above_grade` or `unknown_service`.

        An `above_grade` request (the source says such service is to be played down) raises an `above_grade` alert in the same transaction, one per request. 404 for a customer not stored; 409 when the configuration has no customers section."""
        request, raised = customers.check_service(db(), principal().tenant_id, body["customer_id"], body["service"], body.get("at"))
        return {**asdict(request), "alert_id": raised[0].id if raised else None}

    @blp.errors(401, 422)
    @tenant_required
    @blp.arguments(ServiceRequestQuerySchema, location="query")
    @blp.response(200, StoredServiceRequestSchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="list_service_requests")
    def get(self, query, pagination_parameters):
        """Recorded service requests, oldest request first, filtered by customer, service, outcome and time; any role.

        422 when `from` is not before `to`, naming the parameter."""
        f = RequestFilter(query.get("customer_id"), query.get("service"), query.get("outcome"), query.get("start"), query.get("end"))
        found, pagination_parameters.item_count = customers.list_requests(db(), principal().tenant_id, f, pagination_parameters.page_size, pagination_parameters.first_item)
        return [asdict(r) for r in found]
