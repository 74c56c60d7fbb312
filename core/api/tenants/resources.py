"""Tenants: the platform operator creates them; a tenant key can read its own tenant."""

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from core import operations
from core.api.auth import operator_required, principal, tenant_required
from core.api.common import document_errors
from core.api.context import db
from core.api.tenants.schemas import (
    TenantCreatedSchema,
    TenantCreateSchema,
    TenantSchema,
)
from core.db.errors import InvalidSlug, SlugTaken
from core.db.repositories import TenantRepository

blp = Blueprint("tenants", __name__, url_prefix="/api/v1", description="Tenants: created by the platform operator, each with its first admin key.")


@blp.route("/tenants")
class Tenants(MethodView):
    @blp.arguments(TenantCreateSchema)
    @blp.response(201, TenantCreatedSchema)
    @operator_required
    def post(self, body):
        """Create a tenant and its first admin API key (operator key required)."""
        try:
            tenant, key, plaintext = operations.create_tenant(db(), body["slug"], body["name"], actor=operations.OPERATOR)
        except SlugTaken:
            abort(409, message=f"a tenant with slug {body['slug']!r} already exists", errors={"slug": ["already taken"]})
        except InvalidSlug as exc:
            abort(422, message=str(exc), errors={"slug": [str(exc)]})
        return {"tenant": tenant, "key": key, "api_key": plaintext}

    @blp.response(200, TenantSchema(many=True))
    @operator_required
    def get(self):
        """List all tenants (operator key required)."""
        return TenantRepository(db()).list()


document_errors(blp, Tenants.post, 401, 403, 409, 422)
document_errors(blp, Tenants.get, 401, 403)


@blp.route("/tenant")
class CurrentTenant(MethodView):
    @blp.response(200, TenantSchema)
    @tenant_required
    def get(self):
        """The tenant the calling key belongs to."""
        return TenantRepository(db()).get(principal().tenant_id)


document_errors(blp, CurrentTenant.get, 401)
