"""Erasure of one respondent: a customer's right to be forgotten.

``DELETE /customers/{customer_id}/responses`` deletes every response of the calling
tenant that carries the customer id, with their rows in the answer store (the blocks
holding them are rewritten without them, so scores and cached answers change at once),
and the customer's purchase records (``POST /purchases``), which carry the same id and
are as personal as what the customer said: a customer forgotten by its answers must not
stay in its purchases. The stored customer itself (``POST /customers``, its grades) is
the tenant's master data and is kept.
An admin's request; audited with a digest of the id, not the id. A customer the tenant
holds nothing of answers 200 with ``erased`` 0, not 404: the request is idempotent, and
repeating it (or making it before the customer's first response arrives) confirms that
nothing is held. The id is taken as the rest of the path, so ids containing ``/`` can be
erased too.
"""

from flask.views import MethodView
from marshmallow import Schema, fields

from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.context import db
from core.operations import base, erasure
from core.roles import ADMIN

blp = Blueprint("erasure", __name__, url_prefix="/api/v1", description="Erasure of one customer's responses (right to be forgotten), audited.")


class ErasureSchema(Schema):
    erased = fields.Integer(required=True, metadata={"description": "How many responses were deleted (0 when the tenant held none of this customer)."})
    purchases = fields.Integer(required=True, metadata={"description": "How many of the customer's purchase records were deleted."})


@blp.route("/customers/<path:customer_id>/responses")
class CustomerResponses(MethodView):
    @blp.errors(401, 403)
    @tenant_required(role=ADMIN)
    @blp.response(200, ErasureSchema)
    @blp.doc(operationId="erase_customer_responses")
    def delete(self, customer_id):
        """Delete every response and every purchase record carrying this customer id, irreversibly (admin key); scores, analyses, cached answers and exports no longer include them.

        Audited as `responses.erase_customer` with the counts and a SHA-256 digest of the
        id (never the id itself). A customer without responses answers `erased` 0 (and
        `purchases` 0 without purchases)."""
        who = principal()
        done = erasure.erase_customer(db(), who.tenant_id, customer_id, base.Actor.key(who.key_id))
        return {"erased": done.responses, "purchases": done.purchases}
