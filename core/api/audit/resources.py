"""The tenant's audit log: configuration uploads, key and role changes, deletions."""

from flask.views import MethodView
from marshmallow import Schema, fields

from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.context import db
from core.operations import audit
from core.roles import ADMIN

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Audit log of the calling tenant (admins only), newest first.")


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String(metadata={"description": "`key N`, `operator` or `cli`"})
    actor_key_id = fields.Integer(allow_none=True)
    action = fields.String(metadata={"description": "e.g. config.upload, key.create, key.revoke, key.role_change"})
    target = fields.String()
    details = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Free-form facts of the action, by action: e.g. `before`/`after` of a role change, `name`/`role` of a new key, `checksum` of an upload."},
    )


@blp.route("/audit")
class Audit(MethodView):
    @blp.errors(401, 403, 422)
    @tenant_required(role=ADMIN)
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="list_audit_events")
    def get(self, pagination_parameters):
        """Who changed what, when, and with which key, newest first.

        Paged as every listing: `page`, `page_size` (`CSM_PAGE_SIZE`, at most `CSM_MAX_PAGE_SIZE`),
        `X-Pagination` and `Link`."""
        events, pagination_parameters.item_count = audit.events(db(), principal().tenant_id, pagination_parameters.page_size, pagination_parameters.first_item)
        return events
