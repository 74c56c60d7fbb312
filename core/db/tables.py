"""ORM tables. Only repositories touch these; everyone else gets the records in records.py.

The schema itself is created by the Alembic migrations in ``core/db/migrations``; a test
checks that migrations and these classes describe the same schema.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
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

from core.batch.limits import MAX_CODE_LENGTH, MAX_ID_LENGTH, MAX_TOUCHPOINT_LENGTH
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


# --- cases, their events, alerts and webhooks ---------------------------------------------

URL_LENGTH = 2000
SECRET_LENGTH = 100
DEDUP_KEY_LENGTH = 500
ALERT_KIND_LENGTH = 32
ERROR_LENGTH = 500


class CaseRow(TenantScoped, Base):
    """One case (a service request, a complaint, an order...), keyed by the tenant's own id.

    Events may arrive before the case itself: an event for an unknown case creates the row
    with only its key, and the case's own fields fill in when they come. ``next_check_at``
    is when the case's clocks next need looking at (a step falls due) although no event
    arrives; the sweep reads the cases whose time has come, through its index."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "case_key"),
        Index(None, "tenant_id", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    case_key: Mapped[str] = mapped_column(String(MAX_ID_LENGTH))
    case_type: Mapped[str | None] = mapped_column(String(MAX_CODE_LENGTH))
    customer_id: Mapped[str | None] = mapped_column(String(MAX_ID_LENGTH))
    touchpoint: Mapped[str | None] = mapped_column(String(MAX_TOUCHPOINT_LENGTH))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attributes: Mapped[str] = mapped_column(Text, default="{}", server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseEventRow(TenantScoped, Base):
    """One event of a case's log. Its key is the sender's ``event_id``, or ``type@time``
    when none was sent; an event sent again with the same key replaces the stored one (a
    correction), so the log converges whatever order and however often events arrive."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("tenant_id", "case_id", "event_key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("cases.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(String(MAX_ID_LENGTH))
    type: Mapped[str] = mapped_column(String(MAX_CODE_LENGTH))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    attributes: Mapped[str] = mapped_column(Text, default="{}", server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))


class AlertRow(TenantScoped, Base):
    """An alert (a step reached, a breach, a remedy overdue, a service above grade), raised
    at most once per ``dedup_key``; written in the transaction of what caused it."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dedup_key"),
        Index(None, "tenant_id", "raised_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(ALERT_KIND_LENGTH))
    dedup_key: Mapped[str] = mapped_column(String(DEDUP_KEY_LENGTH))
    case_key: Mapped[str | None] = mapped_column(String(MAX_ID_LENGTH))
    customer_id: Mapped[str | None] = mapped_column(String(MAX_ID_LENGTH))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))
    payload: Mapped[str] = mapped_column(Text, default="{}", server_default=text("'{}'"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))


class WebhookEndpointRow(TenantScoped, Base):
    """Where a tenant receives its alerts. The secret signs each delivery (Standard
    Webhooks); after a rotation the previous one still signs until it expires."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index(None, "tenant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH))
    description: Mapped[str] = mapped_column(String(NAME_LENGTH), default="", server_default=text("''"))
    kinds: Mapped[str | None] = mapped_column(Text)  # JSON list of alert kinds; None = every kind
    secret: Mapped[str] = mapped_column(String(SECRET_LENGTH))
    previous_secret: Mapped[str | None] = mapped_column(String(SECRET_LENGTH))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    disabled_reason: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))


class WebhookDeliveryRow(TenantScoped, Base):
    """The outbox: one alert to one endpoint, written with the alert. ``message_id`` is the
    ``webhook-id`` every attempt carries; ``lease_until`` marks an attempt in progress, so a
    worker that dies mid-attempt only delays the retry until the lease ends."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "endpoint_id", "alert_id"),
        UniqueConstraint("tenant_id", "message_id"),
        Index(None, "tenant_id", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    alert_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("alerts.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))


class WebhookAttemptRow(TenantScoped, Base):
    """The delivery log: one row per POST tried, with what came back."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index(None, "tenant_id", "delivery_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))
    duration_ms: Mapped[int] = mapped_column(Integer)


PERIOD_LENGTH = 16
GRADE_LENGTH = 100
OUTCOME_LENGTH = 32


class CustomerRow(TenantScoped, Base):
    """A customer, keyed by the tenant's own id, with its typed attributes (JSON, as the
    ``customers.attributes`` section checked them); posting it again replaces them."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    customer_key: Mapped[str] = mapped_column(String(MAX_ID_LENGTH))
    attributes: Mapped[str] = mapped_column(Text, default="{}", server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))


class CustomerGradeRow(TenantScoped, Base):
    """A customer's grade for one evaluation period, with the inputs (the attributes) that
    produced it, its score and the configuration version that graded it, so a grade can
    be explained later. Grading the period again replaces it."""

    __tablename__ = "customer_grades"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_id", "period"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("customers.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(PERIOD_LENGTH))
    grade: Mapped[str | None] = mapped_column(String(GRADE_LENGTH))  # None: ungraded
    score: Mapped[float | None] = mapped_column(Float)
    inputs: Mapped[str] = mapped_column(Text, default="{}", server_default=text("'{}'"))
    config_version: Mapped[int] = mapped_column(Integer)
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))


class ServiceRequestRow(TenantScoped, Base):
    """A service a customer asked for, checked against its grade at the time:
    ``entitled``, ``above_grade`` (to be played down) or ``unknown_service``."""

    __tablename__ = "service_requests"
    __table_args__ = (
        Index(None, "tenant_id", "requested_at"),
        Index(None, "tenant_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("customers.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(MAX_CODE_LENGTH))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(OUTCOME_LENGTH))
    grade: Mapped[str | None] = mapped_column(String(GRADE_LENGTH))
    period: Mapped[str] = mapped_column(String(PERIOD_LENGTH))
    config_version: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))


class PurchaseRow(TenantScoped, Base):
    """A purchase record (the tenant's own id, the customer's id as its responses carry
    it, when, how much, and optionally the customer's whole spend in the category, for
    share of wallet): what transactional loyalty and customer value are computed from.
    Posting a purchase again replaces it (a correction); an identical one changes nothing."""

    __tablename__ = "purchases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "purchase_key"),
        Index(None, "tenant_id", "customer_id"),
        Index(None, "tenant_id", "purchased_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    purchase_key: Mapped[str] = mapped_column(String(MAX_ID_LENGTH))
    customer_id: Mapped[str] = mapped_column(String(MAX_ID_LENGTH))
    purchased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    amount: Mapped[float] = mapped_column(Float)
    category_spend: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))
