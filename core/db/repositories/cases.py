"""Cases and their event logs: upserts from prepared batches, snapshots for evaluation.

Both kinds are upserts keyed by the tenant's own ids (a case by ``case_key``, an event by
``(case, event_key)``): new rows are inserted, changed ones updated, identical ones left
alone, so a batch sent twice changes nothing and a corrected event replaces the old one.
Inserts skip rows a concurrent request stored first (``ON CONFLICT DO NOTHING``). Rows are
written with Core executemany, never one ORM object per row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from core.alerts import CaseEvent, CaseSnapshot
from core.batch import PreparedRows, require
from core.db.base import utcnow
from core.db.records import Case, StoredEvent
from core.db.repositories.keysets import chunks, insert_ignoring_conflicts, matches
from core.db.tables import CaseEventRow, CaseRow
from core.db.tenancy import scoped

CASE_FIELDS = ("case_type", "customer_id", "touchpoint", "opened_at", "attributes")
EVENT_FIELDS = ("type", "at", "attributes")


@dataclass
class Upserted:
    """What an upsert did, and which cases it touched (their ids, to evaluate again)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    case_ids: set[int] = field(default_factory=set)


def _python(value):
    """A frame cell as the database layer takes it (Timestamp → datetime, NaT → None)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def to_case(row: CaseRow) -> Case:
    return Case(row.id, row.case_key, row.case_type, row.customer_id, row.touchpoint, row.opened_at, json.loads(row.attributes), row.created_at, row.updated_at, row.next_check_at)


class CaseRepository:
    def __init__(self, session: Session):
        self.session = session

    # -- writing ---------------------------------------------------------------------

    def ids(self, tenant_id: int, keys: list[str]) -> dict[str, int]:
        """case_key → id for the stored ones of ``keys``."""
        found: dict[str, int] = {}
        for chunk in chunks(sorted(set(keys))):
            stmt = select(CaseRow.case_key, CaseRow.id).where(scoped(self.session, CaseRow.tenant_id, tenant_id), matches(self.session, CaseRow.case_key, chunk))
            found.update({k: v for k, v in self.session.execute(stmt)})
        return found

    def ensure(self, tenant_id: int, keys: list[str]) -> dict[str, int]:
        """case_key → id for every key, creating a bare case for each one not stored yet
        (its events came first)."""
        found = self.ids(tenant_id, keys)
        missing = sorted(set(keys) - set(found))
        if missing:
            now = utcnow()
            self.session.execute(insert_ignoring_conflicts(self.session, CaseRow.__table__), [{"tenant_id": tenant_id, "case_key": k, "attributes": "{}", "created_at": now, "updated_at": now} for k in missing])
            found.update(self.ids(tenant_id, missing))
        return found

    def upsert(self, tenant_id: int, rows: PreparedRows) -> Upserted:
        """Store prepared cases: each replaces what was stored under its case_id."""
        frame = require(rows, "cases").frame
        done = Upserted()
        now = utcnow()
        values = [{name: _python(v) for name, v in zip(frame.columns, record)} for record in frame.itertuples(index=False, name=None)]
        stored = self._stored_cases(tenant_id, frame["case_key"].tolist())
        new = [v for v in values if v["case_key"] not in stored]
        if new:
            self.session.execute(insert_ignoring_conflicts(self.session, CaseRow.__table__), [{**v, "tenant_id": tenant_id, "created_at": now, "updated_at": now} for v in new])
        changed = []
        for v in values:
            old = stored.get(v["case_key"])
            if old is None:
                continue
            if tuple(v[f] for f in CASE_FIELDS) == old[1:]:
                done.unchanged += 1
                done.case_ids.add(old[0])
            else:
                changed.append({**{f"new_{f}": v[f] for f in CASE_FIELDS}, "row_id": old[0], "now": now})
        if changed:
            stmt = update(CaseRow.__table__).where(CaseRow.__table__.c.id == bindparam("row_id")).values({f: bindparam(f"new_{f}") for f in CASE_FIELDS} | {"updated_at": bindparam("now")})
            self.session.connection().execute(stmt, changed)
            done.case_ids.update(c["row_id"] for c in changed)
        done.updated = len(changed)
        done.created = len(new)
        done.case_ids.update(self.ids(tenant_id, [v["case_key"] for v in new]).values())
        return done

    def _stored_cases(self, tenant_id: int, keys: list[str]) -> dict[str, tuple]:
        found = {}
        for chunk in chunks(sorted(set(keys))):
            stmt = select(CaseRow.case_key, CaseRow.id, *(getattr(CaseRow, f) for f in CASE_FIELDS)).where(scoped(self.session, CaseRow.tenant_id, tenant_id), matches(self.session, CaseRow.case_key, chunk))
            found.update({r[0]: tuple(r[1:]) for r in self.session.execute(stmt)})
        return found

    def upsert_events(self, tenant_id: int, rows: PreparedRows) -> Upserted:
        """Store prepared events: new keys inserted, a changed event under a stored key
        replaced (a correction), identical ones left alone."""
        frame = require(rows, "events").frame
        done = Upserted()
        now = utcnow()
        case_ids = self.ensure(tenant_id, frame["case_key"].tolist())
        values = [{name: _python(v) for name, v in zip(frame.columns, record)} for record in frame.itertuples(index=False, name=None)]
        for v in values:
            v["case_id"] = case_ids[v.pop("case_key")]
        stored = self._stored_events(tenant_id, sorted(set(case_ids.values())))
        new, changed = [], []
        for v in values:
            old = stored.get((v["case_id"], v["event_key"]))
            if old is None:
                new.append({**v, "tenant_id": tenant_id, "created_at": now, "updated_at": now})
            elif (v["type"], v["at"], v["attributes"]) != old[1:]:
                changed.append({"row_id": old[0], "new_type": v["type"], "new_at": v["at"], "new_attributes": v["attributes"], "now": now})
            else:
                done.unchanged += 1
        if new:
            self.session.execute(insert_ignoring_conflicts(self.session, CaseEventRow.__table__), new)
        if changed:
            stmt = update(CaseEventRow.__table__).where(CaseEventRow.__table__.c.id == bindparam("row_id")).values({f: bindparam(f"new_{f}") for f in EVENT_FIELDS} | {"updated_at": bindparam("now")})
            self.session.connection().execute(stmt, changed)
        done.created, done.updated = len(new), len(changed)
        done.case_ids = set(case_ids.values())
        return done

    def _stored_events(self, tenant_id: int, case_ids: list[int]) -> dict[tuple[int, str], tuple]:
        found = {}
        for chunk in chunks(case_ids):
            stmt = select(CaseEventRow.case_id, CaseEventRow.event_key, CaseEventRow.id, CaseEventRow.type, CaseEventRow.at, CaseEventRow.attributes).where(
                scoped(self.session, CaseEventRow.tenant_id, tenant_id), CaseEventRow.case_id.in_(chunk)
            )
            found.update({(r[0], r[1]): tuple(r[2:]) for r in self.session.execute(stmt)})
        return found

    def set_next_checks(self, tenant_id: int, next_checks: dict[int, datetime | None]) -> None:
        """When each case needs evaluating again without a new event (None: never)."""
        if not next_checks:
            return
        stmt = update(CaseRow.__table__).where(CaseRow.__table__.c.id == bindparam("row_id"), CaseRow.__table__.c.tenant_id == tenant_id).values(next_check_at=bindparam("due"))
        self.session.connection().execute(stmt, [{"row_id": k, "due": v} for k, v in next_checks.items()])

    # -- reading ---------------------------------------------------------------------

    def due(self, tenant_id: int, now: datetime, limit: int) -> list[int]:
        """Ids of the cases whose next check has come, earliest first."""
        stmt = (
            select(CaseRow.id)
            .where(scoped(self.session, CaseRow.tenant_id, tenant_id), CaseRow.next_check_at <= now)
            .order_by(CaseRow.next_check_at, CaseRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def all_ids(self, tenant_id: int) -> list[int]:
        """Ids of every case of the tenant, oldest stored first."""
        return list(self.session.scalars(select(CaseRow.id).where(scoped(self.session, CaseRow.tenant_id, tenant_id)).order_by(CaseRow.id)))

    def snapshots(self, tenant_id: int, case_ids: list[int]) -> dict[int, CaseSnapshot]:
        """Each case with its whole log, events oldest first (ties: as stored)."""
        cases: dict[int, CaseRow] = {}
        events: dict[int, list[CaseEvent]] = {}
        for chunk in chunks(sorted(case_ids)):
            cases.update({r.id: r for r in self.session.scalars(select(CaseRow).where(scoped(self.session, CaseRow.tenant_id, tenant_id), CaseRow.id.in_(chunk)))})
            stmt = (
                select(CaseEventRow.case_id, CaseEventRow.type, CaseEventRow.at, CaseEventRow.attributes)
                .where(scoped(self.session, CaseEventRow.tenant_id, tenant_id), CaseEventRow.case_id.in_(chunk))
                .order_by(CaseEventRow.case_id, CaseEventRow.at, CaseEventRow.id)
            )
            for case_id, type_, at, attributes in self.session.execute(stmt):
                events.setdefault(case_id, []).append(CaseEvent(type_, at, json.loads(attributes)))
        return {
            i: CaseSnapshot(r.case_key, r.case_type, r.customer_id, r.touchpoint, r.opened_at, json.loads(r.attributes), tuple(events.get(i, ())))
            for i, r in cases.items()
        }

    def get(self, tenant_id: int, case_key: str) -> Case | None:
        row = self.session.scalar(select(CaseRow).where(scoped(self.session, CaseRow.tenant_id, tenant_id), CaseRow.case_key == case_key))
        return None if row is None else to_case(row)

    def events(self, tenant_id: int, case_row_id: int) -> list[StoredEvent]:
        stmt = (
            select(CaseEventRow)
            .where(scoped(self.session, CaseEventRow.tenant_id, tenant_id), CaseEventRow.case_id == case_row_id)
            .order_by(CaseEventRow.at, CaseEventRow.id)
        )
        return [StoredEvent(r.event_key, r.type, r.at, json.loads(r.attributes), r.updated_at) for r in self.session.scalars(stmt)]

    def count(self, tenant_id: int) -> int:
        return int(self.session.scalar(select(func.count()).select_from(CaseRow).where(scoped(self.session, CaseRow.tenant_id, tenant_id))) or 0)

    def list_page(self, tenant_id: int, limit: int | None, offset: int = 0) -> list[Case]:
        """Oldest stored first; ``limit`` None = all."""
        stmt = select(CaseRow).where(scoped(self.session, CaseRow.tenant_id, tenant_id)).order_by(CaseRow.id).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [to_case(r) for r in self.session.scalars(stmt)]
