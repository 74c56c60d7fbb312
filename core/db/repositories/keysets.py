"""Two statements several repositories need: "which of these keys exist" in one query per
chunk, and an INSERT that skips rows a unique key already holds, on both databases."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ARRAY, String, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

# Well under SQLite's bound-parameter limit (32766).
CHUNK = 10_000


def chunks(values: Sequence, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def matches(session: Session, column, values: Sequence[str]) -> ColumnElement[bool]:
    """``column`` is one of ``values`` (text): one array parameter on PostgreSQL (one plan
    for any length), an IN list on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String())))
    return column.in_(list(values))


def insert_ignoring_conflicts(session: Session, table):
    """``INSERT ... ON CONFLICT DO NOTHING`` for ``table``: concurrent writers of the same
    unique key both succeed, one row stays."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()
