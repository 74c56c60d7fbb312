"""The database layer: tables, migrations, engines and tenant-scoped repositories.

Nothing here holds global state. Build an engine with ``make_engine(url)``, migrate it with
``upgrade(url)``, and hand sessions from ``unit_of_work(make_session_factory(engine))`` to
the repositories, which return frozen records (``core.db.records``) or DataFrames.
Bind a session to the tenant it acts for with ``bind_tenant(session, tenant_id)``
(``core.db.tenancy``: on PostgreSQL, row-level security shows nothing until then).
"""

from core.db.engine import make_engine, make_session_factory, unit_of_work
from core.db.errors import (
    ConfigVersionConflict,
    DuplicateResponseKey,
    InvalidSlug,
    SlugTaken,
    UnknownApiKey,
    UnknownConfigVersion,
)
from core.db.migrate import current_revision, downgrade, head_revision, upgrade
from core.db.records import ApiKey, AuthenticatedKey, ConfigVersion, Tenant
from core.db.repositories import (
    ApiKeyRepository,
    ConfigVersionRepository,
    ResponseRepository,
    TenantRepository,
)
from core.db.tenancy import bind_tenant

__all__ = [
    "ApiKey",
    "ApiKeyRepository",
    "AuthenticatedKey",
    "ConfigVersion",
    "ConfigVersionConflict",
    "ConfigVersionRepository",
    "DuplicateResponseKey",
    "InvalidSlug",
    "ResponseRepository",
    "SlugTaken",
    "Tenant",
    "TenantRepository",
    "UnknownApiKey",
    "UnknownConfigVersion",
    "bind_tenant",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "make_session_factory",
    "unit_of_work",
    "upgrade",
]
