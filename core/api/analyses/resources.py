"""Analyses of the stored responses: the registered methods, and one method run.

``GET /analyses`` lists the methods the tenant's plugins register with their parameters;
``GET /analyses/{method}`` runs one on the stored responses of a configuration version
(default the latest; ``from``/``to`` as for /scores), its parameters the configuration's
``analysis`` section overridden by the query (core.operations.analyses). Any role.
"""

from flask.views import MethodView

from core.api.analyses.schemas import AnalysisQuerySchema, AnalysisResultSchema, MethodSchema
from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.context import db, state
from core.operations import analyses

blp = Blueprint("analyses", __name__, url_prefix="/api/v1", description="Analyses of the stored responses (and purchases): drivers, KANO, PLS index, loyalty matrix, tiers, expectation gap, peak-end, AHP, loyalty, customer value.")

# The responses analysed (named apart from the methods' own parameters: peak-end has `end`).
WINDOW = ("version", "window_start", "window_end")


@blp.route("/analyses")
class Methods(MethodView):
    @blp.errors(401)
    @tenant_required
    @blp.response(200, MethodSchema(many=True))
    @blp.doc(operationId="list_analyses")
    def get(self):
        """The analysis methods the tenant's plugins register (the core's among them), with their parameters and defaults."""
        return analyses.methods(db(), principal().tenant_id, state().registry)


@blp.route("/analyses/<string:method>")
class Analysis(MethodView):
    @blp.errors(401, 404, 422)
    @tenant_required
    @blp.arguments(AnalysisQuerySchema, location="query")
    @blp.response(200, AnalysisResultSchema)
    @blp.doc(operationId="run_analysis")
    def get(self, query, method):
        """Run one analysis method on the stored responses; the configuration's `analysis` section gives the defaults, the query overrides them.

        404 for a method the tenant's plugins do not register, a version that does not
        exist, or a tenant without a configuration. 422 names the parameter at fault: one
        the method does not take, a value of the wrong type (a number, a list of codes, a
        JSON object), a question code the indicator set does not have, `from` not before
        `to`, or data the method cannot analyse (no responses, no variance; for `loyalty`
        and `customer_value`, which read the stored purchases made in the same window, no
        purchases: `purchases`)."""
        given = {k: v for k, v in query.items() if k not in WINDOW}
        return analyses.run(db(), principal().tenant_id, state().registry, method, given, query.get("version"), query.get("window_start"), query.get("window_end"))
