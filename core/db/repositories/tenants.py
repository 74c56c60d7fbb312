"""Tenants: the one table that is not itself tenant-scoped."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.base import Base
from core.db.errors import InvalidSlug, SlugTaken
from core.db.records import Tenant
from core.db.tables import TenantRow

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
        """Add a tenant. Raises InvalidSlug, or SlugTaken if the slug is in use."""
        validate_slug(slug)
        row = TenantRow(slug=slug, name=name)
        try:
            # A savepoint keeps the caller's transaction usable after a duplicate.
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError as exc:
            if self.get_by_slug(slug) is not None:
                raise SlugTaken(f"tenant slug {slug!r} is already taken") from exc
            raise
        return to_tenant(row)

    def get(self, tenant_id: int) -> Tenant | None:
        row = self.session.get(TenantRow, tenant_id)
        return to_tenant(row) if row is not None else None

    def get_by_slug(self, slug: str) -> Tenant | None:
        row = self.session.scalars(select(TenantRow).where(TenantRow.slug == slug)).first()
        return to_tenant(row) if row is not None else None

    def list(self) -> list[Tenant]:
        rows = self.session.scalars(select(TenantRow).order_by(TenantRow.id))
        return [to_tenant(r) for r in rows]

    def delete(self, tenant_id: int) -> bool:
        """Delete a tenant and, through ON DELETE CASCADE, everything it owns."""
        result = self.session.execute(delete(TenantRow).where(TenantRow.id == tenant_id))
        return result.rowcount > 0

    def owned_row_counts(self, tenant_id: int) -> dict[str, int]:
        """Rows this tenant owns, per table: every table with a ``tenant_id`` column, so a
        table added later is counted (and covered by the deletion cascade check) too."""
        return {
            table.name: int(self.session.scalar(select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)) or 0)
            for table in owned_tables()
        }


def owned_tables() -> list:
    """The tenant-scoped tables (those with a ``tenant_id`` column), in dependency order.

    Every table class lives in ``core.db.tables`` (imported above), so the metadata is complete."""
    return [t for t in Base.metadata.sorted_tables if "tenant_id" in t.c]
