"""The Blueprint every resource uses: flask-smorest's, plus what each endpoint declares
instead of repeating by hand.

- ``@blp.errors(401, 404, ...)`` documents the error answers of an operation with
  flask-smorest's own ``alt_response``, adding the codes any operation can get whatever it
  lists: 429 everywhere (every API call is rate limited, core.api.ratelimit), 413 where a
  request body is read and 400 where it is JSON (malformed JSON).
- ``@blp.paginate()`` takes its default and maximum page size from the application's
  settings (``PAGE_SIZE``, ``MAX_PAGE_SIZE``) at request time, and documents those of the
  application whose spec is being built; flask-smorest's own fixes both when the module is
  imported, so the settings could never take effect.
- The query parameters each operation declares are recorded per application when its
  spec is built, so the parser (core.api.common) refuses undeclared ones.
- ``@blp.paginate()`` also sends a ``Link`` header (RFC 8288: first, prev, next, last)
  beside ``X-Pagination``, built from the same metadata.
- ``@blp.location(build)`` sets ``Location`` on a 201 to ``build(body)``, from the body as
  sent, so an idempotent replay (which has the body, not the headers) carries it too.
- ``@blp.etag`` (flask-smorest's: ``ETag`` from the answer, ``If-None-Match`` → 304) is for
  resources that never change once created; the 304 carries the ``ETag`` too, and a weak
  tag matches (RFC 9110 compares ``If-None-Match`` weakly).
- Every documented answer lists the rate-limit headers (core.api.headers), a 401
  ``WWW-Authenticate``, a 409 or 429 ``Retry-After``.
- Endpoint markers (``core.api.idempotent``, ``location``) add header parameters and
  success-response headers to the docs through ``_apidoc["csm_doc"]``, read here, so a
  marker documents itself on any endpoint it is put on.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from copy import deepcopy

import flask_smorest
from flask import current_app, request
from flask_smorest.exceptions import NotModified
from flask_smorest.pagination import PaginationParameters
from flask_smorest.utils import resolve_schema_instance, unpack_tuple_response
from marshmallow import EXCLUDE, Schema, fields, post_load, validate
from werkzeug.http import quote_etag

from core.api import headers
from core.api.common import MAX_PAGE, QUERY_NAMES, ErrorSchema, JsonBodyParser
from core.settings import DEFAULTS

ERROR_DESCRIPTIONS = {
    400: "Malformed request.",
    401: "Missing, invalid, revoked or expired API key.",
    403: "The key may not do this.",
    404: "Not found in this tenant.",
    409: "Conflicts with stored data or with a request still in flight; with `Retry-After`, retry after that many seconds.",
    413: "Request body too large.",
    422: "Invalid input; `errors` locates each problem (field, CSV line, item index or YAML path and line).",
    429: "Too many requests for this key; retry after `Retry-After` seconds.",
}
# The headers an error answer documents besides the rate-limit ones.
ERROR_HEADERS = {401: headers.refs(headers.WWW_AUTHENTICATE), 409: headers.refs(headers.RETRY_AFTER), 429: headers.refs(headers.RETRY_AFTER)}


def implied_error_codes(apidoc: dict) -> set[int]:
    """The codes an operation can get whatever it declares (see the module docstring)."""
    json_arguments = any(p.get("in") == "json" for p in apidoc.get("arguments", {}).get("parameters", []))
    manual_body = ((apidoc.get("manual_doc") or {}).get("requestBody") or {}).get("content", {})
    implied = {429}
    if "pagination" in apidoc:
        implied.add(422)
    if json_arguments or manual_body:
        implied.add(413)
    if json_arguments or "application/json" in manual_body:
        implied.add(400)
    return implied


def page_sizes(settings) -> tuple[int, int]:
    """(default, maximum) page size from the settings; the default never exceeds the maximum."""
    maximum = int(settings.get("MAX_PAGE_SIZE", DEFAULTS["MAX_PAGE_SIZE"]))
    return min(int(settings.get("PAGE_SIZE", DEFAULTS["PAGE_SIZE"])), maximum), maximum


@functools.cache
def page_query_schema(default_size: int, max_size: int) -> type[Schema]:
    """The ``page``/``page_size`` query schema for these sizes (one class per pair). Pages
    stop at MAX_PAGE: beyond it the row offset would not fit the databases' integers."""

    class PageQuerySchema(Schema):
        class Meta:
            unknown = EXCLUDE

        page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
        page_size = fields.Integer(load_default=default_size, validate=validate.Range(min=1, max=max_size))

        @post_load
        def _parameters(self, data, **kwargs):
            return PaginationParameters(**data)

    return PageQuerySchema


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the JSON parser of core.api.common and the features
    of the module docstring; every resource uses this one."""

    ARGUMENTS_PARSER = JsonBodyParser()
    PAGINATION_ARGUMENTS_PARSER = ARGUMENTS_PARSER

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_marker_doc)
        self._prepare_doc_cbks.append(self._prepare_rate_limit_doc)

    def register_views_in_doc(self, api, app, spec, *, name, parameters):
        """Document the views, and record for the parser which query parameters each
        operation declares (core.api.common.JsonBodyParser refuses the others)."""
        super().register_views_in_doc(api, app, spec, name=name, parameters=parameters)
        names = app.extensions.setdefault(QUERY_NAMES, {})
        for endpoint, methods in self._docs.items():
            for method, info in methods.items():
                if method == "parameters":
                    continue
                declared = set()
                for argument in info.get("arguments", {}).get("parameters", []):
                    if argument.get("in") in ("query", "querystring"):
                        schema = resolve_schema_instance(argument["schema"])
                        declared |= {f.data_key or n for n, f in schema.fields.items() if not f.dump_only}
                if "pagination" in info:
                    declared |= {"page", "page_size"}
                if declared:
                    names[(f"{name}.{endpoint}", method.upper())] = frozenset(declared)

    # --- errors ---------------------------------------------------------------------------

    def errors(self, *codes: int):
        """Document the error shape for ``codes`` plus the implied ones, as alt responses.

        Put it above every other decorator of the view (it reads what they documented to
        know whether a body is read)."""

        def decorator(func):
            for code in sorted(set(codes) | implied_error_codes(getattr(func, "_apidoc", {}))):
                func = self.alt_response(code, schema=ErrorSchema, description=ERROR_DESCRIPTIONS[code], headers=ERROR_HEADERS.get(code))(func)
            return func

        return decorator

    # --- pagination ----------------------------------------------------------------------

    def paginate(self, pager=None, **_ignored):
        """Pagination in the view (``pagination_parameters`` is passed in; the view sets its
        ``item_count``), sized by the settings of the application serving the request."""
        if pager is not None:
            raise NotImplementedError("views page their own queries")

        def decorator(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                schema = page_query_schema(*page_sizes(current_app.extensions["csm"].settings))
                params = self.PAGINATION_ARGUMENTS_PARSER.parse(schema, request, location="query")
                kwargs["pagination_parameters"] = params
                result, status, headers = unpack_tuple_response(func(*args, **kwargs))
                if params.item_count is None:
                    raise RuntimeError(f"{request.endpoint} did not set pagination_parameters.item_count")
                result, headers = self._set_pagination_metadata(params, result, headers)
                return result, status, headers

            wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
            # The parameters are filled in per application, when its spec is built.
            # (Its 422 is documented by ``errors``, as every other error answer.)
            wrapper._apidoc["pagination"] = {"parameters": None, "response": {}}
            return wrapper

        return decorator

    def _prepare_pagination_doc(self, doc, doc_info, *, spec, app=None, **kwargs):
        operation = doc_info.get("pagination")
        if operation:
            settings = app.extensions["csm"].settings if app is not None and "csm" in app.extensions else DEFAULTS
            operation["parameters"] = {"in": "query", "schema": page_query_schema(*page_sizes(settings))}
        return super()._prepare_pagination_doc(doc, doc_info, spec=spec, app=app, **kwargs)

    def _set_pagination_metadata(self, page_params, result, headers_):
        """``X-Pagination`` (flask-smorest's metadata as JSON) and ``Link`` from the same
        metadata, linking pages with this request's other query parameters."""
        headers_ = {} if headers_ is None else headers_
        metadata = self._make_pagination_metadata(page_params.page, page_params.page_size, page_params.item_count)
        headers_[self.PAGINATION_HEADER_NAME] = json.dumps(metadata)
        link = headers.page_links(request.script_root + request.path, request.args, page_params.page_size, metadata)
        if link:
            headers_[headers.LINK] = link
        return result, headers_

    def _document_pagination_metadata(self, spec, resp_doc):
        super()._document_pagination_metadata(spec, resp_doc)
        resp_doc["headers"].update(headers.refs(headers.LINK))

    # --- Location and ETag -------------------------------------------------------------

    def location(self, build: Callable[[dict], str]):
        """Set ``Location`` on a 201 answer to ``build(body)``, the created resource's path
        (``url_for``), and document the header.

        Put it above ``@idempotent`` (so replays get it) and ``@blp.response``."""

        def decorator(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                response = current_app.make_response(func(*args, **kwargs))
                if response.status_code == 201:
                    response.headers[headers.LOCATION] = build(response.get_json())
                return response

            wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
            wrapper._apidoc.setdefault("csm_doc", {}).setdefault("success_headers", {}).update(headers.refs(headers.LOCATION))
            return wrapper

        return decorator

    def _check_not_modified(self, etag):
        """304 when ``If-None-Match`` names the tag (weak comparison, RFC 9110 13.1.2); the
        304 carries the ETag, as the 200 would have."""
        if request.method in self.METHODS_CHECKING_NOT_MODIFIED and request.if_none_match.contains_weak(etag):
            not_modified = NotModified()
            not_modified.data = {"headers": {"ETag": quote_etag(etag)}}
            raise not_modified

    # --- markers ---------------------------------------------------------------------------

    @staticmethod
    def _prepare_rate_limit_doc(doc, doc_info, **kwargs):
        """Every answer an operation documents in place lists the rate-limit headers (the
        shared answers, referred to by name, list them in core.app)."""
        for answer in doc.get("responses", {}).values():
            if isinstance(answer, dict):
                answer.setdefault("headers", {}).update(headers.refs(*headers.RATE_LIMIT_HEADERS))
        return doc

    @staticmethod
    def _prepare_marker_doc(doc, doc_info, **kwargs):
        marker = doc_info.get("csm_doc")
        if marker:
            doc.setdefault("parameters", []).extend(deepcopy(marker.get("parameters", [])))
            for code in doc_info.get("success_status_codes", []):
                doc["responses"][code].setdefault("headers", {}).update(deepcopy(marker.get("success_headers", {})))
            for code, extra in marker.get("answer_headers", {}).items():
                answer = doc.get("responses", {}).get(code, doc.get("responses", {}).get(str(code)))
                if isinstance(answer, dict):
                    answer.setdefault("headers", {}).update(deepcopy(extra))
        return doc
