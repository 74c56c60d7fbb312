"""Purchase records, keyed by the tenant's own purchase id and upserted.

A batch's purchases are compared with the stored ones of the same ids: new ones are
inserted, changed ones replaced (a correction), identical ones left alone, so a batch
sent twice changes nothing. Rows are written with Core executemany, never one ORM object
per row; the analyses read them back as one frame (``frame``), not as records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from core.db.records import Purchase
from core.db.repositories.keysets import chunks, insert_ignoring_conflicts, matches
from core.db.tables import PurchaseRow
from core.db.tenancy import scoped

FRAME_COLUMNS = ("customer_id", "purchased_at", "amount", "category_spend")


@dataclass
class PurchasesUpserted:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == b or (math.isnan(a) and math.isnan(b))


def _to_purchase(row: PurchaseRow) -> Purchase:
    return Purchase(row.purchase_key, row.customer_id, row.purchased_at, row.amount, row.category_spend, row.recorded_at)


class PurchaseRepository:
    def __init__(self, session: Session):
        self.session = session

    def upsert(self, tenant_id: int, rows: list[dict], now: datetime) -> PurchasesUpserted:
        """Store purchases (dicts with purchase_id, customer_id, purchased_at, amount,
        category_spend None or a number): each replaces what was stored under its id."""
        done = PurchasesUpserted()
        stored: dict[str, tuple] = {}
        t = PurchaseRow.__table__
        for chunk in chunks(sorted({r["purchase_id"] for r in rows})):
            stmt = select(t.c.purchase_key, t.c.id, t.c.customer_id, t.c.purchased_at, t.c.amount, t.c.category_spend).where(scoped(self.session, t.c.tenant_id, tenant_id), matches(self.session, t.c.purchase_key, chunk))
            stored.update({r[0]: r[1:] for r in self.session.execute(stmt)})
        new, changed = [], []
        for r in rows:
            values = {"customer_id": r["customer_id"], "purchased_at": r["purchased_at"], "amount": r["amount"], "category_spend": r["category_spend"]}
            old = stored.get(r["purchase_id"])
            if old is None:
                new.append({"tenant_id": tenant_id, "purchase_key": r["purchase_id"], **values, "recorded_at": now})
            elif (old[1], old[2], old[3]) == (values["customer_id"], values["purchased_at"], values["amount"]) and _same(old[4], values["category_spend"]):
                done.unchanged += 1
            else:
                changed.append({"row_id": old[0], **{f"new_{k}": v for k, v in values.items()}, "now": now})
        if new:
            for chunk in chunks(new):
                self.session.execute(insert_ignoring_conflicts(self.session, t), chunk)
        if changed:
            stmt = update(t).where(t.c.id == bindparam("row_id"), t.c.tenant_id == tenant_id).values(
                **{k: bindparam(f"new_{k}") for k in FRAME_COLUMNS}, recorded_at=bindparam("now")
            )
            self.session.connection().execute(stmt, changed)
        done.created, done.updated = len(new), len(changed)
        return done

    def list_page(self, tenant_id: int, limit: int | None, offset: int = 0, customer_id: str | None = None) -> list[Purchase]:
        """Oldest purchase first (then by id); ``limit`` None = all."""
        stmt = select(PurchaseRow).where(scoped(self.session, PurchaseRow.tenant_id, tenant_id))
        if customer_id is not None:
            stmt = stmt.where(PurchaseRow.customer_id == customer_id)
        stmt = stmt.order_by(PurchaseRow.purchased_at, PurchaseRow.id).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_to_purchase(r) for r in self.session.scalars(stmt)]

    def count(self, tenant_id: int, customer_id: str | None = None) -> int:
        stmt = select(func.count()).select_from(PurchaseRow).where(scoped(self.session, PurchaseRow.tenant_id, tenant_id))
        if customer_id is not None:
            stmt = stmt.where(PurchaseRow.customer_id == customer_id)
        return int(self.session.scalar(stmt) or 0)

    def frame(self, tenant_id: int, start: datetime | None = None, end: datetime | None = None) -> pd.DataFrame:
        """The purchases made in ``[start, end)`` as one frame of customer_id,
        purchased_at (UTC), amount, category_spend (NaN when not given): what the
        loyalty and customer-value analyses take."""
        t = PurchaseRow.__table__
        stmt = select(t.c.customer_id, t.c.purchased_at, t.c.amount, t.c.category_spend).where(scoped(self.session, t.c.tenant_id, tenant_id))
        if start is not None:
            stmt = stmt.where(t.c.purchased_at >= start)
        if end is not None:
            stmt = stmt.where(t.c.purchased_at < end)
        rows = self.session.execute(stmt.order_by(t.c.purchased_at, t.c.id)).all()
        frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
        frame["purchased_at"] = pd.to_datetime(frame["purchased_at"], utc=True)
        frame["amount"] = frame["amount"].astype(float)
        frame["category_spend"] = pd.to_numeric(frame["category_spend"], errors="coerce").astype(float)
        return frame

    def delete_customer(self, tenant_id: int, customer_id: str) -> int:
        """Delete every purchase of one customer; returns how many."""
        deleted = self.session.execute(
            delete(PurchaseRow)
            .where(scoped(self.session, PurchaseRow.tenant_id, tenant_id), PurchaseRow.customer_id == customer_id)
            .returning(PurchaseRow.id)
            .execution_options(synchronize_session=False)
        ).scalars().all()
        return len(deleted)
