"""On-time rates of the tenant's commitments over its stored cases, with breakdowns."""

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.cases.figures import OnTimeSchema
from core.api.common import UtcDateTime
from core.api.context import db
from core.operations import commitments

blp = Blueprint("commitments", __name__, url_prefix="/api/v1", description="Time-limit commitments over the stored cases: on-time rates.")


class OnTimeQuerySchema(Schema):
    start = UtcDateTime(data_key="from", metadata={"description": "Only clock cycles started at or after this ISO 8601 time (UTC without an offset)."})
    end = UtcDateTime(data_key="to", metadata={"description": "Only clock cycles started before this ISO 8601 time (UTC without an offset); must lie after `from` (422 otherwise)."})
    at = UtcDateTime(metadata={"description": "Evaluate the clocks as at this instant (default now): an open clock past its limit by then counts as breached."})
    by = fields.String(
        validate=validate.Length(max=500),
        metadata={"description": "Comma-separated breakdown keys: `period` (of each cycle's start, UTC), `touchpoint`, `case_type`, `customer_id` or a case attribute (e.g. `segment`)."},
    )
    period = fields.String(validate=validate.OneOf(["month", "quarter", "year"]), metadata={"description": "Period length for `by=period` (default month); only with `period` among the `by` keys (422 otherwise)."})

    @validates_schema
    def _range(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise ValidationError("`from` must be before `to`", "to")


@blp.route("/commitments/on-time")
class OnTime(MethodView):
    @blp.errors(401, 422)
    @tenant_required
    @blp.arguments(OnTimeQuerySchema, location="query")
    @blp.response(200, OnTimeSchema)
    @blp.doc(operationId="get_on_time_rates")
    def get(self, query):
        """On-time rate of each commitment of the latest configuration: met cycles over met plus breached ones, with n, overall and per group of `by`; any role. Without commitments (or a configuration), `commitments` is {}.

        422 when `from` is not before `to`, when `by` names a key that is neither `period`, `touchpoint`, `case_type`, `customer_id` nor an attribute of the cases, or names one twice, and when `period` is given without `period` among the `by` keys; each names the parameter."""
        by = tuple(part.strip() for part in query.get("by", "").split(",") if part.strip())
        period = query.get("period") or ("month" if "period" in by else None)
        return commitments.on_time_rates(db(), principal().tenant_id, by, period, query.get("start"), query.get("end"), query.get("at"))
