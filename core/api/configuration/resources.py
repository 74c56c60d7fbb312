"""Tenant configuration: validate YAML, store it as a new immutable version, read versions.

Configuration errors (every problem with path and line) are answered 422 by the error map
(core.api.errors).
"""

from dataclasses import asdict

from flask import url_for
from flask.views import MethodView

from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.common import body_text
from core.api.configuration.schemas import (
    CONFIG_BODY,
    ValidationResultSchema,
    VersionCreatedSchema,
    VersionDetailSchema,
    VersionSchema,
)
from core.api.context import db, state
from core.db.repositories import ConfigVersionRepository
from core.operations import base, configuration, plugins
from core.roles import ADMIN, INTEGRATOR

blp = Blueprint("configuration", __name__, url_prefix="/api/v1/config", description="Indicator-set configuration in YAML, stored as numbered, immutable versions.")


@blp.route("/validate")
class Validate(MethodView):
    @blp.errors(401, 403, 413, 422)
    @tenant_required(role=INTEGRATOR)
    @blp.doc(requestBody=CONFIG_BODY)
    @blp.response(200, ValidationResultSchema)
    @blp.doc(operationId="validate_config")
    def post(self):
        """Check a configuration without storing it; 422 lists every problem with path and line."""
        text, filename = body_text()
        enabled = plugins.enabled_names(db(), principal().tenant_id)
        config = configuration.validate_config(text, filename or "config.yaml", state().registry.template, enabled)
        return {"valid": True, "summary": config.summary()}


@blp.route("/versions")
class Versions(MethodView):
    @blp.errors(401)
    @tenant_required
    @blp.response(200, VersionSchema(many=True))
    @blp.doc(operationId="list_config_versions")
    def get(self):
        """List this tenant's configuration versions, oldest first."""
        return ConfigVersionRepository(db()).list(principal().tenant_id)

    @blp.errors(401, 403, 409, 413, 422)
    @tenant_required(role=ADMIN)
    @blp.doc(requestBody=CONFIG_BODY)
    @blp.location(lambda body: url_for("configuration.VersionByNumber", version=body["version"]))
    @blp.response(201, VersionCreatedSchema)
    @blp.doc(operationId="create_config_version")
    def post(self):
        """Validate and store a configuration as the next version; responses pushed afterwards are collected under it.

        A document that is not a valid configuration is a 422 listing every problem with path
        and line, and nothing is stored.

        Concurrent uploads are numbered one after the other; should one keep losing the race
        for the next number, it gets 409 with `Retry-After` and nothing is stored."""
        text, filename = body_text()
        who = principal()
        version, config = configuration.upload_config(db(), who.tenant_id, text, filename or "config.yaml", state().registry.template, actor=base.Actor.key(who.key_id))
        return {**asdict(version), "summary": config.summary()}


@blp.route("/versions/<int(max=2147483647):version>")
class VersionByNumber(MethodView):
    @blp.errors(401, 404)
    @tenant_required
    @blp.etag
    @blp.response(200, VersionDetailSchema)
    @blp.doc(operationId="get_config_version")
    def get(self, version):
        """One version: the YAML as uploaded and the resolved document.

        Versions never change: the answer has an `ETag`, and a matching `If-None-Match` gets
        304 without a body."""
        return configuration.config_version(db(), principal().tenant_id, version)
