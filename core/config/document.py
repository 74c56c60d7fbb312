"""The document around the sections: its header, and the format of stored documents.

A tenant document is a header (``version``, the syntax version tenants write, 1;
``industry``; ``source``) followed by named sections. The stored, resolved document adds
``format_version``: how it was written. Every format the code has ever written is read:
``migrate`` brings an older stored document to the current format before it is built,
step by step (``MIGRATIONS``), so a version stored years ago scores exactly as it did.
Alembic migrates stored rows forward too; this reader is what keeps an export archive or
a row the migration has not reached readable.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Mapping

from marshmallow import RAISE, Schema, fields, validate

from core.config.schema import Code, text_field
from core.config.sections.base import SectionRegistry

SYNTAX_VERSION = 1
FORMAT_VERSION = 2
HEADER = ("version", "industry", "source")
PROVENANCE = ("format_version", "template")  # written by the loader, never by tenants


def _format_1_to_2(document: dict) -> dict:
    """Format 1 (before sections were registered) held ``scales`` and ``indicator_set``
    at the top level, as format 2 does; every format-1 document is a valid format-2
    document, so the step only records the format."""
    return {**document, "format_version": 2}


MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _format_1_to_2}


class UnknownFormat(ValueError):
    """A stored document written by a newer CSM than this one."""


def format_of(document: Mapping) -> int:
    return int(document.get("format_version", 1))


def migrate(document: Mapping) -> dict:
    """The stored document in the current format (a copy; the input is not changed)."""
    out = dict(document)
    found = format_of(out)
    if found > FORMAT_VERSION:
        raise UnknownFormat(f"the stored configuration has format {found}; this CSM reads formats up to {FORMAT_VERSION}")
    while found < FORMAT_VERSION:
        out = MIGRATIONS[found](out)
        found = format_of(out)
    return out


@lru_cache(maxsize=32)
def document_schema(sections: SectionRegistry) -> Schema:
    """The marshmallow schema of a whole document: header fields plus every registered
    section; any other top-level key is refused (a typo never passes silently)."""
    members = {
        "version": fields.Integer(required=True, strict=True, validate=validate.Equal(SYNTAX_VERSION, error=f"only format version {SYNTAX_VERSION} is supported")),
        "industry": Code(load_default=None),
        "source": text_field(load_default=""),
    }
    for section in sections.sections:
        members[section.name] = section.field()
    schema_class = Schema.from_dict(members, name="ConfigDocumentSchema")
    return schema_class(unknown=RAISE)
