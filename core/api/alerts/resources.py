"""Alerts: listed newest first, filtered by kind, time, case and acknowledgement; acknowledged."""

from dataclasses import asdict

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.alerts import ALERT_KINDS
from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.common import MAX_ID, UtcDateTime
from core.api.context import db
from core.batch.limits import MAX_ID_LENGTH
from core.db.repositories import AlertFilter
from core.operations import alerts
from core.operations.base import Actor
from core.roles import INTEGRATOR

blp = Blueprint("alerts", __name__, url_prefix="/api/v1", description="Alerts raised by cases' clocks and service checks; each is raised once and may be acknowledged.")


class AlertQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(ALERT_KINDS), metadata={"description": "Only alerts of this kind."})
    start = UtcDateTime(data_key="from", metadata={"description": "Only alerts raised at or after this ISO 8601 time (UTC without an offset)."})
    end = UtcDateTime(data_key="to", metadata={"description": "Only alerts raised before this ISO 8601 time (UTC without an offset)."})
    acknowledged = fields.Boolean(metadata={"description": "true: only acknowledged ones; false: only those not acknowledged yet."})
    case_id = fields.String(validate=validate.Length(min=1, max=MAX_ID_LENGTH), metadata={"description": "Only the alerts of this case."})

    @validates_schema
    def _range(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise ValidationError("`from` must be before `to`", "to")


class AlertSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": " | ".join(ALERT_KINDS)})
    dedup_key = fields.String(metadata={"description": "The fact the alert is about; an alert is raised once per key."})
    case_id = fields.String(allow_none=True)
    customer_id = fields.String(allow_none=True)
    occurred_at = fields.DateTime(metadata={"description": "When the fact became true (e.g. the step's time)."})
    raised_at = fields.DateTime(metadata={"description": "When it was stored."})
    payload = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": "What the evaluation says about it (commitment, step, remedy...)."})
    acknowledged_at = fields.DateTime(allow_none=True)
    acknowledged_by_key_id = fields.Integer(allow_none=True)


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.errors(401, 422)
    @tenant_required
    @blp.arguments(AlertQuerySchema, location="query")
    @blp.response(200, AlertSchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="list_alerts")
    def get(self, query, pagination_parameters):
        """Alerts, newest raised first; any role. `from`/`to` bound `raised_at`.

        422 when `from` is not before `to`, naming the parameter."""
        f = AlertFilter(query.get("kind"), query.get("start"), query.get("end"), query.get("acknowledged"), query.get("case_id"))
        found, pagination_parameters.item_count = alerts.list_alerts(db(), principal().tenant_id, f, pagination_parameters.page_size, pagination_parameters.first_item)
        return [asdict(a) for a in found]


@blp.route(f"/alerts/<int(max={MAX_ID}):alert_id>")
class AlertById(MethodView):
    @blp.errors(401, 404)
    @tenant_required
    @blp.response(200, AlertSchema)
    @blp.doc(operationId="get_alert")
    def get(self, alert_id):
        """One alert; any role."""
        return asdict(alerts.get_alert(db(), principal().tenant_id, alert_id))


@blp.route(f"/alerts/<int(max={MAX_ID}):alert_id>/acknowledge")
class AlertAcknowledge(MethodView):
    @blp.errors(401, 403, 404)
    @tenant_required(role=INTEGRATOR)
    @blp.response(200, AlertSchema)
    @blp.doc(operationId="acknowledge_alert")
    def post(self, alert_id):
        """Acknowledge an alert (audited); again, it keeps the first acknowledgement."""
        return asdict(alerts.acknowledge(db(), principal().tenant_id, alert_id, Actor.key(principal().key_id)))
