"""API keys of the calling tenant: list, create, change role, revoke (admins only)."""

from flask import url_for
from flask.views import MethodView

from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.common import MAX_ID
from core.api.context import db
from core.api.keys.schemas import KeyCreatedSchema, KeyCreateSchema, KeySchema, KeyUpdateSchema
from core.db.repositories import ApiKeyRepository
from core.operations import base, keys
from core.roles import ADMIN

blp = Blueprint("keys", __name__, url_prefix="/api/v1", description="API keys of the calling tenant. Keys are stored hashed and shown once; every change is audited.")


def _actor():
    return base.Actor.key(principal().key_id)


@blp.route("/keys")
class Keys(MethodView):
    @blp.errors(401, 403)
    @tenant_required(role=ADMIN)
    @blp.response(200, KeySchema(many=True))
    @blp.doc(operationId="list_keys")
    def get(self):
        """List this tenant's keys (never their secrets)."""
        return ApiKeyRepository(db()).list(principal().tenant_id)

    @blp.errors(401, 403, 422)
    @tenant_required(role=ADMIN)
    @blp.arguments(KeyCreateSchema)
    @blp.location(lambda body: url_for("keys.KeyById", key_id=body["key"]["id"]))
    @blp.response(201, KeyCreatedSchema)
    @blp.doc(operationId="create_key")
    def post(self, body):
        """Create a key with a role (viewer, integrator or admin) and an optional expiry.

        422 when `expires_at` is not in the future (a time already past would make a key
        that never works)."""
        key, plaintext = keys.create_key(db(), principal().tenant_id, body["name"], body["role"], _actor(), body["expires_at"])
        return {"key": key, "api_key": plaintext}


@blp.route(f"/keys/<int(max={MAX_ID}):key_id>")
class KeyById(MethodView):
    @blp.errors(401, 403, 404)
    @tenant_required(role=ADMIN)
    @blp.response(200, KeySchema)
    @blp.doc(operationId="get_key")
    def get(self, key_id):
        """One key of this tenant (never its secret)."""
        return keys.get_key(db(), principal().tenant_id, key_id)

    @blp.errors(401, 403, 404, 422)
    @tenant_required(role=ADMIN)
    @blp.arguments(KeyUpdateSchema)
    @blp.response(200, KeySchema)
    @blp.doc(operationId="update_key")
    def patch(self, body, key_id):
        """Change a key's role; takes effect on the key's next request."""
        return keys.change_role(db(), principal().tenant_id, key_id, body["role"], _actor())

    @blp.errors(401, 403, 404)
    @tenant_required(role=ADMIN)
    @blp.response(204)
    @blp.doc(operationId="revoke_key")
    def delete(self, key_id):
        """Revoke a key of this tenant; it stops working at once."""
        keys.revoke_key(db(), principal().tenant_id, key_id, _actor())
