"""The types rule expressions are checked against, and how a section declares its variables.

CEL evaluates without coercion: ``0.5 * 3`` fails at run time because ``3`` is an int.
Checking every expression against declared types when a version is accepted turns such a
slip (and a misspelt attribute) into a validation error with its YAML path, instead of
an error on the first record that reaches it.

A declaration is a :class:`CelType` or one of the type names plugins already use for
function parameters (``core.model.registrations.VALUE_TYPES``: ``any``, ``bool``, ``int``,
``double``, ``string``, ``timestamp``, ``duration``, ``list``, ``map``). A *record* is a map
whose fields are known (``customer`` with its declared attributes): reading an undeclared
field of it is an error, and each field has its own type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Union

# kinds of CelType
SCALARS = ("bool", "int", "uint", "double", "string", "bytes", "timestamp", "duration", "null", "type")


@dataclass(frozen=True)
class CelType:
    """A CEL type: a scalar kind, ``list`` (of ``elem``), ``map`` (``key`` → ``elem``),
    ``record`` (known ``fields``) or ``dyn`` (anything, checked at run time)."""

    kind: str
    elem: "CelType | None" = None
    key: "CelType | None" = None
    fields: Mapping[str, "CelType"] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.kind == "list":
            return f"list({self.elem})"
        if self.kind == "map":
            return f"map({self.key}, {self.elem})"
        if self.kind == "record":
            return "record{" + ", ".join(f"{k}: {v}" for k, v in self.fields.items()) + "}"
        return self.kind

    def __hash__(self) -> int:  # fields is a mapping: hash what identifies the type
        return hash((self.kind, self.elem, self.key, tuple(sorted(self.fields.items(), key=lambda kv: kv[0]))))

    @property
    def is_dyn(self) -> bool:
        return self.kind == "dyn"

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "uint", "double")


BOOL = CelType("bool")
INT = CelType("int")
UINT = CelType("uint")
DOUBLE = CelType("double")
STRING = CelType("string")
BYTES = CelType("bytes")
TIMESTAMP = CelType("timestamp")
DURATION = CelType("duration")
NULL = CelType("null")
TYPE = CelType("type")
DYN = CelType("dyn")


def list_of(elem: "TypeDecl") -> CelType:
    return CelType("list", elem=as_type(elem))


def map_of(key: "TypeDecl", value: "TypeDecl") -> CelType:
    return CelType("map", key=as_type(key), elem=as_type(value))


def record(fields: Mapping[str, "TypeDecl"] | None = None, **more: "TypeDecl") -> CelType:
    """A map with known fields, e.g. ``record(contribution=DOUBLE, region=STRING)``."""
    return CelType("record", fields={name: as_type(t) for name, t in {**(fields or {}), **more}.items()})


_NAMED = {
    "any": DYN,
    "dyn": DYN,
    "bool": BOOL,
    "int": INT,
    "uint": UINT,
    "double": DOUBLE,
    "string": STRING,
    "bytes": BYTES,
    "timestamp": TIMESTAMP,
    "duration": DURATION,
    "list": CelType("list", elem=DYN),
    "map": CelType("map", key=DYN, elem=DYN),
}

TypeDecl = Union[CelType, str]


def as_type(decl: TypeDecl) -> CelType:
    """A declaration as a CelType; a name must be one of ``_NAMED`` (ValueError otherwise)."""
    if isinstance(decl, CelType):
        return decl
    if isinstance(decl, str) and decl in _NAMED:
        return _NAMED[decl]
    raise ValueError(f"unknown type {decl!r}; one of {', '.join(sorted(_NAMED))} or a CelType")


def assignable(value: CelType, to: CelType) -> bool:
    """Whether a value of type ``value`` may stand where ``to`` is expected (``dyn`` on
    either side is settled at run time; a record is a map of string keys)."""
    if value.is_dyn or to.is_dyn:
        return True
    if to.kind == "map" and value.kind == "record":
        return assignable(STRING, to.key) and all(assignable(t, to.elem) for t in value.fields.values())
    if value.kind != to.kind:
        return False
    if value.kind == "list":
        return assignable(value.elem, to.elem)
    if value.kind == "map":
        return assignable(value.key, to.key) and assignable(value.elem, to.elem)
    if value.kind == "record":
        return all(name in value.fields and assignable(value.fields[name], t) for name, t in to.fields.items())
    return True


def join(a: CelType, b: CelType) -> CelType:
    """The type of a value that is either ``a`` or ``b`` (the branches of ``c ? a : b``,
    the elements of a list literal): the common type, or ``dyn``."""
    if a == b:
        return a
    if a.kind == "null":
        return b
    if b.kind == "null":
        return a
    if a.kind == b.kind == "list":
        return list_of(join(a.elem, b.elem))
    if a.kind == b.kind == "map":
        return map_of(join(a.key, b.key), join(a.elem, b.elem))
    return DYN
