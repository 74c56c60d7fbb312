"""The few lookups that must cross tenants, each returning only what its caller needs.

Row-level security hides every tenant's rows until a transaction is bound to a tenant
(``core.db.tenancy``). Three questions come before any tenant is known:

- which key is this? (authenticating ``csm_<prefix>_<secret>`` finds the tenant),
- which tenant has this slug? (the CLI's ``--tenant``, the operator),
- which tenants exist? (the operator's listing).

On PostgreSQL each is a ``SECURITY DEFINER`` SQL function created by migration 0003 and
owned by the role that ran the migrations, with a fixed ``search_path``; the application
role may execute them but cannot read the tables behind them. On SQLite, which has no
row-level security, the same questions are plain queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, select, text
from sqlalchemy.orm import Session

from core.db.base import UTCDateTime
from core.db.records import Tenant
from core.db.tables import ApiKeyRow, TenantRow

# name -> argument types, as GRANT EXECUTE needs them
LOOKUP_FUNCTIONS = {
    "csm_key_by_prefix": "text",
    "csm_tenant_by_slug": "text",
    "csm_tenants": "",
}

_TENANT_COLUMNS = {"id": Integer, "slug": String, "name": String, "created_at": UTCDateTime}


@dataclass(frozen=True)
class KeyLookup:
    """What authenticating needs to know about the key with a given prefix."""

    id: int
    tenant_id: int
    key_hash: str
    role: str
    expires_at: datetime | None
    revoked_at: datetime | None
    tenant_slug: str


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def key_by_prefix(session: Session, prefix: str) -> KeyLookup | None:
    """The key with this prefix (prefixes are unique across tenants), whatever its tenant."""
    if _postgres(session):
        stmt = text(
            "SELECT id, tenant_id, key_hash, role, expires_at, revoked_at, tenant_slug "
            "FROM csm_key_by_prefix(:prefix)"
        ).columns(
            id=Integer,
            tenant_id=Integer,
            key_hash=String,
            role=String,
            expires_at=UTCDateTime,
            revoked_at=UTCDateTime,
            tenant_slug=String,
        )
        row = session.execute(stmt, {"prefix": prefix}).first()
    else:
        row = session.execute(
            select(
                ApiKeyRow.id,
                ApiKeyRow.tenant_id,
                ApiKeyRow.key_hash,
                ApiKeyRow.role,
                ApiKeyRow.expires_at,
                ApiKeyRow.revoked_at,
                TenantRow.slug,
            )
            .join(TenantRow, TenantRow.id == ApiKeyRow.tenant_id)
            .where(ApiKeyRow.prefix == prefix)
        ).first()
    return KeyLookup(*row) if row is not None else None


def tenant_by_slug(session: Session, slug: str) -> Tenant | None:
    if _postgres(session):
        stmt = text("SELECT id, slug, name, created_at FROM csm_tenant_by_slug(:slug)").columns(**_TENANT_COLUMNS)
        row = session.execute(stmt, {"slug": slug}).first()
    else:
        row = session.execute(
            select(TenantRow.id, TenantRow.slug, TenantRow.name, TenantRow.created_at).where(TenantRow.slug == slug)
        ).first()
    return Tenant(*row) if row is not None else None


def all_tenants(session: Session) -> list[Tenant]:
    """Every tenant, oldest first (the platform operator's listing)."""
    if _postgres(session):
        stmt = text("SELECT id, slug, name, created_at FROM csm_tenants() ORDER BY id").columns(**_TENANT_COLUMNS)
        rows = session.execute(stmt).all()
    else:
        rows = session.execute(
            select(TenantRow.id, TenantRow.slug, TenantRow.name, TenantRow.created_at).order_by(TenantRow.id)
        ).all()
    return [Tenant(*row) for row in rows]
