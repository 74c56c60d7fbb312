"""API keys of the calling tenant: list, create, revoke."""

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from core.api.auth import principal, tenant_required
from core.api.common import document_errors
from core.api.context import db
from core.api.keys.schemas import KeyCreatedSchema, KeyCreateSchema, KeySchema
from core.db.repositories import ApiKeyRepository

blp = Blueprint("keys", __name__, url_prefix="/api/v1", description="API keys of the calling tenant. Keys are stored hashed and shown once.")


@blp.route("/keys")
class Keys(MethodView):
    @blp.response(200, KeySchema(many=True))
    @tenant_required
    def get(self):
        """List this tenant's keys (never their secrets)."""
        return ApiKeyRepository(db()).list(principal().tenant_id)

    @blp.arguments(KeyCreateSchema)
    @blp.response(201, KeyCreatedSchema)
    @tenant_required
    def post(self, body):
        """Create another key for this tenant."""
        key, plaintext = ApiKeyRepository(db()).create(principal().tenant_id, body["name"], role="admin")
        return {"key": key, "api_key": plaintext}


@blp.route("/keys/<int(max=2147483647):key_id>")
class KeyById(MethodView):
    @blp.response(204)
    @tenant_required
    def delete(self, key_id):
        """Revoke a key of this tenant; it stops working at once."""
        if not ApiKeyRepository(db()).revoke(principal().tenant_id, key_id):
            abort(404, message=f"key {key_id} not found")


document_errors(blp, Keys.get, 401)
document_errors(blp, Keys.post, 401, 422)
document_errors(blp, KeyById.delete, 401, 404)
