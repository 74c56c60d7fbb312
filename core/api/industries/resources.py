"""Industries the installed plugins provide, with their catalogues and templates."""

from dataclasses import asdict

from flask import Response
from flask.views import MethodView
from flask_smorest import abort

from core.api.auth import tenant_required
from core.api.blueprint import Blueprint
from core.api.context import state
from core.api.industries.schemas import CatalogueSchema, IndustrySchema
from core.plugins import plugin_ref

blp = Blueprint("industries", __name__, url_prefix="/api/v1", description="Industry plugins: touchpoints, templates, scales, KPIs, rules and service tiers.")


def _known(code: str):
    if code not in state().registry.industries():
        abort(404, message=f"no installed plugin provides industry {code!r}")


@blp.route("/industries")
class Industries(MethodView):
    @blp.errors(401)
    @tenant_required
    @blp.response(200, IndustrySchema(many=True))
    @blp.doc(operationId="list_industries")
    def get(self):
        """List the industries of all installed plugins."""
        registry = state().registry
        return [{**asdict(ind), "plugin": plugin_ref(registry.industry_plugin(code))} for code, ind in registry.industries().items()]


@blp.route("/industries/<code>")
class IndustryByCode(MethodView):
    @blp.errors(401, 404)
    @tenant_required
    @blp.etag
    @blp.response(200, CatalogueSchema)
    @blp.doc(operationId="get_industry")
    def get(self, code):
        """One industry's full catalogue.

        Fixed while the installed plugins are: `ETag`, and 304 for a matching `If-None-Match`."""
        _known(code)
        return state().registry.catalogue(code)


@blp.route("/industries/<code>/templates/<template>")
class TemplateByCode(MethodView):
    @blp.errors(401, 404)
    @tenant_required
    @blp.etag
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/yaml", description="The template, a configuration document in the tenant YAML format (UTF-8).")
    @blp.doc(operationId="get_template")
    def get(self, code, template):
        """An indicator-set template as YAML, ready to copy or use by reference.

        Fixed while the installed plugins are: `ETag`, and 304 for a matching `If-None-Match`."""
        _known(code)
        found = state().registry.template(code, template)
        if found is None:
            abort(404, message=f"industry {code!r} has no template {template!r}")
        blp.set_etag(found.text)
        return Response(found.text, mimetype="application/yaml")
