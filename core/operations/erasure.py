"""Erasure: delete a tenant and everything it owns, irreversibly."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from core.db.records import Tenant
from core.db.repositories import PurchaseRepository, ResponseRepository, TenantRepository
from core.operations import audit
from core.operations.base import Actor, NotFound

# Tenant deletions are logged here: the tenant's own audit table is deleted with it.
erasure_log = logging.getLogger("csm.erasure")


class ConfirmationMismatch(ValueError):
    """A tenant deletion was not confirmed with that tenant's slug."""


@dataclass(frozen=True)
class TenantDeletion:
    tenant: Tenant
    rows: dict[str, int]  # rows deleted with the tenant, per tenant-scoped table


def delete_tenant(session: Session, tenant_id: int, confirm: str, actor: Actor) -> TenantDeletion:
    """Delete a tenant and everything it owns, once ``confirm`` equals its slug.

    One ``DELETE`` of the tenants row; ON DELETE CASCADE removes its keys, configuration
    versions, responses, audit events and idempotency keys in the same statement (on both
    databases, whatever order the cascades run in: ``responses.config_version_id`` is
    checked at the end of the statement). The audit log goes with the tenant, so the
    deletion is logged on the ``csm.erasure`` logger instead, once the transaction commits:
    who, which tenant, and how many rows of each table. Raises NotFound or
    ConfirmationMismatch, and nothing is deleted then.
    """
    repo = TenantRepository(session)
    tenant = repo.get(tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found")
    if confirm != tenant.slug:
        raise ConfirmationMismatch("to delete the tenant and all its data, `confirm` must be the tenant's slug")
    rows = repo.owned_row_counts(tenant_id)
    repo.delete(tenant_id)
    counts = ", ".join(f"{table}={n}" for table, n in rows.items())
    _log_on_commit(session, "tenant %r (id %d) deleted by %s; rows deleted: %s", tenant.slug, tenant.id, actor.label, counts)
    return TenantDeletion(tenant=tenant, rows=rows)


@dataclass(frozen=True)
class CustomerErasure:
    responses: int
    purchases: int


def erase_customer(session: Session, tenant_id: int, customer_id: str, actor: Actor) -> CustomerErasure:
    """Erase one customer's records: every response of the tenant carrying
    ``customer_id``, and their rows in the answer store (the blocks holding them are
    rewritten without them, their customer id gone from the blocks' dictionaries), and
    every purchase record of that customer. Audited in the same transaction as
    ``responses.erase_customer`` with the counts; the audit log names the customer only by
    a SHA-256 digest, so the log does not keep what was erased. Returns the counts (0
    when the tenant has no such customer)."""
    removed = ResponseRepository(session).delete_customer(tenant_id, customer_id)
    purchases = PurchaseRepository(session).delete_customer(tenant_id, customer_id)
    digest = hashlib.sha256(customer_id.encode("utf-8", "surrogatepass")).hexdigest()
    audit.record(session, tenant_id, actor, "responses.erase_customer", f"customer sha256:{digest[:16]}", responses=removed, purchases=purchases)
    return CustomerErasure(removed, purchases)


def _log_on_commit(session: Session, message: str, *args) -> None:
    """Log to ``csm.erasure`` when the session's current transaction commits; never if it
    rolls back (a deletion that did not happen must not be reported)."""
    armed = [True]

    def committed(_session):
        if armed[0]:
            armed[0] = False
            erasure_log.warning(message, *args)

    def ended(_session, transaction):
        if transaction.parent is None:  # after_commit has already run if it committed
            armed[0] = False

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_transaction_end", ended)
