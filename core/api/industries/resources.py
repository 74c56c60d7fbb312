"""Industries the installed plugins provide, with their catalogues and templates."""

from dataclasses import asdict

from flask import Response
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields

from core.api.auth import tenant_required
from core.api.common import Blueprint, document_errors
from core.api.context import state
from core.plugins import plugin_ref

blp = Blueprint("industries", __name__, url_prefix="/api/v1", description="Industry plugins: touchpoints, templates, scales, KPIs, rules and service tiers.")


class IndustrySchema(Schema):
    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    description = fields.String()
    source = fields.String()
    plugin = fields.Dict(metadata={"description": "The plugin providing it: name and version."})


class CatalogueSchema(IndustrySchema):
    factors = fields.List(fields.Dict())
    respondent_attributes = fields.List(fields.Dict())
    stages = fields.List(fields.Dict())
    templates = fields.List(fields.Dict())
    scales = fields.List(fields.Dict())
    kpis = fields.List(fields.Dict())
    expectation_rules = fields.List(fields.Dict())
    service_tiers = fields.List(fields.Dict())


def _known(code: str):
    if code not in state().registry.industries():
        abort(404, message=f"no installed plugin provides industry {code!r}")


@blp.route("/industries")
class Industries(MethodView):
    @tenant_required
    @blp.response(200, IndustrySchema(many=True))
    def get(self):
        """List the industries of all installed plugins."""
        registry = state().registry
        return [{**asdict(ind), "plugin": plugin_ref(registry.industry_plugin(code))} for code, ind in registry.industries().items()]


@blp.route("/industries/<code>")
class IndustryByCode(MethodView):
    @tenant_required
    @blp.response(200, CatalogueSchema)
    def get(self, code):
        """One industry's full catalogue."""
        _known(code)
        return state().registry.catalogue(code)


@blp.route("/industries/<code>/templates/<template>")
class TemplateByCode(MethodView):
    @tenant_required
    @blp.response(200, content_type="application/yaml", description="The template, a configuration document in the tenant YAML format.")
    def get(self, code, template):
        """An indicator-set template as YAML, ready to copy or use by reference."""
        _known(code)
        found = state().registry.template(code, template)
        if found is None:
            abort(404, message=f"industry {code!r} has no template {template!r}")
        return Response(found.text, mimetype="application/yaml")


document_errors(blp, Industries.get, 401)
document_errors(blp, IndustryByCode.get, 401, 404)
document_errors(blp, TemplateByCode.get, 401, 404)
