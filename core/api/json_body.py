"""Reading a JSON request body: finite numbers only, and a decode whose cost is known first.

Every JSON body the API reads goes through ``check_value_count`` and ``decode_text``, by
way of ``core.api.common.request_json`` (webargs' parser and the JSON form of the document
endpoints), so the rules below hold for every endpoint at once.

**Finite numbers.** Python's decoder accepts ``NaN``, ``Infinity`` and ``-Infinity``
(which JSON does not have) and reads ``1e400`` as infinity. None of them is a number a
survey answer, an attribute or any other field can mean, and once decoded they slip
through checks that expect numbers (an attribute ``NaN`` was stored as null, ``1e400`` as
the text "inf"). They are refused while decoding, with 422 naming each place
(``responses[0].attributes.seg``).

**Bounded decode.** Decoded, a JSON value costs a Python object: an empty object, 3
bytes of JSON, is a 64-byte dict plus its slot in a list, so 31 MiB of ``{},`` used to
cost some 720 MB before the batch was refused for its item count. The number of values
in a body is at most its commas plus its opening brackets plus one, which ``bytes.count``
finds at C speed before anything is decoded. Over the limit (``max_values``), the body is
refused with 422 when its strings alone show it holds too many values, or when the count
taken again with the strings blanked out (a comma in a text answer is no value) is still
over. A refusal costs the body and at most one copy of it; nothing is decoded.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask_smorest import abort

from core.api.errors import problem

# A JSON string (escapes included); blanked out to count the values outside strings.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Places listed in one refusal of non-finite numbers.
MAX_PLACES = 20


class _NonFinite(ValueError):
    """Raised by the decoder's hooks at the first non-finite number (the normal path
    never builds anything to find it: finding where it is happens only on refusal)."""


def _refuse_constant(name: str):
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400; NaN cannot be written as a number literal
        raise _NonFinite(text)
    return value


def value_bound(body: bytes) -> int:
    """At most how many values (objects, arrays, strings, numbers, literals) ``body``
    holds: every value but the first of an array or object follows a comma, and every
    first one follows an opening bracket (but for ``[]`` and ``{}``). Commas and brackets
    inside strings count too, so this can only be too high."""
    empty = body.count(b"[]") + body.count(b"{}")
    return body.count(b",") + body.count(b"[") + body.count(b"{") - empty + 1


def structure_in_strings(body: bytes, enough: int) -> int:
    """How much of ``value_bound`` comes from inside ``body``'s strings (commas and opening
    brackets, less the ``[]`` and ``{}`` pairs, that a comma in a text answer makes no
    value), stopping once ``enough`` is found: the body is then within the limit.

    One string at a time from the regular expression's scanner, so nothing is copied but
    the string in hand (blanking the strings with ``re.sub`` built a piece per string:
    some 80 MiB for 630,000 long keys); about 0.3 s per million strings, and only for a
    body whose plain count is over the limit. A bracket pair split by a quote is no pair
    in either count, so subtracting per string is exact."""
    found = 0
    for match in _STRING.finditer(body):
        text = match.group()
        if len(text) > 2:
            found += value_bound(text) - 1
            if found >= enough:
                break
    return found


def value_floor(body: bytes) -> int:
    """At least how many values ``body`` holds, from its strings: a string is a value or
    the key of one, and is delimited by two quotes that no backslash escapes."""
    return (body.count(b'"') - body.count(b'\\"')) // 4


def check_value_count(body: bytes, max_values: int, limit_hint: str = "") -> None:
    """Abort with 422 when ``body`` holds more than ``max_values`` values, before anything
    is decoded.

    Counting costs three passes of ``bytes.count`` when the body is within the limit.
    Over it, either its strings alone prove it too large, or what its strings hold of
    commas and brackets is taken off the count (``structure_in_strings``: nothing copied)."""
    bound = value_bound(body)
    if bound > max_values and (value_floor(body) > max_values or bound - structure_in_strings(body, bound - max_values) > max_values):
        abort(
            422,
            message=f"the JSON body holds more than {max_values:,} values (objects, arrays, strings, numbers), the most one request may hold"
            + (f" ({limit_hint})" if limit_hint else "") + ": send fewer items per request",
            errors=[problem("body", None, f"more than {max_values:,} values")],
        )


def decode_text(text: str) -> Any:
    """``text`` decoded as JSON, refusing non-finite numbers with 422 naming each place.
    Malformed JSON raises ``json.JSONDecodeError`` for the caller to answer 400."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NonFinite:
        _refuse_non_finite(text)


class _Found:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def _mark_float(text: str):
    value = float(text)
    return _Found(text) if math.isinf(value) else value


def _refuse_non_finite(text: str):
    """Decode again with the non-finite numbers marked, and refuse naming where they are."""
    places = non_finite_places(json.loads(text, parse_constant=_Found, parse_float=_mark_float))
    first, spelt = places[0]
    abort(
        422,
        message=f"the JSON body holds a number that is not finite: {first} is {spelt} (JSON numbers must be finite)",
        errors=[problem("body", place, f"{value} is not a finite number") for place, value in places],
    )


def non_finite_places(value: Any) -> list[tuple[str, str]]:
    """(path, spelling) of the first MAX_PLACES marked numbers, depth first in document
    order: ``responses[0].attributes.seg``; ``(body)`` for the body itself."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = [("", value)]
    while stack and len(found) < MAX_PLACES:
        path, node = stack.pop()
        if isinstance(node, _Found):
            found.append((path or "(body)", node.text))
        elif isinstance(node, dict):
            stack.extend((f"{path}.{key}" if path else str(key), child) for key, child in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", child) for i, child in reversed(list(enumerate(node))))
    return found
