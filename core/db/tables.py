"""ORM tables. Only repositories touch these; everyone else gets the records in records.py.

The schema itself is created by the Alembic migrations in ``core/db/migrations``; a test
checks that migrations and these classes describe the same schema.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.batch.limits import MAX_ID_LENGTH, MAX_TOUCHPOINT_LENGTH
from core.db.base import Base, TenantScoped, UTCDateTime, utcnow

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")

SLUG_LENGTH = 63
KEY_PREFIX_LENGTH = 16
ROLE_LENGTH = 32
NAME_LENGTH = 200
CODE_LENGTH = 100


class TenantRow(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class ApiKeyRow(TenantScoped, Base):
    __tablename__ = "api_keys"
    __table_args__ = (Index(None, "tenant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    prefix: Mapped[str] = mapped_column(String(KEY_PREFIX_LENGTH), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(
        String(ROLE_LENGTH), default="admin", server_default=text("'admin'")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConfigVersionRow(TenantScoped, Base):
    __tablename__ = "config_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    indicator_set_code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    yaml_text: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    created_by_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )


class ResponseRow(TenantScoped, Base):
    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("tenant_id", "response_key"),
        Index(None, "tenant_id", "version", "collected_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    config_version_id: Mapped[int] = mapped_column(ForeignKey("config_versions.id"))
    version: Mapped[int] = mapped_column(Integer)
    # As wide as the ingest checks allow (core.batch.limits): rows are stored unchecked.
    response_key: Mapped[str | None] = mapped_column(String(MAX_ID_LENGTH))
    customer_id: Mapped[str | None] = mapped_column(String(MAX_ID_LENGTH))
    touchpoint: Mapped[str | None] = mapped_column(String(MAX_TOUCHPOINT_LENGTH))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attributes: Mapped[str] = mapped_column(Text, default="{}", server_default=text("'{}'"))
    answers: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class AnswerBlockRow(TenantScoped, Base):
    """The answers of one ingest batch as column arrays (``core.store``): what scoring reads.

    Written in the same transaction as the batch's responses; ``first_at``/``last_at``
    bound its collection times so a ``from``/``to`` request skips blocks it does not
    need, and ``first_id``/``last_id`` bound its response ids so erasing a respondent
    finds the blocks to rewrite. The responses' JSON stays the source for listing and
    export; a block can always be rebuilt from it.
    """

    __tablename__ = "answer_blocks"
    __table_args__ = (Index(None, "tenant_id", "version", "first_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    config_version_id: Mapped[int] = mapped_column(ForeignKey("config_versions.id"))
    version: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    first_id: Mapped[int] = mapped_column(BigInteger)
    last_id: Mapped[int] = mapped_column(BigInteger)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class AuditEventRow(TenantScoped, Base):
    """Who changed what, when, and with which key: config uploads, key and role changes,
    deletions. Append-only; readable by the tenant's admins."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "tenant_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))
    actor_key_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the key may be deleted later
    actor: Mapped[str] = mapped_column(String(NAME_LENGTH))
    action: Mapped[str] = mapped_column(String(CODE_LENGTH))
    target: Mapped[str] = mapped_column(String(NAME_LENGTH), default="", server_default=text("''"))
    details: Mapped[str] = mapped_column(Text, default="{}", server_default=text("'{}'"))


class IdempotencyKeyRow(TenantScoped, Base):
    """One ``Idempotency-Key`` of a tenant: the request it guarded and, once done, its answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    key: Mapped[str] = mapped_column(String(NAME_LENGTH))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while the first request is in flight
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    holder: Mapped[str | None] = mapped_column(String(NAME_LENGTH))  # core.db.claim_holders


class TenantPluginRow(TenantScoped, Base):
    """A plugin a tenant enabled: only enabled plugins (and the core's own) are called for
    it. One row per (tenant, plugin); disabling deletes the row."""

    __tablename__ = "tenant_plugins"
    __table_args__ = (UniqueConstraint("tenant_id", "plugin"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plugin: Mapped[str] = mapped_column(String(CODE_LENGTH))
    enabled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))
    enabled_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
