"""Reading stored responses back, a page at a time (GET /api/v1/responses).

Registered on the responses blueprint beside the ingest endpoints (same path, other
method), so the docs list reading and writing together.
"""

from flask.views import MethodView

from core.api.auth import principal, tenant_required
from core.api.common import document_errors, page_window
from core.api.context import db
from core.api.responses.resources import blp
from core.api.responses.schemas import ListQuerySchema, StoredResponseSchema
from core.db.repositories import ResponseRepository
from core.settings import DEFAULTS

# Page sizes are fixed when the route is declared, so they come from the defaults.
PAGE_SIZE = DEFAULTS["PAGE_SIZE"]
MAX_PAGE_SIZE = DEFAULTS["MAX_PAGE_SIZE"]


@blp.route("/responses")
class ResponseList(MethodView):
    @tenant_required
    @blp.arguments(ListQuerySchema, location="query")
    @blp.response(200, StoredResponseSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query, pagination_parameters):
        """Stored responses, oldest collected first, optionally of one configuration version;
        readable by every role. `X-Pagination` carries the total and the page links."""
        repo = ResponseRepository(db())
        tenant_id = principal().tenant_id
        limit, offset = page_window(pagination_parameters)
        pagination_parameters.item_count = repo.count(tenant_id, query.get("version"))
        return repo.list_page(tenant_id, query.get("version"), limit=limit, offset=offset)


document_errors(blp, ResponseList.get, 401, 422)
