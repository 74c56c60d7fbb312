"""Schemas and helpers every resource shares: the error shape and request-body readers."""

from __future__ import annotations

from flask import request
from flask_smorest import abort
from marshmallow import Schema, fields

# Largest id or version number a request may name (the databases' 32-bit integer range).
MAX_ID = 2**31 - 1


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
    """
    endpoint, _, method = view.__qualname__.partition(".")
    responses = blp._docs[endpoint][method].setdefault("response", {}).setdefault("responses", {})
    for code in codes:
        entries = responses.setdefault(code, [])
        if not any(e.get("schema") is _ERROR_SCHEMA for e in entries):
            entries.append({"schema": _ERROR_SCHEMA, "description": ERROR_DESCRIPTIONS[code], "content_type": None})
    return view


_ERROR_SCHEMA = _ERROR_SCHEMA_INSTANCE


def body_text(field: str = "yaml") -> tuple[str, str | None]:
    """The request's document text: a raw body, or JSON ``{field: text, filename?}``.

    Returns (text, filename).
    """
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not isinstance(data.get(field), str):
            abort(422, message=f"the JSON body must be an object with a string field {field!r}", errors={field: ["required string"]})
        name = data.get("filename")
        return data[field], name if isinstance(name, str) else None
    raw = request.get_data(cache=False)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        abort(422, message=f"the body is not valid UTF-8 (byte {exc.start})")
