"""``Idempotency-Key``: a retried request runs once, and every retry gets the first answer.

Clients retry when an answer is lost (timeout, dropped connection) and cannot know
whether the first attempt was stored. With the same key and the same payload a retry is
answered with the stored result and stores nothing; the key then stays bound to that
payload (another payload with it is a client bug: 422).

The protocol, in three transactions, so that it holds under concurrency on both databases:

1. **Claim** (short, committed at once): purge the tenant's expired keys, then insert the
   key's row *in flight* (no status yet). Being committed before the work starts, the
   claim is visible to any concurrent retry, which finds the row and gets 409 (or the
   replay, once the first one is done). Two claims racing on one key cannot both insert:
   the insert is ``ON CONFLICT DO NOTHING`` on UNIQUE(tenant_id, key).
2. **Work**: the ingest runs in its own transaction, and the answer is written onto the
   claim *in that same transaction*, so rows and recorded answer commit together: a crash
   can leave neither rows without their answer nor an answer without its rows.
3. **Release** (only when the work failed): the transaction is rolled back and the claim
   deleted, so the retry runs again. Failed requests (4xx, 5xx) are not recorded on
   purpose: nothing was stored, and what made them fail (no configuration yet, a bad row,
   a response id stored by another request) may have changed by the retry.

A claim whose request died without releasing it (process killed) would block its key. So
each claim records its holder (``core.db.claim_holders``: an advisory lock on PostgreSQL,
the process identity on SQLite), and a retry that finds the holder gone takes the claim
over at once. When that cannot be told, a claim older than the lease
(``IDEMPOTENCY_LEASE_SECONDS``) is deemed abandoned and a retry takes it over. Should the
old request still be alive and finish after all, recording its answer updates no row (the
claim it holds is gone) and it rolls back: at most one of them ever commits.

Nothing here knows HTTP: the API maps the errors below to 409/422 and adds the headers.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.db import claim_holders
from core.db.base import utcnow
from core.db.repositories.idempotency import IdempotencyRecord, IdempotencyRepository
from core.db.tenancy import bind_tenant

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
KEY_PATTERN = f"^[\\x20-\\x7E]{{1,{MAX_KEY_LENGTH}}}$"
_KEY_RE = re.compile(f"[\\x20-\\x7E]{{1,{MAX_KEY_LENGTH}}}")
CLAIM_ATTEMPTS = 3


class IdempotencyError(Exception):
    """A request with an Idempotency-Key that cannot run now; ``status`` is the HTTP answer."""

    status = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidKey(IdempotencyError):
    status = 422


class KeyReused(IdempotencyError):
    """The key was first used with another payload."""

    status = 422


class InFlight(IdempotencyError):
    """The first request with this key is still running."""

    status = 409


class Superseded(IdempotencyError):
    """This request's claim was taken over by a retry after its lease ran out."""

    status = 409


def validate_key(value: str | None) -> str:
    """The key as sent, if it is 1-200 printable ASCII characters (space to ``~``)."""
    if value is None or not _KEY_RE.fullmatch(value):
        raise InvalidKey(f"{KEY_HEADER} must be 1-{MAX_KEY_LENGTH} printable ASCII characters")
    return value


def request_hash(*parts: str | bytes) -> str:
    """SHA-256 (hex) of the parts, each length-prefixed so no two part lists collide.

    The API hashes the endpoint, the parameters and the body bytes as received. The exact
    bytes, not a re-serialised canonical JSON: hashing the bytes costs a small fraction of
    sorting and re-encoding a large batch (figures in the README, "Storage and
    performance"), and a retry resends the same bytes anyway.
    """
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class Decision(enum.Enum):
    REPLAY = "replay"  # done: answer with the recorded result
    IN_FLIGHT = "in_flight"  # the first request is still running: 409
    MISMATCH = "mismatch"  # same key, another payload: 422
    TAKE_OVER = "take_over"  # expired, or an abandoned claim: delete it and claim afresh


def decide(existing: IdempotencyRecord, request_hash: str, now: datetime, lease: timedelta, holder_gone: bool | None = None) -> Decision:
    """What a request does about the key's existing row (pure; the protocol's core).

    An expired row no longer binds the key, whatever its payload. Otherwise another
    payload is refused even while the first is in flight, so the client learns of its bug
    at once rather than after a 409 and a retry. An in-flight claim whose holder is known
    to be gone (``holder_gone``) is taken over at once; one whose holder cannot be told
    (None) only after the lease.
    """
    if existing.expires_at <= now:
        return Decision.TAKE_OVER
    if existing.request_hash != request_hash:
        return Decision.MISMATCH
    if existing.status_code is not None:
        return Decision.REPLAY
    if holder_gone is True or existing.created_at <= now - lease:
        return Decision.TAKE_OVER
    return Decision.IN_FLIGHT


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: Any  # JSON-compatible
    replayed: bool


