"""Reading stored responses back, a page at a time (GET /api/v1/responses).

Registered on the responses blueprint beside the ingest endpoints (same path, other
method), so the docs list reading and writing together. Page sizes come from the settings
(``PAGE_SIZE``, ``MAX_PAGE_SIZE``; core.api.blueprint).
"""

from flask.views import MethodView

from core.api.auth import principal, tenant_required
from core.api.context import db
from core.api.responses.resources import blp
from core.api.responses.schemas import ListQuerySchema, StoredResponseSchema
from core.db.repositories import ResponseRepository


@blp.route("/responses")
class ResponseList(MethodView):
    @blp.errors(401, 422)
    @tenant_required
    @blp.arguments(ListQuerySchema, location="query")
    @blp.response(200, StoredResponseSchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="list_responses")
    def get(self, query, pagination_parameters):
        """Stored responses, oldest collected first, optionally of one configuration version.

        Readable by every role. Paged as every listing: `page`, `page_size`, `X-Pagination`
        (the total and the page numbers) and `Link` (first, prev, next, last)."""
        repo = ResponseRepository(db())
        tenant_id = principal().tenant_id
        pagination_parameters.item_count = repo.count(tenant_id, query.get("version"))
        return repo.list_page(tenant_id, query.get("version"), limit=pagination_parameters.page_size, offset=pagination_parameters.first_item)
