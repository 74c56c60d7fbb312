"""Plugins of the calling tenant: which are enabled, enabling and disabling them (admins),
and what the enabled ones give the tenant."""

from flask.views import MethodView

from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
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
    @blp.errors(401)
    @tenant_required
    @blp.response(200, PluginSchema(many=True))
    @blp.doc(operationId="list_plugins")
    def get(self):
        """Every installed plugin (the core's first) and whether this tenant enabled it."""
        return plugins.plugin_states(db(), principal().tenant_id, state().registry)


@blp.route(f"/plugins/{NAME}")
class PluginByName(MethodView):
    @blp.errors(401, 403, 404)
    @tenant_required(role=ADMIN)
    @blp.response(200, PluginSchema)
    @blp.doc(operationId="enable_plugin")
    def put(self, name):
        """Enable an installed plugin for this tenant (enabling it again changes nothing)."""
        return plugins.enable_plugin(db(), principal().tenant_id, state().registry, name, _actor())

    @blp.errors(401, 403, 404, 409)
    @tenant_required(role=ADMIN)
    @blp.response(204)
    @blp.doc(operationId="disable_plugin")
    def delete(self, name):
        """Disable a plugin for this tenant; 409 for the core's own and for the one providing the industry of the current configuration."""
        plugins.disable_plugin(db(), principal().tenant_id, state().registry, name, _actor())


@blp.route("/capabilities")
class Capabilities(MethodView):
    @blp.errors(401)
    @tenant_required
    @blp.response(200, CapabilitiesSchema)
    @blp.doc(operationId="get_capabilities")
    def get(self):
        """What this tenant's plugins give it: scales, expression functions, case and event types, analysis methods."""
        return plugins.capabilities(db(), principal().tenant_id, state().registry)
