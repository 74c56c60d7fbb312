"""Purchase records: bulk ingest (all or nothing, idempotent) and listing.

What the ``loyalty`` and ``customer_value`` analyses read. The POST carries
``@idempotent`` and joins the ingest budget (``@ingest_limited``); writing takes the
integrator role, reading any role.
"""

from dataclasses import asdict

from flask import url_for
from flask.views import MethodView

from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.context import db, state
from core.api.idempotent import idempotent
from core.api.purchases.schemas import PurchaseIngestResultSchema, PurchaseIngestSchema, PurchaseQuerySchema, PurchaseSchema
from core.api.ratelimit import ingest_limited
from core.operations import purchases
from core.roles import INTEGRATOR

blp = Blueprint("purchases", __name__, url_prefix="/api/v1", description="Purchase records: what transactional loyalty and customer value are computed from.")


@blp.route("/purchases")
class Purchases(MethodView):
    @blp.errors(401, 403, 413, 422)
    @blp.location(lambda body: url_for("purchases.Purchases"))  # the stored purchases
    @ingest_limited
    @tenant_required(role=INTEGRATOR)
    @blp.arguments(PurchaseIngestSchema)
    @idempotent
    @blp.response(201, PurchaseIngestResultSchema)
    @blp.doc(operationId="ingest_purchases")
    def post(self, body):
        """Store up to 10,000 purchases; all or nothing, and a batch sent twice stores nothing new.

        422 lists every refused item by index and field: a purchase id or customer id
        missing or too long, a purchase id twice in the batch, `purchased_at` not an ISO
        8601 time or in the future, `amount` not a finite number >= 0, `category_spend`
        not a number > 0, an unknown field. A purchase id already stored with other values
        is replaced (a correction)."""
        result = purchases.ingest_purchases(db(), principal().tenant_id, body["purchases"], state().settings["MAX_BATCH"])
        return asdict(result)

    @blp.errors(401, 422)
    @tenant_required
    @blp.arguments(PurchaseQuerySchema, location="query")
    @blp.response(200, PurchaseSchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="list_purchases")
    def get(self, query, pagination_parameters):
        """Stored purchases, oldest first, optionally of one customer; any role."""
        page, pagination_parameters.item_count = purchases.list_purchases(db(), principal().tenant_id, query.get("customer_id"), pagination_parameters.page_size, pagination_parameters.first_item)
        return [asdict(p) for p in page]
