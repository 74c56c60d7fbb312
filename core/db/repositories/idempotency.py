"""Idempotency keys: claim one for a request, record the answer, replay it, release it.

The protocol these methods serve is in ``core.idempotency``; here are only the statements,
each scoped by tenant_id. The claim is an ``INSERT ... ON CONFLICT DO NOTHING`` (both
databases), so two concurrent claims of one key never both succeed and neither raises:
the loser gets None and reads the winner's row instead. Completing and releasing only
touch a row that is still in flight *and* was claimed at the given instant: a request
whose claim was taken over can tell (it updates nothing) and must not commit. The instant,
not the id alone, identifies a claim, because SQLite hands a deleted row's id to the next
insert when it was the highest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db.tables import IdempotencyKeyRow
from core.db.tenancy import scoped


@dataclass(frozen=True)
class IdempotencyRecord:
    id: int
    tenant_id: int
    key: str
    request_hash: str
    status_code: int | None  # None while the first request is in flight
    response_body: str | None
    created_at: datetime
    expires_at: datetime
    holder: str | None = None  # who holds an in-flight claim (core.db.claim_holders)

    @property
    def in_flight(self) -> bool:
        return self.status_code is None


def _record(row: IdempotencyKeyRow) -> IdempotencyRecord:
    return IdempotencyRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        key=row.key,
        request_hash=row.request_hash,
        status_code=row.status_code,
        response_body=row.response_body,
        created_at=row.created_at,
        expires_at=row.expires_at,
        holder=row.holder,
    )


class IdempotencyRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, tenant_id: int, key: str) -> IdempotencyRecord | None:
        row = self.session.scalar(
            select(IdempotencyKeyRow).where(self._tenant(tenant_id), IdempotencyKeyRow.key == key)
        )
        return _record(row) if row is not None else None

    def claim(self, tenant_id: int, key: str, request_hash: str, now: datetime, expires_at: datetime, holder: str | None = None) -> int | None:
        """Insert an in-flight row for ``key``; its id, or None when the key already exists.

        On PostgreSQL a concurrent, uncommitted claim of the same key makes this wait for
        that transaction, then yield None if it committed (claims commit at once, so the
        wait is short). On SQLite ``BEGIN IMMEDIATE`` already serialises the claims.
        """
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(IdempotencyKeyRow)
            .values(tenant_id=tenant_id, key=key, request_hash=request_hash, status_code=None, response_body=None, created_at=now, expires_at=expires_at, holder=holder)
            .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
            .returning(IdempotencyKeyRow.id)
        )
        return self.session.execute(stmt).scalar()

    def complete(self, tenant_id: int, claim_id: int, claimed_at: datetime, status_code: int, response_body: str) -> bool:
        """Record the answer on a claim still in flight; False if the claim is gone or done
        (taken over by a retry after its lease ran out), and then the caller must roll back."""
        result = self.session.execute(
            update(IdempotencyKeyRow)
            .where(*self._in_flight(tenant_id, claim_id, claimed_at))
            .values(status_code=status_code, response_body=response_body)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def release(self, tenant_id: int, claim_id: int, claimed_at: datetime) -> bool:
        """Delete a claim that is still in flight (its request failed, or it is abandoned)."""
        result = self.session.execute(
            delete(IdempotencyKeyRow)
            .where(*self._in_flight(tenant_id, claim_id, claimed_at))
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def _tenant(self, tenant_id: int):
        return scoped(self.session, IdempotencyKeyRow.tenant_id, tenant_id)

    def _in_flight(self, tenant_id: int, claim_id: int, claimed_at: datetime) -> tuple:
        return (
            IdempotencyKeyRow.id == claim_id,
            self._tenant(tenant_id),
            IdempotencyKeyRow.created_at == claimed_at,
            IdempotencyKeyRow.status_code.is_(None),
        )

    def delete(self, tenant_id: int, record_id: int) -> bool:
        result = self.session.execute(
            delete(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.id == record_id, self._tenant(tenant_id))
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def purge_expired(self, tenant_id: int, now: datetime) -> int:
        """Delete the tenant's keys whose time is up (done lazily, at the next claim).

        Best effort: on PostgreSQL rows another transaction holds are skipped (``SKIP
        LOCKED``), so concurrent claims never wait on each other's purge; the next claim
        gets them. (A claim that finds its own key expired deletes it itself.)
        """
        expired = (self._tenant(tenant_id), IdempotencyKeyRow.expires_at <= now)
        if self.session.get_bind().dialect.name == "postgresql":
            ids = select(IdempotencyKeyRow.id).where(*expired).with_for_update(skip_locked=True)
            expired = (IdempotencyKeyRow.id.in_(ids.scalar_subquery()),)
        result = self.session.execute(delete(IdempotencyKeyRow).where(*expired).execution_options(synchronize_session=False))
        return result.rowcount

    def count(self, tenant_id: int) -> int:
        return int(self.session.scalar(select(func.count()).select_from(IdempotencyKeyRow).where(self._tenant(tenant_id))) or 0)