Work = Callable[[], tuple[int, Any]]


def run_once(
    session: Session,
    tenant_id: int,
    key: str,
    hashed: str,
    work: Work,
    *,
    ttl: timedelta,
    lease: timedelta,
    clock: Callable[[], datetime] = utcnow,
) -> Outcome:
    """Run ``work`` at most once per (tenant, key, payload hash) within ``ttl``.

    ``work`` runs in ``session`` and returns (status, JSON-compatible body) or raises; it
    must not commit. Any transaction the session has open is committed first (the caller
    should only have read in it, e.g. to authenticate), because the claim has to be
    committed on its own. The session is bound to ``tenant_id`` (``bind_tenant``), which
    sets the tenant for row-level security again in each of the transactions opened here.

    Raises KeyReused, InFlight or Superseded; re-raises whatever ``work`` raised, after
    releasing the claim.
    """
    repo = IdempotencyRepository(session)
    session.commit()
    holder = claim_holders.acquire(session, tenant_id, key)
    try:
        claim, done = _claim(session, repo, tenant_id, key, hashed, ttl, lease, clock, holder)
        if done is not None:
            return done
        try:
            status, body = work()
            if not repo.complete(tenant_id, *claim, status, json.dumps(body, ensure_ascii=False, separators=(",", ":"))):
                raise Superseded(f"this request took longer than the {KEY_HEADER} lease and a retry took its place; nothing of it was stored")
            session.commit()
        except BaseException:
            session.rollback()
            _release(session, repo, tenant_id, claim)
            raise
        return Outcome(status, body, replayed=False)
    finally:
        if holder is not None:
            holder.release()


def _claim(session, repo, tenant_id, key, hashed, ttl, lease, clock, holder) -> tuple[tuple[int, datetime] | None, Outcome | None]:
    """Commit an in-flight claim of ``key`` and return (its id, its instant), or the
    recorded outcome. ``holder`` is None when a live request holds the key (PostgreSQL's
    lock is taken): then the key's row is answered (replay, mismatch, in flight) but never
    taken over."""
    try:
        bind_tenant(session, tenant_id)
        now = clock()
        repo.purge_expired(tenant_id, now)
        for _ in range(CLAIM_ATTEMPTS):
            claim_id = repo.claim(tenant_id, key, hashed, now, now + ttl, holder=holder.token) if holder is not None else None
            if claim_id is not None:
                session.commit()
                return (claim_id, now), None
            existing = repo.get(tenant_id, key)
            if existing is None:  # released between our insert and read: claim again
                if holder is None:
                    break
                continue
            gone = claim_holders.holder_gone(existing.holder, holder) if holder is not None else False
            decision = decide(existing, hashed, now, lease, gone)
            if decision is Decision.TAKE_OVER and holder is None:
                decision = Decision.IN_FLIGHT
            if decision is not Decision.TAKE_OVER:
                session.commit()  # keep the purge
            if decision is Decision.MISMATCH:
                raise KeyReused(f"this {KEY_HEADER} was already used with a different payload; use a new key for a new request")
            if decision is Decision.IN_FLIGHT:
                raise InFlight(f"a request with this {KEY_HEADER} is still in progress; retry later for its result")
            if decision is Decision.REPLAY:
                return None, Outcome(existing.status_code, json.loads(existing.response_body or "null"), replayed=True)
            # TAKE_OVER. An in-flight claim is deleted only if still in flight: should its
            # request complete meanwhile, the next read finds the answer to replay.
            if existing.in_flight:
                repo.release(tenant_id, existing.id, existing.created_at)
            else:
                repo.delete(tenant_id, existing.id)
        raise InFlight(f"a request with this {KEY_HEADER} is still in progress; retry later for its result")
    except BaseException:
        session.rollback()
        raise


def _release(session: Session, repo: IdempotencyRepository, tenant_id: int, claim: tuple[int, datetime]) -> None:
    """Delete the claim after a failure, so a retry runs again. If even that fails (the
    database is gone), the claim stays until its lease runs out; the original error is
    what the caller needs to see, so this one is not raised over it."""
    try:
        repo.release(tenant_id, *claim)
        session.commit()
    except Exception:  # noqa: BLE001 - see docstring
        session.rollback()

