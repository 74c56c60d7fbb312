"""Webhook endpoints of the calling tenant (admins only): register, change, rotate the
secret, delete, and read each endpoint's delivery log.

Alerts are POSTed to every enabled endpoint taking their kind, signed per Standard
Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``); the secret is
shown once, when the endpoint is made and when it is rotated.
"""

from dataclasses import asdict
from datetime import timedelta

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from core.alerts import ALERT_KINDS
from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.common import MAX_ID, Text
from core.api.context import db, state
from core.operations import webhooks
from core.operations.base import Actor
from core.roles import ADMIN
from core.webhooks.addresses import MAX_URL_LENGTH

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1", description="Webhook endpoints receiving this tenant's alerts as signed POSTs (admins only).")

URL_DESCRIPTION = "http(s) URL receiving the POSTs; refused when its host resolves to a loopback, private or link-local address (unless the operator allows them)."
KINDS = fields.List(fields.String(validate=validate.OneOf(ALERT_KINDS)), allow_none=True, validate=validate.Length(min=1), metadata={"description": "Alert kinds sent there; null (default) = every kind."})


class EndpointCreateSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=MAX_URL_LENGTH), metadata={"description": URL_DESCRIPTION})
    description = Text(load_default="", validate=validate.Length(max=200))
    kinds = KINDS


class EndpointUpdateSchema(Schema):
    url = fields.String(validate=validate.Length(min=1, max=MAX_URL_LENGTH), metadata={"description": URL_DESCRIPTION})
    description = Text(validate=validate.Length(max=200))
    kinds = KINDS
    enabled = fields.Boolean(metadata={"description": "false stops deliveries; true starts them again and clears the failure count."})


class EndpointSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    description = fields.String()
    kinds = fields.List(fields.String(), allow_none=True)
    enabled = fields.Boolean()
    disabled_reason = fields.String(allow_none=True, metadata={"description": "Why deliveries stopped by themselves (repeated failure)."})
    consecutive_failures = fields.Integer(metadata={"description": "Failed attempts in a row; at CSM_WEBHOOK_DISABLE_AFTER the endpoint is disabled."})
    previous_secret_expires_at = fields.DateTime(allow_none=True, metadata={"description": "Until then deliveries carry a second signature, made with the secret before the last rotation."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class EndpointWithSecretSchema(Schema):
    endpoint = fields.Nested(EndpointSchema)
    secret = fields.String(metadata={"description": "The signing secret (`whsec_` + base64). Shown once; store it now."})


class AttemptSchema(Schema):
    attempt = fields.Integer()
    at = fields.DateTime()
    status_code = fields.Integer(allow_none=True, metadata={"description": "The receiver's HTTP status; null when none came (refused, timed out)."})
    error = fields.String(allow_none=True, metadata={"description": "Why the attempt failed; null for a 2xx."})
    duration_ms = fields.Integer()


class DeliverySchema(Schema):
    id = fields.Integer()
    alert_id = fields.Integer()
    message_id = fields.String(metadata={"description": "The `webhook-id` of every attempt of this delivery."})
    status = fields.String(metadata={"description": "pending | delivered | failed"})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    log = fields.List(fields.Nested(AttemptSchema), metadata={"description": "Every attempt, oldest first."})


def _actor():
    return Actor.key(principal().key_id)


def _allow_private() -> bool:
    return state().settings["WEBHOOK_ALLOW_PRIVATE"]


def _with_secret(endpoint, secret) -> dict:
    return {"endpoint": asdict(endpoint), "secret": secret}


ENDPOINT_PATH = f"/webhooks/<int(max={MAX_ID}):endpoint_id>"


@blp.route("/webhooks")
class Endpoints(MethodView):
    @blp.errors(401, 403)
    @tenant_required(role=ADMIN)
    @blp.response(200, EndpointSchema(many=True))
    @blp.doc(operationId="list_webhooks")
    def get(self):
        """This tenant's endpoints (never their secrets)."""
        return [asdict(e) for e in webhooks.list_endpoints(db(), principal().tenant_id)]

    @blp.errors(401, 403, 422)
    @blp.location(lambda body: url_for("webhooks.EndpointById", endpoint_id=body["endpoint"]["id"]))
    @tenant_required(role=ADMIN)
    @blp.arguments(EndpointCreateSchema)
    @blp.response(201, EndpointWithSecretSchema)
    @blp.doc(operationId="create_webhook")
    def post(self, body):
        """Register an endpoint; the answer holds its signing secret, shown this once.

        422 when the URL is not a public address: its host must resolve, and only to public addresses (unless an operator allows private ones)."""
        endpoint, secret = webhooks.create_endpoint(db(), principal().tenant_id, body["url"], body["description"], body.get("kinds"), _actor(), _allow_private())
        return _with_secret(endpoint, secret)


@blp.route(ENDPOINT_PATH)
class EndpointById(MethodView):
    @blp.errors(401, 403, 404)
    @tenant_required(role=ADMIN)
    @blp.response(200, EndpointSchema)
    @blp.doc(operationId="get_webhook")
    def get(self, endpoint_id):
        """One endpoint."""
        return asdict(webhooks.get_endpoint(db(), principal().tenant_id, endpoint_id))

    @blp.errors(401, 403, 404, 422)
    @tenant_required(role=ADMIN)
    @blp.arguments(EndpointUpdateSchema)
    @blp.response(200, EndpointSchema)
    @blp.doc(operationId="update_webhook")
    def patch(self, body, endpoint_id):
        """Change the URL, description or kinds, or disable and enable the endpoint."""
        return asdict(webhooks.update_endpoint(db(), principal().tenant_id, endpoint_id, body, _actor(), _allow_private()))

    @blp.errors(401, 403, 404)
    @tenant_required(role=ADMIN)
    @blp.response(204)
    @blp.doc(operationId="delete_webhook")
    def delete(self, endpoint_id):
        """Delete the endpoint and its delivery log; nothing more is sent there."""
        webhooks.delete_endpoint(db(), principal().tenant_id, endpoint_id, _actor())


@blp.route(ENDPOINT_PATH + "/rotate-secret")
class EndpointRotate(MethodView):
    @blp.errors(401, 403, 404)
    @tenant_required(role=ADMIN)
    @blp.response(200, EndpointWithSecretSchema)
    @blp.doc(operationId="rotate_webhook_secret")
    def post(self, endpoint_id):
        """A new signing secret, shown this once; the previous one keeps signing beside it for CSM_WEBHOOK_SECRET_GRACE_HOURS."""
        grace = timedelta(hours=state().settings["WEBHOOK_SECRET_GRACE_HOURS"])
        endpoint, secret = webhooks.rotate_secret(db(), principal().tenant_id, endpoint_id, _actor(), grace)
        return _with_secret(endpoint, secret)


@blp.route(ENDPOINT_PATH + "/deliveries")
class EndpointDeliveries(MethodView):
    @blp.errors(401, 403, 404, 422)
    @tenant_required(role=ADMIN)
    @blp.response(200, DeliverySchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="list_webhook_deliveries")
    def get(self, endpoint_id, pagination_parameters):
        """The delivery log, newest first: each delivery with every attempt."""
        found, pagination_parameters.item_count = webhooks.deliveries(db(), principal().tenant_id, endpoint_id, pagination_parameters.page_size, pagination_parameters.first_item)
        return [{k: v for k, v in asdict(d).items() if k != "endpoint_id"} for d in found]
