"""Tenants: the one table keyed by the tenant itself (row-level security compares ``id``).

Creating a tenant is the operator's one write outside any existing tenant: on PostgreSQL
the new id is drawn from the sequence first, the transaction is bound to it, and only
then is the row inserted, so the policy's WITH CHECK holds and no other tenant's row ever
becomes visible. Finding a tenant by slug and listing all tenants go through
``core.db.lookups``.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.base import Base
from core.db.errors import InvalidSlug, SlugTaken
from core.db.lookups import all_tenants, tenant_by_slug
from core.db.records import Tenant
from core.db.tables import TenantRow
from core.db.tenancy import bind_tenant, scoped

SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")


def validate_slug(slug: str) -> str:
    """Return ``slug`` if it can appear in URLs and schema names unchanged, else raise."""
    if not isinstance(slug, str) or not SLUG_PATTERN.fullmatch(slug):
        raise InvalidSlug(
            f"invalid tenant slug {slug!r}: 2-63 characters of a-z, 0-9 and '-', "
            "not starting with '-'"
        )
    return slug


def to_tenant(row: TenantRow) -> Tenant:
    return Tenant(id=row.id, slug=row.slug, name=row.name, created_at=row.created_at)


class TenantRepository:
    def __init__(self, session: Session):
        self.session = session

    def create(self, slug: str, name: str) -> Tenant:
        """Add a tenant and bind the session to it, so the caller can go on to create what
        the tenant owns (its first key, audit events) in the same transaction.

        Raises InvalidSlug, or SlugTaken if the slug is in use.
        """
        validate_slug(slug)
        new_id = self._next_id()
        if new_id is not None:
            bind_tenant(self.session, new_id)
        row = TenantRow(id=new_id, slug=slug, name=name)
        try:
            # A savepoint keeps the caller's transaction usable after a duplicate.
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError as exc:
            if self.get_by_slug(slug) is not None:
                raise SlugTaken(f"tenant slug {slug!r} is already taken") from exc
            raise
        if new_id is None:
            bind_tenant(self.session, row.id)
        return to_tenant(row)

    def _next_id(self) -> int | None:
        """PostgreSQL: the next id from the tenants sequence; SQLite assigns it on insert."""
        if self.session.get_bind().dialect.name != "postgresql":
            return None
        return int(self.session.scalar(text("SELECT nextval(pg_get_serial_sequence('tenants', 'id'))")))

    def get(self, tenant_id: int) -> Tenant | None:
        """The tenant, if the session may see it (on PostgreSQL: the bound tenant only)."""
        row = self.session.get(TenantRow, tenant_id)
        return to_tenant(row) if row is not None else None

    def get_by_slug(self, slug: str) -> Tenant | None:
        """Any tenant by slug (a cross-tenant lookup: for the operator and the CLI, which
        then bind the session to the tenant they act for)."""
        return tenant_by_slug(self.session, slug)

    def list(self) -> list[Tenant]:
        """Every tenant, oldest first (the operator's listing; a cross-tenant lookup)."""
        return all_tenants(self.session)

    def delete(self, tenant_id: int) -> bool:
        """Delete a tenant and, through ON DELETE CASCADE, everything it owns.

        On PostgreSQL the session must be bound to that tenant (row-level security): a
        tenant admin's request is; the operator binds to the tenant it deletes.
        """
        result = self.session.execute(delete(TenantRow).where(TenantRow.id == tenant_id))
        return result.rowcount > 0

    def owned_row_counts(self, tenant_id: int) -> dict[str, int]:
        """Rows this tenant owns, per table: every table with a ``tenant_id`` column, so a
        table added later is counted (and covered by the deletion cascade check) too."""
        return {
            table.name: int(self.session.scalar(select(func.count()).select_from(table).where(scoped(self.session, table.c.tenant_id, tenant_id))) or 0)
            for table in owned_tables()
        }


def owned_tables() -> list:
    """The tenant-scoped tables (those with a ``tenant_id`` column), in dependency order.

    Every table class lives in ``core.db.tables`` (imported above), so the metadata is complete."""
    return [t for t in Base.metadata.sorted_tables if "tenant_id" in t.c]
