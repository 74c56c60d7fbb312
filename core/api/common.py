"""Schemas and helpers every resource shares: the error shape and request-body readers."""

from __future__ import annotations

import json
import re
from datetime import UTC

import flask
import flask_smorest
from flask import request
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

from core.batch.text import UNSTORABLE

# Largest id or version number a request may name (the databases' 32-bit integer range).
MAX_ID = 2**31 - 1
# Largest page number a listing accepts: beyond it the row offset would not fit the
# databases' 64-bit integers (and no tenant has that many pages).
MAX_PAGE = MAX_ID

# In a one-line label (a name), no character that cannot be stored (core.batch.text.UNSTORABLE)
# and no control character at all.
UNSTORABLE_IN_LABEL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
SURROGATE = re.compile(r"[\ud800-\udfff]")


class Text(fields.String):
    """A string field that refuses what cannot be stored on both databases (NUL, unpaired
    surrogates) and, for one-line labels (``label=True``), control characters too. Without
    it such input passes validation and fails at the database as a 500."""

    def __init__(self, *args, label: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self._pattern = UNSTORABLE_IN_LABEL if label else UNSTORABLE

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        found = self._pattern.search(text)
        if found:
            raise ValidationError(f"contains the character U+{ord(found.group()):04X} at position {found.start()}, which is not allowed here")
        return text


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 date-time, returned in UTC; a time without an offset is taken as UTC (as
    for collected_at). Refuses times that exist in their own offset but not in UTC (year
    10000), which would otherwise fail in the database."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(*args, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise ValidationError("must lie before the year 10000 in UTC") from None


class JsonBodyParser(FlaskParser):
    """webargs' Flask parser, refusing JSON that Python's decoder gives up on with 400 (like
    any other malformed body) instead of an unhandled exception: nesting deeper than the
    interpreter's recursion limit, and integers of more than 4300 digits."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # webargs turns these into 400 itself
        except RecursionError:
            abort(400, message="the JSON body is nested too deeply", errors={"json": ["nested too deeply"]})
        except ValueError as exc:
            abort(400, message=f"the JSON body cannot be read: {exc}", errors={"json": [str(exc)]})


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the parser above; every resource uses this one."""

    ARGUMENTS_PARSER = JsonBodyParser()


class ErrorSchema(Schema):
    """The one error shape: ``code``, ``status``, ``message`` and optional ``errors``."""

    code = fields.Integer()
    status = fields.String()
    message = fields.String()
    errors = fields.Raw(metadata={"description": "Details: a list of {path|row, field, message} or a mapping field → messages"})


AUTH_RESPONSES = {401: "Missing, invalid, revoked or expired API key."}
_ERROR_SCHEMA_INSTANCE = ErrorSchema()


ERROR_DESCRIPTIONS = {
    400: "Malformed request.",
    401: AUTH_RESPONSES[401],
    403: "The key may not do this.",
    404: "Not found in this tenant.",
    409: "Conflicts with stored data or with a request still in flight.",
    413: "Request body too large.",
    422: "Invalid input; `errors` names each bad field.",
    429: "Too many requests for this key; retry after `Retry-After` seconds.",
}


def document_errors(blp, view, *codes: int):
    """Document the shared error shape for the listed status codes of a MethodView method.

    flask-smorest copies a view's documentation when ``@blp.route`` registers the class, so
    this adds to the blueprint's stored copy (endpoint = the class name, as registered).
    Three codes are added wherever they can happen, so no view can forget them: 429 on every
    operation (each API call is rate limited, core.api.ratelimit), 413 on every operation
    that reads a request body, and 400 on those that read JSON (malformed JSON).
    """
    endpoint, _, method = view.__qualname__.partition(".")
    doc = blp._docs[endpoint][method]
    json_arguments = any(p.get("in") == "json" for p in doc.get("arguments", {}).get("parameters", []))
    manual_body = ((doc.get("manual_doc") or {}).get("requestBody") or {}).get("content", {})
    implied = [429]
    if json_arguments or manual_body:
        implied.append(413)
    if json_arguments or "application/json" in manual_body:
        implied.append(400)
    responses = doc.setdefault("response", {}).setdefault("responses", {})
    for code in sorted(set(codes) | set(implied)):
        entries = responses.setdefault(code, [])
        if not any(e.get("schema") is _ERROR_SCHEMA for e in entries):
            entries.append({"schema": _ERROR_SCHEMA, "description": ERROR_DESCRIPTIONS[code], "content_type": None})
    return view


_ERROR_SCHEMA = _ERROR_SCHEMA_INSTANCE


class _BodyOverLimit(LimitedStream):
    """A body without Content-Length (chunked), read up to MAX_CONTENT_LENGTH.

    Werkzeug's LimitedStream raises 413 only when a read starts past the maximum;
    ``readall()`` (what ``request.get_data()`` does) stops exactly at it and returns the
    first MAX_CONTENT_LENGTH bytes as if they were the whole body, so an over-long CSV
    would be stored cut short. This one looks one byte further and answers 413 instead.
    """

    def __init__(self, stream, limit: int):
        super().__init__(stream, limit, is_max=True)
        self._source = stream

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._source.read(1):
            raise RequestEntityTooLarge()
        return data


class BoundedRequest(flask.Request):
    """The app's request class: MAX_CONTENT_LENGTH holds for chunked bodies too, whoever
    reads them (get_data, get_json, webargs, the form parser)."""

    @cached_property
    def stream(self):
        limit = self.max_content_length
        if limit is not None and self.content_length is None and "wsgi.input_terminated" in self.environ and not self.shallow:
            return _BodyOverLimit(self.environ["wsgi.input"], limit)
        return get_input_stream(self.environ, max_content_length=limit)


def body_text(field: str = "yaml") -> tuple[str, str | None]:
    """The request's document text: a raw body, or JSON ``{field: text, filename?}``.

    Returns (text, filename). The JSON form is held to the same rules as every other JSON
    body: malformed → 400, any other member → 422 naming it, wrong types → 422.
    """
    if request.is_json:
        data = _json_body()
        if not isinstance(data, dict):
            abort(422, message=f"the JSON body must be an object with a string field {field!r}", errors={"json": {"_schema": ["must be an object"]}})
        problems: dict[str, list[str]] = {name: ["Unknown field."] for name in data if name not in (field, "filename")}
        if not isinstance(data.get(field), str):
            problems[field] = ["required string" if field not in data else "Not a valid string."]
        name = data.get("filename")
        if name is not None and not isinstance(name, str):
            problems["filename"] = ["Not a valid string."]
        elif isinstance(name, str) and (len(name) > 255 or UNSTORABLE_IN_LABEL.search(name)):
            problems["filename"] = ["at most 255 characters, no control characters"]
        text = data.get(field)
        if isinstance(text, str) and SURROGATE.search(text):  # (NUL and other control characters: the YAML reader)
            problems[field] = [r"contains an unpaired UTF-16 surrogate (\ud800-\udfff), which is not text"]
        if problems:
            abort(422, message="the JSON body has problems: " + ", ".join(sorted(problems)), errors={"json": problems})
        return text, name
    raw = request.get_data(cache=False)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        abort(422, message=f"the body is not valid UTF-8 (byte {exc.start})")


def _json_body():
    """The request's JSON body; 400 when it is not JSON at all (the same answer webargs gives)."""
    try:
        return json.loads(request.get_data(cache=True))
    except RecursionError:
        abort(400, message="the JSON body is nested too deeply", errors={"json": ["nested too deeply"]})
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, over-long integers
        abort(400, message=f"Invalid JSON body: {exc}", errors={"json": ["Invalid JSON body."]})


def page_window(pagination_parameters) -> tuple[int, int]:
    """(limit, offset) of a flask-smorest page; 422 naming ``page`` when the page number is
    so large the offset could not be given to the database."""
    if pagination_parameters.page > MAX_PAGE:
        abort(422, message=f"page must be at most {MAX_PAGE}", errors={"query": {"page": [f"Must be less than or equal to {MAX_PAGE}."]}})
    return pagination_parameters.page_size, pagination_parameters.first_item
