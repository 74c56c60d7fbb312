"""Purchases: bulk ingest (all or nothing, idempotent) and listing.

A batch is checked whole by ``core.ingest.purchases`` (every problem by item index and
field) and stored only when every purchase passes: new purchase ids inserted, a stored id
posted with other values replaced (a correction), an identical one left alone, so a batch
sent twice stores nothing new. Purchases need no configuration: they are facts about the
customers, and the analyses (``loyalty``, ``customer_value``) read them as they stand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.batch import check_row_count
from core.db.base import utcnow
from core.db.records import Purchase
from core.db.repositories import PurchaseRepository
from core.ingest.purchases import WHAT, purchases_from_items


@dataclass(frozen=True)
class PurchaseIngestResult:
    accepted: int
    created: int
    updated: int
    unchanged: int


def ingest_purchases(session: Session, tenant_id: int, items: list, max_rows: int | None, now: datetime | None = None) -> PurchaseIngestResult:
    """Store a batch of purchases, all or nothing (``BatchError``: 422 per item and field)."""
    now = now or utcnow()
    check_row_count(len(items), max_rows, WHAT)
    return store_purchases(session, tenant_id, purchases_from_items(items, pd.Timestamp(now)), now)


def store_purchases(session: Session, tenant_id: int, frame: pd.DataFrame, now: datetime | None = None) -> PurchaseIngestResult:
    """Store purchases already checked (``core.ingest.purchases``: a frame with purchase ids)."""
    now = now or utcnow()
    spend = frame["category_spend"].to_numpy(dtype=float)
    rows = [
        {"purchase_id": k, "customer_id": c, "purchased_at": w, "amount": float(a), "category_spend": None if np.isnan(s) else float(s)}
        for k, c, w, a, s in zip(frame["purchase_id"].tolist(), frame["customer_id"].tolist(), frame["purchased_at"].dt.to_pydatetime(), frame["amount"].tolist(), spend)
    ]
    done = PurchaseRepository(session).upsert(tenant_id, rows, now)
    return PurchaseIngestResult(len(rows), done.created, done.updated, done.unchanged)


def list_purchases(session: Session, tenant_id: int, customer_id: str | None, limit: int, offset: int) -> tuple[list[Purchase], int]:
    """One page of the stored purchases (oldest first), and how many there are."""
    repo = PurchaseRepository(session)
    return repo.list_page(tenant_id, limit, offset, customer_id), repo.count(tenant_id, customer_id)
