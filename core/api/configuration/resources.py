"""Tenant configuration: validate YAML, store it as a new immutable version, read versions."""

from dataclasses import asdict

from flask.views import MethodView
from flask_smorest import abort

from core.operations import base, configuration
from core.api.auth import principal, tenant_required
from core.api.common import Blueprint, body_text, document_errors
from core.api.configuration.schemas import (
    CONFIG_BODY,
    ValidationResultSchema,
    VersionCreatedSchema,
    VersionDetailSchema,
    VersionSchema,
)
from core.api.context import db, state
from core.config import ConfigError
from core.db.repositories import ConfigVersionRepository
from core.roles import ADMIN, INTEGRATOR

blp = Blueprint("configuration", __name__, url_prefix="/api/v1/config", description="Indicator-set configuration in YAML, stored as numbered, immutable versions.")


def _config_errors(exc: ConfigError):
    abort(422, message=f"the configuration has {len(exc.issues)} problem(s)", errors=exc.to_dict())


@blp.route("/validate")
class Validate(MethodView):
    @tenant_required(role=INTEGRATOR)
    @blp.doc(requestBody=CONFIG_BODY)
    @blp.response(200, ValidationResultSchema)
    def post(self):
        """Check a configuration without storing it; 422 lists every problem with path and line."""
        text, filename = body_text()
        try:
            config = configuration.validate_config(text, filename or "config.yaml", state().registry.template)
        except ConfigError as exc:
            _config_errors(exc)
        return {"valid": True, "summary": config.summary()}


@blp.route("/versions")
class Versions(MethodView):
    @tenant_required
    @blp.response(200, VersionSchema(many=True))
    def get(self):
        """List this tenant's configuration versions, oldest first."""
        return ConfigVersionRepository(db()).list(principal().tenant_id)

    @tenant_required(role=ADMIN)
    @blp.doc(requestBody=CONFIG_BODY)
    @blp.response(201, VersionCreatedSchema)
    def post(self):
        """Validate and store a configuration as the next version; responses pushed afterwards are collected under it."""
        text, filename = body_text()
        who = principal()
        try:
            version, config = configuration.upload_config(db(), who.tenant_id, text, filename or "config.yaml", state().registry.template, actor=base.Actor.key(who.key_id))
        except ConfigError as exc:
            _config_errors(exc)
        return {**asdict(version), "summary": config.summary()}


@blp.route("/versions/<int(max=2147483647):version>")
class VersionByNumber(MethodView):
    @tenant_required
    @blp.response(200, VersionDetailSchema)
    def get(self, version):
        """One version: the YAML as uploaded and the resolved document."""
        found = ConfigVersionRepository(db()).get(principal().tenant_id, version)
        if found is None:
            abort(404, message=f"configuration version {version} does not exist")
        return found


document_errors(blp, Validate.post, 401, 403, 413, 422)
document_errors(blp, Versions.get, 401)
document_errors(blp, Versions.post, 401, 403, 413, 422)
document_errors(blp, VersionByNumber.get, 401, 404)
