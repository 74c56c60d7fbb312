"""The answer store's table: one row per ingest batch holding its answers as column arrays.

``add`` is called by ``ResponseRepository.insert_many`` inside the savepoint that writes
the batch's responses, so rows and block commit together or not at all. Reads stream the
blocks of one (tenant, version) in id order, a few at a time, skipping those whose
collection times lie outside ``[start, end)``. Erasing responses rewrites the blocks that
held them (``remove_rows``); ``rebuild`` builds blocks from stored responses (migration
0007, and any time a tenant's blocks must be rebuilt from the JSON source).

Every function works on a ``Connection`` too, so the migration can use them on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import Connection, String, delete, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.repositories.response_frames import json_frame, parse_timestamps, require_aware
from core.db.tables import AnswerBlockRow, ConfigVersionRow, ResponseRow
from core.db.tenancy import scoped
from core.model import IndicatorSet
from core.store import AnswerColumns, decode, encode
from core.store.columns import build

# Blocks fetched per round trip while streaming (a block of 10,000 rows × 20 questions is
# about 300 kB): bounds what a read holds besides the arrays it gathers.
FETCH_BLOCKS = 8
# Responses per block when blocks are built from stored rows (as one ingest batch).
REBUILD_ROWS = 10_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class AnswerBlockRepository:
    def __init__(self, session: Session):
        self.session = session

    def _connection(self) -> Connection:
        return self.session.connection()

    def _scope(self, tenant_id: int):
        return scoped(self.session, AnswerBlockRow.tenant_id, tenant_id)

    # -- writing ---------------------------------------------------------------------

    def add(self, tenant_id: int, config_version_id: int, version: int, columns: AnswerColumns) -> int | None:
        """Store one block (its rows have ids); returns its id, None for an empty block."""
        return add_block(self._connection(), tenant_id, config_version_id, version, columns)

    def remove_rows(self, tenant_id: int, ids) -> int:
        """Rewrite every block holding any of the response ``ids`` without those rows (a
        block left empty is deleted). Each rewritten block gets a new id, so the ingest
        watermark moves and cached answers over it are not served again. Returns the
        number of blocks rewritten."""
        ids = np.unique(np.asarray(list(ids), dtype=np.int64))
        if not len(ids):
            return 0
        rows = self.session.execute(
            select(AnswerBlockRow.id, AnswerBlockRow.config_version_id, AnswerBlockRow.version, AnswerBlockRow.payload).where(
                self._scope(tenant_id), AnswerBlockRow.first_id <= int(ids[-1]), AnswerBlockRow.last_id >= int(ids[0])
            ).order_by(AnswerBlockRow.id)
        ).all()
        rewritten = 0
        for block_id, config_version_id, version, payload in rows:
            view = decode(payload)
            hit = np.isin(view.ids, ids)
            if not hit.any():
                continue
            kept = view.columns().take(~hit)
            self.session.execute(delete(AnswerBlockRow).where(self._scope(tenant_id), AnswerBlockRow.id == block_id))
            self.add(tenant_id, config_version_id, version, kept)
            rewritten += 1
        return rewritten

    def rebuild(self, tenant_id: int, version: int, iset: IndicatorSet) -> int:
        """Replace the blocks of one version by blocks built from its stored responses."""
        self.session.execute(delete(AnswerBlockRow).where(self._scope(tenant_id), AnswerBlockRow.version == version))
        return build_blocks(self._connection(), tenant_id, version, iset, self.session)

    # -- reading ---------------------------------------------------------------------

    def payloads(self, tenant_id: int, version: int, start: datetime | None = None, end: datetime | None = None) -> Iterator[bytes]:
        """The payloads of one version's blocks that may hold responses collected in
        ``[start, end)``, streamed FETCH_BLOCKS at a time, in id order."""
        stmt = select(AnswerBlockRow.payload).where(self._scope(tenant_id), AnswerBlockRow.version == version)
        if start is not None:
            stmt = stmt.where(AnswerBlockRow.last_at >= require_aware(start))
        if end is not None:
            stmt = stmt.where(AnswerBlockRow.first_at < require_aware(end))
        result = self.session.execute(stmt.order_by(AnswerBlockRow.id).execution_options(yield_per=FETCH_BLOCKS))
        for (payload,) in result:
            yield payload

    def watermark(self, tenant_id: int, version: int | None = None) -> tuple[int, int, int, int]:
        """What changes whenever an answer a score could read changes: (newest config
        version number, blocks, newest block id, rows), over one version's blocks or, with
        ``version`` None, over all of the tenant's. Ingest adds a block, erasure rewrites
        blocks under new ids, an upload adds a version."""
        stmt = select(func.count(), func.coalesce(func.max(AnswerBlockRow.id), 0), func.coalesce(func.sum(AnswerBlockRow.rows), 0)).where(self._scope(tenant_id))
        if version is not None:
            stmt = stmt.where(AnswerBlockRow.version == version)
        blocks, newest, rows = self.session.execute(stmt).one()
        latest = self.session.scalar(
            select(func.coalesce(func.max(ConfigVersionRow.version), 0)).where(scoped(self.session, ConfigVersionRow.tenant_id, tenant_id))
        )
        return int(latest), int(blocks), int(newest), int(rows)

    def count_rows(self, tenant_id: int, version: int | None = None) -> int:
        stmt = select(func.coalesce(func.sum(AnswerBlockRow.rows), 0)).where(self._scope(tenant_id))
        if version is not None:
            stmt = stmt.where(AnswerBlockRow.version == version)
        return int(self.session.scalar(stmt))


def add_block(connection: Connection, tenant_id: int, config_version_id: int, version: int, columns: AnswerColumns) -> int | None:
    if columns.n == 0:
        return None
    if columns.ids is None:
        raise ValueError("a block is stored once its responses have ids")
    result = connection.execute(
        insert(AnswerBlockRow.__table__).returning(AnswerBlockRow.__table__.c.id),
        {
            "tenant_id": tenant_id,
            "config_version_id": config_version_id,
            "version": version,
            "rows": columns.n,
            "first_id": int(columns.ids.min()),
            "last_id": int(columns.ids.max()),
            "first_at": _moment(columns.collected_at.min()),
            "last_at": _moment(columns.collected_at.max()),
            "payload": encode(columns),
            "created_at": utcnow(),
        },
    )
    return int(result.scalar_one())


def build_blocks(connection: Connection, tenant_id: int, version: int, iset: IndicatorSet, session: Session | None = None) -> int:
    """Blocks of REBUILD_ROWS responses, in id order, from one version's stored rows (the
    JSON columns); returns how many were written. The application filter applies when a
    session is given; the migration passes none and relies on the tenant it binds."""
    owner = ResponseRow.tenant_id == tenant_id if session is None else scoped(session, ResponseRow.tenant_id, tenant_id)
    raw_time = type_coerce(ResponseRow.collected_at, String)
    written, after = 0, 0
    while True:
        rows = connection.execute(
            select(ResponseRow.id, ResponseRow.config_version_id, ResponseRow.customer_id, ResponseRow.touchpoint, raw_time, ResponseRow.attributes, ResponseRow.answers)
            .where(owner, ResponseRow.version == version, ResponseRow.id > after)
            .order_by(ResponseRow.id)
            .limit(REBUILD_ROWS)
        ).all()
        if not rows:
            return written
        ids, config_ids, customers, touchpoints, times, attributes, answers = zip(*rows)
        collected = parse_timestamps(times, connection.dialect.name)
        columns = build(collected, touchpoints, customers, json_frame(attributes, len(rows)), json_frame(answers, len(rows)), iset)
        add_block(connection, tenant_id, int(config_ids[0]), version, columns.with_ids(ids))
        written += 1
        after = int(ids[-1])


def _moment(us: np.integer) -> datetime:
    return EPOCH + timedelta(microseconds=int(us))
