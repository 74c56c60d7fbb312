"""Tenants: the platform operator creates them; a tenant key can read its own tenant.

Erasure: a tenant admin exports everything the tenant owns as one zip archive, and deletes
the tenant (its admin, or the operator); a deletion must be confirmed with the slug.
"""

import tempfile

from flask import Response, request, url_for
from flask.views import MethodView
from werkzeug.wsgi import wrap_file

from core.api.auth import operator_required, principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.context import db
from core.api.transactions import writes
from core.api.tenants.schemas import (
    TenantCreatedSchema,
    TenantCreateSchema,
    TenantDeleteSchema,
    TenantSchema,
)
from core.db.base import utcnow
from core.db.repositories import TenantRepository
from core.export import archive_name
from core.operations import base, erasure, export, tenants
from core.roles import ADMIN

blp = Blueprint("tenants", __name__, url_prefix="/api/v1", description="Tenants: created by the platform operator, each with its first admin key.")


# Archives up to this size are built in memory; larger ones spill to a temporary file.
EXPORT_IN_MEMORY_BYTES = 32 * 1024 * 1024


@blp.route("/tenants")
class Tenants(MethodView):
    @blp.errors(401, 403, 409, 422)
    @operator_required
    @blp.arguments(TenantCreateSchema)
    @blp.location(lambda body: url_for("tenants.TenantBySlug", slug=body["tenant"]["slug"]))
    @blp.response(201, TenantCreatedSchema)
    @blp.doc(operationId="create_tenant")
    def post(self, body):
        """Create a tenant and its first admin API key (operator key required)."""
        tenant, key, plaintext = tenants.create_tenant(db(), body["slug"], body["name"], actor=base.OPERATOR)
        return {"tenant": tenant, "key": key, "api_key": plaintext}

    @blp.errors(401, 403)
    @operator_required
    @blp.response(200, TenantSchema(many=True))
    @blp.doc(operationId="list_tenants")
    def get(self):
        """List all tenants (operator key required)."""
        return TenantRepository(db()).list()


@blp.route("/tenant")
class CurrentTenant(MethodView):
    @blp.errors(401)
    @tenant_required
    @blp.response(200, TenantSchema)
    @blp.doc(operationId="get_current_tenant")
    def get(self):
        """The tenant the calling key belongs to."""
        return TenantRepository(db()).get(principal().tenant_id)

    @blp.errors(401, 403, 422)
    @tenant_required(role=ADMIN)
    @blp.arguments(TenantDeleteSchema)
    @blp.response(204)
    @blp.doc(operationId="delete_current_tenant")
    def delete(self, body):
        """Delete this tenant and all its data, irreversibly (admin key; confirm with the slug). Export it first.

        422 when `confirm` is not this tenant's slug: nothing is deleted."""
        who = principal()
        erasure.delete_tenant(db(), who.tenant_id, body["confirm"], base.Actor.key(who.key_id))


@blp.route("/tenant/export")
class TenantExport(MethodView):
    @blp.errors(401, 403)
    @tenant_required(role=ADMIN)
    @blp.response(
        200,
        {"type": "string", "format": "binary"},
        content_type="application/zip",
        description="A zip archive (`csm-export-<slug>-<UTC timestamp>.zip`): manifest.json with counts and a sha256 per file, "
        "tenant.json, api_keys.json (metadata only), config_versions/ (YAML as uploaded and resolved document per version), "
        "responses/vN.csv per configuration version (the import CSV format) and audit_events.jsonl.",
        headers={"Content-Disposition": {"description": "`attachment; filename=\"csm-export-<slug>-<UTC timestamp>.zip\"`", "schema": {"type": "string"}}},
    )
    @blp.doc(operationId="export_tenant")
    @writes  # the export is audited
    def get(self):
        """Export everything this tenant owns as one zip archive (admin key required)."""
        who = principal()
        now = utcnow()
        # Not a `with`: the response streams the file and closes it when it is sent.
        spool = tempfile.SpooledTemporaryFile(max_size=EXPORT_IN_MEMORY_BYTES)  # noqa: SIM115
        try:
            export.export_tenant(db(), who.tenant_id, spool, base.Actor.key(who.key_id), now)
            size = spool.tell()
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        response = Response(wrap_file(request.environ, spool), mimetype="application/zip", direct_passthrough=True)
        response.content_length = size
        response.headers["Content-Disposition"] = f'attachment; filename="{archive_name(who.tenant_slug, now)}"'
        response.headers["Cache-Control"] = "no-store"
        return response


@blp.route("/tenants/<slug>")
class TenantBySlug(MethodView):
    @blp.errors(401, 403, 404)
    @operator_required
    @blp.response(200, TenantSchema)
    @blp.doc(operationId="get_tenant")
    def get(self, slug):
        """One tenant by its slug (operator key required)."""
        return tenants.act_for(db(), slug)

    @blp.errors(401, 403, 404, 422)
    @operator_required
    @blp.arguments(TenantDeleteSchema)
    @blp.response(204)
    @blp.doc(operationId="delete_tenant")
    def delete(self, body, slug):
        """Delete a tenant and all its data, irreversibly (operator key; confirm with the slug).

        422 when `confirm` is not the slug in the path: nothing is deleted."""
        tenant = tenants.act_for(db(), slug)
        erasure.delete_tenant(db(), tenant.id, body["confirm"], base.OPERATOR)
