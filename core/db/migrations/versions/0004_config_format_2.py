"""Stored configuration documents carry their format: format 1 → format 2.

Format 2 is the sectioned document (``core.config.document``): every format-1 document is
a valid format-2 document, so this data migration only records ``format_version: 2`` in
each stored document; the reader migrates any document this has not reached in memory,
the same way. The step is written out here rather than imported, so this migration keeps
doing what it did when the code moves on. On PostgreSQL ``config_versions`` has forced
row-level security, which would hide every row from the owner running the migration;
it is lifted for the statement and forced again in the same transaction.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VERSIONS = sa.table("config_versions", sa.column("id", sa.Integer), sa.column("document", sa.Text))


def _rewrite(change) -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE config_versions NO FORCE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE config_versions DISABLE ROW LEVEL SECURITY")
    rows = bind.execute(sa.select(_VERSIONS.c.id, _VERSIONS.c.document)).all()
    for row_id, text in rows:
        document = json.loads(text)
        changed = change(document)
        if changed is not None:
            bind.execute(_VERSIONS.update().where(_VERSIONS.c.id == row_id).values(document=json.dumps(changed, ensure_ascii=False, sort_keys=True)))
    if postgres:
        op.execute("ALTER TABLE config_versions ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE config_versions FORCE ROW LEVEL SECURITY")


def _to_2(document: dict) -> dict | None:
    if document.get("format_version", 1) != 1:
        return None
    return {**document, "format_version": 2}


def _to_1(document: dict) -> dict | None:
    if document.get("format_version") != 2:
        return None
    return {k: v for k, v in document.items() if k != "format_version"}


def upgrade() -> None:
    _rewrite(_to_2)


def downgrade() -> None:
    _rewrite(_to_1)
