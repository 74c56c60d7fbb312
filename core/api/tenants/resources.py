"""Tenants: the platform operator creates them; a tenant key can read its own tenant.

Erasure: a tenant admin exports everything the tenant owns as one zip archive, and deletes
the tenant (its admin, or the operator); a deletion must be confirmed with the slug.
"""

import tempfile

from flask import Response, request
from flask.views import MethodView
from flask_smorest import abort
from werkzeug.wsgi import wrap_file

from core.operations import base, erasure, export, tenants
from core.api.auth import operator_required, principal, tenant_required
from core.api.common import Blueprint, document_errors
from core.api.context import db
from core.api.tenants.schemas import (
    TenantCreatedSchema,
    TenantCreateSchema,
    TenantDeleteSchema,
    TenantSchema,
)
from core.db.base import utcnow
from core.db.errors import InvalidSlug, SlugTaken
from core.db.repositories import TenantRepository
from core.db.repositories.tenants import SLUG_PATTERN
from core.db.tenancy import bind_tenant
from core.export import archive_name
from core.roles import ADMIN

blp = Blueprint("tenants", __name__, url_prefix="/api/v1", description="Tenants: created by the platform operator, each with its first admin key.")


# Archives up to this size are built in memory; larger ones spill to a temporary file.
EXPORT_IN_MEMORY_BYTES = 32 * 1024 * 1024


def _delete(tenant_id: int, confirm: str, actor: base.Actor) -> None:
    try:
        erasure.delete_tenant(db(), tenant_id, confirm, actor)
    except erasure.ConfirmationMismatch as exc:
        abort(422, message=str(exc), errors={"json": {"confirm": ["must be the slug of the tenant being deleted"]}})


@blp.route("/tenants")
class Tenants(MethodView):
    @operator_required
    @blp.arguments(TenantCreateSchema)
    @blp.response(201, TenantCreatedSchema)
    def post(self, body):
        """Create a tenant and its first admin API key (operator key required)."""
        try:
            tenant, key, plaintext = tenants.create_tenant(db(), body["slug"], body["name"], actor=base.OPERATOR)
        except SlugTaken:
            abort(409, message=f"a tenant with slug {body['slug']!r} already exists", errors={"slug": ["already taken"]})
        except InvalidSlug as exc:
            abort(422, message=str(exc), errors={"slug": [str(exc)]})
        return {"tenant": tenant, "key": key, "api_key": plaintext}

    @operator_required
    @blp.response(200, TenantSchema(many=True))
    def get(self):
        """List all tenants (operator key required)."""
        return TenantRepository(db()).list()


document_errors(blp, Tenants.post, 401, 403, 409, 422)
document_errors(blp, Tenants.get, 401, 403)


@blp.route("/tenant")
class CurrentTenant(MethodView):
    @tenant_required
    @blp.response(200, TenantSchema)
    def get(self):
        """The tenant the calling key belongs to."""
        return TenantRepository(db()).get(principal().tenant_id)

    @tenant_required(role=ADMIN)
    @blp.arguments(TenantDeleteSchema)
    @blp.response(204)
    def delete(self, body):
        """Delete this tenant and all its data, irreversibly (admin key; confirm with the slug). Export it first."""
        who = principal()
        _delete(who.tenant_id, body["confirm"], base.Actor.key(who.key_id))


document_errors(blp, CurrentTenant.get, 401)
document_errors(blp, CurrentTenant.delete, 401, 403, 422)


@blp.route("/tenant/export")
class TenantExport(MethodView):
    @tenant_required(role=ADMIN)
    @blp.response(
        200,
        {"type": "string", "format": "binary"},
        content_type="application/zip",
        description="A zip archive (`csm-export-<slug>-<UTC timestamp>.zip`): manifest.json with counts and a sha256 per file, "
        "tenant.json, api_keys.json (metadata only), config_versions/ (YAML as uploaded and resolved document per version), "
        "responses/vN.csv per configuration version (the import CSV format) and audit_events.jsonl.",
    )
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


document_errors(blp, TenantExport.get, 401, 403)


@blp.route("/tenants/<slug>")
class TenantBySlug(MethodView):
    @operator_required
    @blp.arguments(TenantDeleteSchema)
    @blp.response(204)
    def delete(self, body, slug):
        """Delete a tenant and all its data, irreversibly (operator key; confirm with the slug)."""
        # A string that cannot be a slug (NUL, which PostgreSQL refuses, ...) names no tenant.
        tenant = TenantRepository(db()).get_by_slug(slug) if SLUG_PATTERN.fullmatch(slug) else None
        if tenant is None:
            abort(404, message=f"no tenant {slug!r}")
        bind_tenant(db(), tenant.id)  # the operator acts for this tenant from here on
        _delete(tenant.id, body["confirm"], base.OPERATOR)


document_errors(blp, TenantBySlug.delete, 401, 403, 404, 422)
