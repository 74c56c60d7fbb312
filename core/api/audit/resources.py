"""The tenant's audit log: configuration uploads, key and role changes, deletions."""

from flask.views import MethodView
from marshmallow import Schema, fields

from core.api.auth import principal, tenant_required
from core.api.common import Blueprint, document_errors, page_window
from core.api.context import db
from core.db.repositories import AuditRepository
from core.roles import ADMIN

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Audit log of the calling tenant (admins only), newest first.")


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String(metadata={"description": "`key N`, `operator` or `cli`"})
    actor_key_id = fields.Integer(allow_none=True)
    action = fields.String(metadata={"description": "e.g. config.upload, key.create, key.revoke, key.role_change"})
    target = fields.String()
    details = fields.Dict()


@blp.route("/audit")
class Audit(MethodView):
    @tenant_required(role=ADMIN)
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Who changed what, when, and with which key."""
        repo = AuditRepository(db())
        tenant_id = principal().tenant_id
        pagination_parameters.item_count = repo.count(tenant_id)
        limit, offset = page_window(pagination_parameters)
        return repo.list(tenant_id, limit=limit, offset=offset)


document_errors(blp, Audit.get, 401, 403, 422)
