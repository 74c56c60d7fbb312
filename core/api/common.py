"""Fields and helpers every resource shares: the error shape, text and time fields, the
JSON parser and request-body readers. The Blueprint is in core.api.blueprint."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC

import flask
from flask import request
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, missing, validate
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

from core.api.errors import LOCATIONS, problem
from core.api.json_body import check_value_count, decode_text
from core.batch.limits import JSON_VALUES_PER_ITEM
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
# The same rules as the spec says them (a JSON Schema ``pattern``, ECMA-262 syntax), so a
# client or a fuzzer knows them before sending. Unpaired surrogates are left out: JSON
# text cannot carry them once decoded, and in ECMA-262's code-unit regexes a range of
# surrogates would also match every character outside the Basic Multilingual Plane.
LABEL_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
TEXT_PATTERN = r"^[^\x00]*$"


class Text(fields.String):
    """A string field that refuses what cannot be stored on both databases (NUL, unpaired
    surrogates) and, for one-line labels (``label=True``), control characters too. Without
    it such input passes validation and fails at the database as a 500."""

    def __init__(self, *args, label: bool = True, **kwargs):
        kwargs["metadata"] = {"pattern": LABEL_PATTERN if label else TEXT_PATTERN, **kwargs.get("metadata", {})}
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


# app.extensions key: (endpoint, METHOD) → the query parameter names the operation declares
# (filled by core.api.blueprint when the spec is built).
QUERY_NAMES = "csm_query_names"


_DECODED = "csm_json_body"
_DIGEST = "csm_body_sha256"


def body_digest(req) -> bytes:
    """SHA-256 of the request's body as received (what ``Idempotency-Key`` compares),
    also once ``request_json`` has let go of the bytes: it takes the digest first."""
    digest = req.__dict__.get(_DIGEST)
    if digest is None:
        req.__dict__[_DIGEST] = digest = hashlib.sha256(req.get_data(cache=True)).digest()
    return digest


def request_json(req):
    """The request's JSON body, decoded once per request by ``core.api.json_body`` with the
    app's value limit (JSON_VALUES_PER_ITEM per item of the largest batch, the setting
    CSM_MAX_BATCH), which bounds what decoding a body costs before anything is decoded.

    The raw bytes are let go once they are text and before the text is decoded (the
    request's cached copy too; a later ``get_data()`` sees an empty body, the decoded
    value stays here, and the body's digest for ``Idempotency-Key``): a body at the size limit then costs its text and what it decodes
    to, not also the bytes it came as (README, "What a JSON body may cost")."""
    if _DECODED in req.__dict__:
        return req.__dict__[_DECODED]
    batch = flask.current_app.extensions["csm"].settings["MAX_BATCH"]
    hint = f"{JSON_VALUES_PER_ITEM} per item of a batch of at most {batch:,} items, CSM_MAX_BATCH"
    body_digest(req)
    raw = req.get_data(cache=True)
    check_value_count(raw, batch * JSON_VALUES_PER_ITEM, hint)
    text = raw.decode("utf-8")
    del raw
    req._cached_data = b""
    req.__dict__[_DECODED] = value = decode_text(text)
    return value


class JsonBodyParser(FlaskParser):
    """webargs' Flask parser, decoding with ``request_json`` (finite
    numbers only, the value count bounded before decoding), and refusing JSON that
    Python's decoder gives up on with 400 (like any other malformed body) instead of an
    unhandled exception: nesting deeper than the interpreter's recursion limit, and
    integers of more than 4300 digits.

    It also refuses query parameters the operation does not declare (422 naming them), as
    bodies refuse unknown fields: ``?page_sise=5`` or ``?bye=segment`` must not silently
    return something else than what was asked. Each query schema only knows its own names
    (a listing's filters and its page parameters are parsed apart), so the check uses all
    the names the operation declares."""

    def _load_location_data(self, *, schema, req, location):
        data = super()._load_location_data(schema=schema, req=req, location=location)
        if location in ("query", "querystring"):
            declared = flask.current_app.extensions.get(QUERY_NAMES, {}).get((req.endpoint, req.method))
            unknown = sorted(set(req.args) - declared) if declared is not None else []
            if unknown:
                raise ValidationError({name: ["Unknown field."] for name in unknown})
        return data

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return missing
        try:
            return request_json(req)
        except json.JSONDecodeError:
            raise  # webargs turns these into 400 itself
        except RecursionError:
            abort(400, message="the JSON body is nested too deeply", errors=[problem("body", None, "nested too deeply")])
        except ValueError as exc:
            abort(400, message=f"the JSON body cannot be read: {exc}", errors=[problem("body", None, str(exc))])


class ErrorItemSchema(Schema):
    """One problem of a request, located (core.api.errors.LOCATIONS)."""

    location = fields.String(required=True, validate=validate.OneOf(list(LOCATIONS)), metadata={"description": "Where: " + "; ".join(f"`{k}`: {v}" for k, v in LOCATIONS.items()) + "."})
    field = fields.String(required=True, allow_none=True, metadata={"description": "The field, parameter, header, column or YAML path; null for the body, file or document as a whole."})
    line = fields.Integer(required=True, allow_none=True, metadata={"description": "`csv`: the file's 1-based line the row starts on; `yaml`: the document's line; else null."})
    index = fields.Integer(required=True, allow_none=True, metadata={"description": "`item`: the 0-based position of the item in the list (`csv`: of the data row, only when its line cannot be told); else null."})
    reason = fields.String(required=True, metadata={"description": "What is wrong."})


class ErrorSchema(Schema):
    """The one error shape (core.api.errors): every error answer of the API has it."""

    class Meta:
        description = (
            "Every error answer: `message` says what went wrong; `errors` lists each problem found in the request with where it is "
            "(`location`, and `field`, `line` or `index` as the location uses them) and why (`reason`); `total` counts them all. "
            "Batches: a CSV row is named by the file's `line`, a JSON item by its `index`; a configuration problem by its YAML path and line."
        )

    code = fields.Integer(required=True, metadata={"description": "The HTTP status."})
    status = fields.String(required=True, metadata={"description": "The status's name."})
    message = fields.String(required=True, metadata={"description": "What went wrong, in one sentence."})
    errors = fields.List(fields.Nested(ErrorItemSchema), required=True, metadata={"description": "Each problem found in the request, located; empty when the refusal is not about a part of it (a missing key, something not found, a conflict)."})
    total = fields.Integer(required=True, metadata={"description": "How many problems there are in all; `errors` lists at most the first 1,000 (batch) or 100 (configuration)."})


class JsonShape(Schema):
    """Describes JSON-ready data an operation already built (score results, catalogues,
    resolved configurations) and passes it through unchanged when dumping.

    Dumping through a schema would silently drop every key the schema does not list: the
    API would hide what the engine computed while the docs still looked right. Passed
    through, the answer is exactly what was computed, and tests/test_openapi_responses.py
    validates every answer against the spec with unlisted properties refused, so the
    description and the data cannot drift apart unnoticed.
    """

    def dump(self, obj, *, many=None):
        return obj


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
            abort(422, message=f"the JSON body must be an object with a string field {field!r}", errors=[problem("body", None, "must be an object")])
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
            items = [problem("body", name, reason) for name in sorted(problems) for reason in problems[name]]
            abort(422, message="the JSON body has problems: " + ", ".join(sorted(problems)), errors=items)
        return text, name
    raw = request.get_data(cache=False)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        abort(422, message=f"the body is not valid UTF-8 (byte {exc.start})", errors=[problem("body", None, f"not valid UTF-8 (byte {exc.start})")])


def _json_body():
    """The request's JSON body (``request_json``, as for every JSON body); 400 when it is not
    JSON at all (the same answer webargs gives)."""
    try:
        return request_json(request)
    except RecursionError:
        abort(400, message="the JSON body is nested too deeply", errors=[problem("body", None, "nested too deeply")])
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, over-long integers
        abort(400, message=f"Invalid JSON body: {exc}", errors=[problem("body", None, "Invalid JSON body.")])
