"""Repositories: the only code that queries tables. Each takes a Session, scopes every
query by tenant_id, and returns plain records or DataFrames, never ORM rows."""

from core.db.repositories.alerts import AlertFilter, AlertRepository
from core.db.repositories.answer_blocks import AnswerBlockRepository
from core.db.repositories.api_keys import ApiKeyRepository
from core.db.repositories.audit import AuditRepository
from core.db.repositories.cases import CaseRepository
from core.db.repositories.customers import CustomerRepository, RequestFilter
from core.db.repositories.config_versions import ConfigVersionRepository
from core.db.repositories.idempotency import IdempotencyRecord, IdempotencyRepository
from core.db.repositories.purchases import PurchaseRepository
from core.db.repositories.responses import ResponseRepository
from core.db.repositories.tenant_plugins import TenantPluginRepository
from core.db.repositories.tenants import TenantRepository
from core.db.repositories.webhooks import WebhookRepository

__all__ = [
    "AlertFilter",
    "AlertRepository",
    "AnswerBlockRepository",
    "CaseRepository",
    "CustomerRepository",
    "RequestFilter",
    "WebhookRepository",
    "ApiKeyRepository",
    "AuditRepository",
    "ConfigVersionRepository",
    "IdempotencyRecord",
    "IdempotencyRepository",
    "PurchaseRepository",
    "ResponseRepository",
    "TenantPluginRepository",
    "TenantRepository",
]
