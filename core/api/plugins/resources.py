"""Plugins of the calling tenant: which are enabled, enabling and disabling them (admins),
and what the enabled ones give the tenant."""

from flask.views import MethodView
from flask_smorest import abort

from core.api.auth import principal, tenant_required
from core.api.common import Blueprint, document_errors
from core.api.context import db, state
from core.api.plugins.schemas import CapabilitiesSchema, PluginSchema
from core.operations import base, plugins
from core.roles import ADMIN

blp = Blueprint(
    "plugins",
    __name__,
    url_prefix="/api/v1/tenant",
    description="Plugins per tenant: installed plugins are available to every tenant; only the core's own and those a tenant enabled are called for it.",
)

NAME = "<string(maxlength=64):name>"


def _actor() -> base.Actor:
    return base.Actor.key(principal().key_id)


@blp.route("/plugins")
class Plugins(MethodView):
    @tenant_required
    @blp.response(200, PluginSchema(many=True))
    def get(self):
        """Every installed plugin (the core's first) and whether this tenant enabled it."""
        return plugins.plugin_states(db(), principal().tenant_id, state().registry)


@blp.route(f"/plugins/{NAME}")
class PluginByName(MethodView):
    @tenant_required(role=ADMIN)
    @blp.response(200, PluginSchema)
    def put(self, name):
        """Enable an installed plugin for this tenant (enabling it again changes nothing)."""
        try:
            return plugins.enable_plugin(db(), principal().tenant_id, state().registry, name, _actor())
        except base.NotFound as exc:
            abort(404, message=str(exc))

    @tenant_required(role=ADMIN)
    @blp.response(204)
    def delete(self, name):
        """Disable a plugin for this tenant; 409 for the core's own and for the one providing the industry of the current configuration."""
        try:
            plugins.disable_plugin(db(), principal().tenant_id, state().registry, name, _actor())
        except base.NotFound as exc:
            abort(404, message=str(exc))
        except base.Conflict as exc:
            abort(409, message=str(exc))


@blp.route("/capabilities")
class Capabilities(MethodView):
    @tenant_required
    @blp.response(200, CapabilitiesSchema)
    def get(self):
        """What this tenant's plugins give it: scales, expression functions, case and event types, analysis methods."""
        return plugins.capabilities(db(), principal().tenant_id, state().registry)


document_errors(blp, Plugins.get, 401)
document_errors(blp, PluginByName.put, 401, 403, 404)
document_errors(blp, PluginByName.delete, 401, 403, 404, 409)
document_errors(blp, Capabilities.get, 401)
