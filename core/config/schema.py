"""Field types every configuration section shares, and marshmallow's errors as paths.

Section schemas (``core.config.sections``) check types, required fields and unknown keys
with these fields; the domain model then checks the meaning (weights, references,
duplicates). Both report paths into the document. Numbers must be YAML numbers and
booleans YAML booleans: a quoted ``'0.5'`` is refused with the path, never coerced.
"""

from __future__ import annotations

import re

from marshmallow import RAISE, Schema, fields, validate

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


def text_field(**kw):
    return fields.String(validate=validate.Length(max=MAX_TEXT), **kw)


class Number(fields.Float):
    """A finite YAML number (int or float). Strings (``'0.5'``), booleans, NaN and
    infinities are refused rather than coerced."""

    default_error_messages = {"invalid": "must be a number", "quoted": "must be a number, not the text {value!r}{hint}", "special": "must be a finite number"}

    def __init__(self, **kwargs):
        super().__init__(allow_nan=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                raise self.make_error("invalid") from None
            hint = " (YAML reads an exponent without a sign as text: write 1.0e+3)" if re.search(r"\d[eE]\d", value) else " (remove the quotes)"
            raise self.make_error("quoted", value=value, hint=hint)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except OverflowError:  # an integer too large for a float
            raise self.make_error("special") from None


class Strict(Schema):
    class Meta:
        unknown = RAISE


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
