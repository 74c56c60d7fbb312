"""The shape of a tenant configuration document, as marshmallow schemas.

These schemas check types, required fields and unknown keys; the domain model then checks
the meaning (weights, references, duplicates). Both report paths into the document.
"""

from __future__ import annotations

import re

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
MAX_TEXT = 2000


class Code(fields.Field):
    """An identifier: letters, digits, ``_ . -``; integers in YAML (``code: 1``) become text."""

    default_error_messages = {
        "invalid": "must be a code of letters, digits, '_', '.' or '-' (at most 64 characters, not starting with a symbol)",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.make_error("invalid")
        value = str(value)
        if not CODE_RE.match(value):
            raise self.make_error("invalid")
        return value


def _text(**kw):
    return fields.String(validate=validate.Length(max=MAX_TEXT), **kw)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class OptionSchema(_Strict):
    code = Code(required=True)
    label = _text(load_default="")
    label_zh = _text(load_default="")
    score = fields.Float(required=True, allow_nan=False)
    satisfied = fields.Boolean(load_default=False)
    source = _text(load_default="")


class ScaleSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(["ordinal", "numeric", "nps", "text"]))
    name = _text(load_default="")
    name_zh = _text(load_default="")
    options = fields.List(fields.Nested(OptionSchema), load_default=list, validate=validate.Length(max=100))
    min = fields.Float(load_default=None, allow_nan=False)
    max = fields.Float(load_default=None, allow_nan=False)
    source = _text(load_default="")


class NodeSchema(_Strict):
    code = Code(required=True)
    name = _text(load_default="")
    name_zh = _text(load_default="")
    weight = fields.Float(load_default=None, allow_nan=False)
    children = fields.List(fields.Nested(lambda: NodeSchema()), load_default=None, validate=validate.Length(min=1, max=500))
    scale = Code(load_default=None)
    question = _text(load_default="")
    question_zh = _text(load_default="")
    touchpoint = Code(load_default=None)
    reverse = fields.Boolean(load_default=False)
    source = _text(load_default="")


class OverrideSchema(_Strict):
    """Fields a tenant may change on a template node, addressed by the node's code."""

    name = _text()
    name_zh = _text()
    weight = fields.Float(allow_nan=False)
    scale = Code()
    question = _text()
    question_zh = _text()
    touchpoint = Code()
    reverse = fields.Boolean()


class IndicatorSetSchema(_Strict):
    code = Code(load_default=None)
    name = _text(load_default="")
    name_zh = _text(load_default="")
    template = Code(load_default=None)
    overrides = fields.Dict(keys=Code(), values=fields.Nested(OverrideSchema), load_default=dict)
    children = fields.List(fields.Nested(NodeSchema), load_default=None, validate=validate.Length(min=1, max=500))
    source = _text(load_default="")

    @validates_schema
    def _template_or_children(self, data, **kwargs):
        if data.get("template") and data.get("children") is not None:
            raise ValidationError("give either template (and overrides) or children, not both", "children")
        if not data.get("template") and data.get("children") is None:
            raise ValidationError("an indicator set needs children (or a template from the industry plugin)", "children")
        if data.get("overrides") and not data.get("template"):
            raise ValidationError("overrides apply to a template; edit the children directly instead", "overrides")
        if not data.get("template") and not data.get("code"):
            raise ValidationError("Missing data for required field.", "code")


class ConfigSchema(_Strict):
    version = fields.Integer(required=True, strict=True, validate=validate.Equal(1, error="only format version 1 is supported"))
    industry = Code(load_default=None)
    source = _text(load_default="")
    scales = fields.Dict(keys=Code(), values=fields.Nested(ScaleSchema), load_default=dict)
    indicator_set = fields.Nested(IndicatorSetSchema, required=True)


def flatten_messages(messages, prefix: tuple = ()) -> list[tuple[tuple, str]]:
    """Turn marshmallow's nested error dict into (path, message) pairs."""
    out: list[tuple[tuple, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                out.extend(flatten_messages(value, prefix))
            elif key == "value" and prefix and isinstance(value, (dict, list)) and _is_dict_value_error(messages):
                out.extend(flatten_messages(value, prefix))
            elif key == "key" and prefix and _is_dict_value_error(messages):
                out.extend((prefix, f"invalid key: {m}") for _, m in flatten_messages(value))
            else:
                out.extend(flatten_messages(value, prefix + (key,)))
    elif isinstance(messages, list):
        for m in messages:
            if isinstance(m, (dict, list)):
                out.extend(flatten_messages(m, prefix))
            else:
                out.append((prefix, _humanise(str(m))))
    else:
        out.append((prefix, _humanise(str(messages))))
    return out


def _is_dict_value_error(messages: dict) -> bool:
    return set(messages) <= {"key", "value"}


def _humanise(message: str) -> str:
    return {
        "Unknown field.": "unknown field",
        "Missing data for required field.": "required field is missing",
        "Not a valid number.": "must be a number",
        "Not a valid integer.": "must be an integer",
        "Not a valid string.": "must be a string",
        "Not a valid boolean.": "must be true or false",
        "Not a valid list.": "must be a list",
        "Invalid input type.": "must be a mapping",
        "Not a valid mapping type.": "must be a mapping",
        "Field may not be null.": "must not be empty (null)",
    }.get(message, message)
