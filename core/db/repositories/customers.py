"""Customers, their grades per period and the service requests checked against them.

A customer is keyed by the tenant's own id (``customer_key``) and upserted: new ones
inserted, changed attributes replaced, identical ones left alone, so a batch sent twice
changes nothing. A grade is kept per (customer, period); grading a period again replaces
that period's grade and leaves the others as history. Rows are written with Core
executemany, never one ORM object per row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db.records import Customer, CustomerGrade, ServiceRequest
from core.db.repositories.keysets import chunks, insert_ignoring_conflicts, matches
from core.db.tables import CustomerGradeRow, CustomerRow, ServiceRequestRow
from core.db.tenancy import scoped
from core.rules.customers import period_start


def attributes_json(attributes: dict) -> str:
    """The one stored form of an attribute mapping (sorted keys: equal mappings are equal text)."""
    return json.dumps(attributes, sort_keys=True, ensure_ascii=False, allow_nan=False)


def to_customer(row: CustomerRow) -> Customer:
    return Customer(row.id, row.customer_key, json.loads(row.attributes), row.created_at, row.updated_at)


@dataclass
class CustomersUpserted:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: dict[str, int] = field(default_factory=dict)  # customer_key -> row id, every one given


@dataclass(frozen=True)
class RequestFilter:
    customer_id: str | None = None
    service: str | None = None
    outcome: str | None = None
    since: datetime | None = None  # requested_at >= since
    until: datetime | None = None  # requested_at < until


class CustomerRepository:
    def __init__(self, session: Session):
        self.session = session

    # -- customers -------------------------------------------------------------------

    def ids(self, tenant_id: int, keys: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in chunks(sorted(set(keys))):
            stmt = select(CustomerRow.customer_key, CustomerRow.id).where(scoped(self.session, CustomerRow.tenant_id, tenant_id), matches(self.session, CustomerRow.customer_key, chunk))
            found.update({k: v for k, v in self.session.execute(stmt)})
        return found

    def upsert(self, tenant_id: int, customers: Sequence[tuple[str, dict]], now: datetime) -> CustomersUpserted:
        """Store (customer_key, attributes) pairs: each replaces what was stored under its key."""
        done = CustomersUpserted()
        stored: dict[str, tuple[int, str]] = {}
        for chunk in chunks(sorted({k for k, _ in customers})):
            stmt = select(CustomerRow.customer_key, CustomerRow.id, CustomerRow.attributes).where(scoped(self.session, CustomerRow.tenant_id, tenant_id), matches(self.session, CustomerRow.customer_key, chunk))
            stored.update({k: (i, a) for k, i, a in self.session.execute(stmt)})
        new, changed = [], []
        for key, attributes in customers:
            text = attributes_json(attributes)
            old = stored.get(key)
            if old is None:
                new.append({"tenant_id": tenant_id, "customer_key": key, "attributes": text, "created_at": now, "updated_at": now})
            elif old[1] != text:
                changed.append({"row_id": old[0], "new_attributes": text, "now": now})
            else:
                done.unchanged += 1
        if new:
            self.session.execute(insert_ignoring_conflicts(self.session, CustomerRow.__table__), new)
        if changed:
            t = CustomerRow.__table__
            stmt = update(t).where(t.c.id == bindparam("row_id"), t.c.tenant_id == tenant_id).values(attributes=bindparam("new_attributes"), updated_at=bindparam("now"))
            self.session.connection().execute(stmt, changed)
        done.created, done.updated = len(new), len(changed)
        done.ids = {k: v[0] for k, v in stored.items()} | self.ids(tenant_id, [c["customer_key"] for c in new])
        return done

    def get(self, tenant_id: int, key: str) -> Customer | None:
        row = self.session.scalar(select(CustomerRow).where(scoped(self.session, CustomerRow.tenant_id, tenant_id), CustomerRow.customer_key == key))
        return None if row is None else to_customer(row)

    def by_keys(self, tenant_id: int, keys: Sequence[str]) -> list[Customer]:
        out: list[Customer] = []
        for chunk in chunks(sorted(set(keys))):
            stmt = select(CustomerRow).where(scoped(self.session, CustomerRow.tenant_id, tenant_id), matches(self.session, CustomerRow.customer_key, chunk))
            out.extend(to_customer(r) for r in self.session.scalars(stmt))
        return out

    def count(self, tenant_id: int) -> int:
        return int(self.session.scalar(select(func.count()).select_from(CustomerRow).where(scoped(self.session, CustomerRow.tenant_id, tenant_id))) or 0)

    def list_page(self, tenant_id: int, limit: int | None, offset: int = 0) -> list[Customer]:
        """Oldest stored first; ``limit`` None = all."""
        stmt = select(CustomerRow).where(scoped(self.session, CustomerRow.tenant_id, tenant_id)).order_by(CustomerRow.id).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [to_customer(r) for r in self.session.scalars(stmt)]

    # -- grades ----------------------------------------------------------------------

    def store_grades(self, tenant_id: int, period: str, grades: Sequence[dict]) -> None:
        """Each customer's grade for ``period`` (dicts with customer_id = row id, grade,
        score, inputs, config_version, graded_at), replacing that period's stored one
        (``ON CONFLICT DO UPDATE``: a concurrent grading of the same period is no error,
        the last one wins)."""
        if not grades:
            return
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(CustomerGradeRow.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["tenant_id", "customer_id", "period"],
            set_={c: stmt.excluded[c] for c in ("grade", "score", "inputs", "config_version", "graded_at")},
        )
        rows = [{**g, "tenant_id": tenant_id, "period": period, "inputs": attributes_json(g["inputs"])} for g in grades]
        for chunk in chunks(rows):
            self.session.execute(stmt, chunk)

    def history(self, tenant_id: int, customer_row_id: int | None = None) -> dict[int, list[CustomerGrade]]:
        """Every period's grade of one customer (None: of every customer), by customer
        row id, oldest period first."""
        stmt = (
            select(CustomerRow.customer_key, CustomerGradeRow)
            .join(CustomerRow, CustomerRow.id == CustomerGradeRow.customer_id)
            .where(scoped(self.session, CustomerGradeRow.tenant_id, tenant_id))
            .order_by(CustomerGradeRow.customer_id, CustomerGradeRow.period, CustomerGradeRow.id)
        )
        if customer_row_id is not None:
            stmt = stmt.where(CustomerGradeRow.customer_id == customer_row_id)
        out: dict[int, list[CustomerGrade]] = {}
        for key, g in self.session.execute(stmt):
            out.setdefault(g.customer_id, []).append(_grade(key, g))
        for history in out.values():  # by time, not by label text (2026-05 is after 2026-Q1)
            history.sort(key=lambda grade: period_start(grade.period))
        return out

    def current_grades(self, tenant_id: int, customer_row_ids: Sequence[int], period: str) -> dict[int, CustomerGrade]:
        """Each customer's grade in force in ``period``: that period's, else the one of
        the latest earlier period graded (a grade holds until the next evaluation)."""
        until = period_start(period)
        best: dict[int, tuple[tuple[int, int], int, CustomerGrade]] = {}
        for chunk in chunks(sorted(set(customer_row_ids))):
            stmt = (
                select(CustomerRow.customer_key, CustomerGradeRow)
                .join(CustomerRow, CustomerRow.id == CustomerGradeRow.customer_id)
                # every label starts with its year: later years cannot be in force
                .where(scoped(self.session, CustomerGradeRow.tenant_id, tenant_id), CustomerGradeRow.customer_id.in_(chunk), CustomerGradeRow.period < str(until[0] + 1))
            )
            for key, g in self.session.execute(stmt):
                start = period_start(g.period)
                if start <= until and (g.customer_id not in best or (start, g.id) > best[g.customer_id][:2]):
                    best[g.customer_id] = (start, g.id, _grade(key, g))  # the latest period wins, then the latest graded
        return {row_id: found[2] for row_id, found in best.items()}

    def count_grades(self, tenant_id: int) -> int:
        return int(self.session.scalar(select(func.count()).select_from(CustomerGradeRow).where(scoped(self.session, CustomerGradeRow.tenant_id, tenant_id))) or 0)

    # -- service requests ------------------------------------------------------------

    def record_request(self, tenant_id: int, values: dict) -> ServiceRequest:
        """Store one checked request (customer_id = row id); returns it as stored."""
        t = ServiceRequestRow.__table__
        row_id = self.session.execute(insert(t).values(tenant_id=tenant_id, **values).returning(t.c.id)).scalar_one()
        return self.requests(tenant_id, RequestFilter(), None, 0, row_ids=[row_id])[0]

    def _request_filter(self, tenant_id: int, f: RequestFilter) -> list:
        where = [scoped(self.session, ServiceRequestRow.tenant_id, tenant_id)]
        if f.customer_id is not None:
            where.append(CustomerRow.customer_key == f.customer_id)
        if f.service is not None:
            where.append(ServiceRequestRow.service == f.service)
        if f.outcome is not None:
            where.append(ServiceRequestRow.outcome == f.outcome)
        if f.since is not None:
            where.append(ServiceRequestRow.requested_at >= f.since)
        if f.until is not None:
            where.append(ServiceRequestRow.requested_at < f.until)
        return where

    def requests(self, tenant_id: int, f: RequestFilter, limit: int | None, offset: int = 0, row_ids: Sequence[int] | None = None) -> list[ServiceRequest]:
        """Checked requests, oldest request first (ties: as recorded)."""
        stmt = select(CustomerRow.customer_key, ServiceRequestRow).join(CustomerRow, CustomerRow.id == ServiceRequestRow.customer_id).where(*self._request_filter(tenant_id, f))
        if row_ids is not None:
            stmt = stmt.where(ServiceRequestRow.id.in_(list(row_ids)))
        stmt = stmt.order_by(ServiceRequestRow.requested_at, ServiceRequestRow.id).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [
            ServiceRequest(r.id, key, r.service, r.requested_at, r.outcome, r.grade, r.period, r.config_version, r.recorded_at)
            for key, r in self.session.execute(stmt)
        ]

    def count_requests(self, tenant_id: int, f: RequestFilter) -> int:
        stmt = select(func.count()).select_from(ServiceRequestRow).join(CustomerRow, CustomerRow.id == ServiceRequestRow.customer_id).where(*self._request_filter(tenant_id, f))
        return int(self.session.scalar(stmt) or 0)


def _grade(key: str, g: CustomerGradeRow) -> CustomerGrade:
    return CustomerGrade(key, g.period, g.grade, g.score, json.loads(g.inputs), g.config_version, g.graded_at)
