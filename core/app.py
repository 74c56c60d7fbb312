"""The application factory: settings → database → plugins → REST API with its docs."""

from __future__ import annotations

from typing import Any, Mapping

import pluggy
import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Api

from core import __version__
from core.alerts import CaseEvaluator
from core.api import register_api
from core.api.common import BoundedRequest, ErrorSchema
from core.api.context import CsmState, install_request_session
from core.api.errors import register_error_map
from core.api.ratelimit import install_rate_limits
from core.db.engine import make_engine, make_session_factory
from core.operations.alerts import NOTIFY_KEY
from core.operations.cases import EVALUATOR_KEY
from core.operations.configuration import session_info
from core.plugins import IndustryRegistry, get_plugin_manager
from core.settings import load_settings
from core.worker.queue import make_celery, notifier

SWAGGER_ASSETS = "/docs/assets/"


class CsmApi(Api):
    """flask-smorest's Api, with error responses that keep the exception's own headers
    (``Allow`` on 405, ``Retry-After`` on 429) and always carry a message. Its error schema
    allows ``errors`` to be a list (row-level batch errors) as well as a mapping. Domain
    errors raised by operations are answered through the one map in core.api.errors."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        super()._register_error_handlers()
        register_error_map(self._app, self.handle_http_exception)

    def handle_http_exception(self, error):
        payload, code, headers = super().handle_http_exception(error)
        own = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        payload.setdefault("message", error.description)
        return payload, code, {**own, **(headers or {})}


def create_app(config: Mapping[str, Any] | None = None, plugin_manager: pluggy.PluginManager | None = None, evaluator: CaseEvaluator | None = None) -> Flask:
    """The API. ``evaluator`` computes the alerts of a case as its events arrive (default:
    none, core.alerts.no_commitments); alerts' deliveries are queued on the worker's queue
    once they commit."""
    settings = load_settings(config)
    app = Flask("csm")
    app.request_class = BoundedRequest  # MAX_CONTENT_LENGTH for chunked bodies too
    app.json.sort_keys = False  # keep scores in tree order, as the configuration lists them
    app.config.update(settings)
    app.config.update(
        API_TITLE="CSM customer-satisfaction API",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_ASSETS,
        API_SPEC_OPTIONS={
            "info": {"description": "Weighted satisfaction indices per tenant, from YAML indicator sets and pushed survey responses."},
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API key: `Authorization: Bearer csm_...`"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    engine = make_engine(settings["DATABASE_URL"])
    registry = IndustryRegistry(plugin_manager or get_plugin_manager())
    info = {**session_info(registry), NOTIFY_KEY: notifier(make_celery(settings)), **({EVALUATOR_KEY: evaluator} if evaluator is not None else {})}
    app.extensions["csm"] = CsmState(engine=engine, sessions=make_session_factory(engine, info), registry=registry, settings=settings)
    install_request_session(app)
    install_rate_limits(app, settings)

    @app.get(SWAGGER_ASSETS + "<path:filename>")
    def swagger_assets(filename):
        """Swagger UI's files, served from the installed package so /docs works offline."""
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    api = CsmApi(app)
    # The X-Pagination header carries JSON text; document it as the string it is on the wire.
    api.spec.components.headers_lazy["PAGINATION"] = {
        "description": "Pagination metadata, as JSON text with the fields of PaginationMetadata.",
        "schema": {"type": "string"},
    }
    register_api(api)
    return app
