"""The application factory: settings → database → plugins → REST API with its docs."""

from __future__ import annotations

import http
import threading
from typing import Any, Mapping

import pluggy
import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from core import __version__
from core.alerts import CaseEvaluator
from core.api import register_api
from core.api import headers
from core.api.common import BoundedRequest, ErrorSchema
from core.api.context import CsmState, install_request_session
from core.api.errors import register_error_map, shaped
from core.api.ratelimit import install_rate_limits
from core.db.engine import make_engine, make_session_factory
from core.operations.alerts import NOTIFY_KEY
from core.operations.cases import EVALUATOR_KEY
from core.operations.configuration import session_info
from core.plugins import IndustryRegistry, get_plugin_manager
from core.result_cache import make_cache
from core.settings import load_settings
from core.worker.queue import make_celery, notifier

SWAGGER_ASSETS = "/docs/assets/"


class CsmApi(Api):
    """flask-smorest's Api, with error responses that keep the exception's own headers
    (``Allow`` on 405, ``Retry-After`` on 429), in the one error shape of core.api.errors
    (``shaped``: webargs' validation messages too). Domain errors raised by operations are
    answered through the one map there."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        super()._register_error_handlers()
        register_error_map(self._app, self.handle_http_exception)

    def _register_responses(self):
        """flask-smorest's shared answers (one per status, and the default error), each
        listing the rate-limit headers as every answer documented in place does
        (core.api.blueprint); 304 also lists its ETag."""
        headers.register_header_components(self.spec)
        rate_limit = headers.refs(*headers.RATE_LIMIT_HEADERS)
        shared = {status.name: (status.phrase, not (100 <= status < 200) and status not in (204, 304)) for status in http.HTTPStatus}
        shared["DEFAULT_ERROR"] = ("Default error response", True)
        for name, (description, has_body) in shared.items():
            response = {"description": description, "headers": {**rate_limit, **({"ETag": "ETAG"} if name == "NOT_MODIFIED" else {})}}
            if has_body:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(name, response, lazy=True)

    def handle_http_exception(self, error):
        payload, code, headers = super().handle_http_exception(error)
        own = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        payload.setdefault("message", error.description)
        data = getattr(error, "data", None) or {}
        if "total" in data:
            payload["total"] = data["total"]
        return shaped(payload), code, {**own, **(headers or {})}


def create_app(config: Mapping[str, Any] | None = None, plugin_manager: pluggy.PluginManager | None = None, evaluator: CaseEvaluator | None = None) -> Flask:
    """The API. ``evaluator`` computes the alerts of cases as their events arrive (default:
    the tenant's commitments, core.alerts.commitments.commitment_alerts); alerts' deliveries are queued on the worker's queue
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
    engine = make_engine(settings["DATABASE_URL"], sqlite_busy_timeout_ms=settings["SQLITE_BUSY_TIMEOUT_MS"], sqlite_cache_mb=settings["SQLITE_CACHE_MB"])
    registry = IndustryRegistry(plugin_manager or get_plugin_manager())
    info = {**session_info(registry), NOTIFY_KEY: notifier(make_celery(settings)), **({EVALUATOR_KEY: evaluator} if evaluator is not None else {})}
    app.extensions["csm"] = CsmState(
        engine=engine,
        sessions=make_session_factory(engine, info),
        registry=registry,
        settings=settings,
        read_sessions=make_session_factory(engine, info, read_only=True),
        answer_cache=make_cache(settings),
        score_slots=threading.BoundedSemaphore(settings["SCORE_CONCURRENCY"]) if settings["SCORE_CONCURRENCY"] else None,
    )
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
