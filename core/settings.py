"""Application settings: defaults, overridden by ``CSM_*`` environment variables, then by
the mapping given to ``create_app``. One place, so the CLI and the server agree.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from core.batch.limits import MAX_BATCH

DEFAULTS: dict[str, Any] = {
    # SQLite file is the embedded default; PostgreSQL: postgresql+psycopg://user@host/db
    "DATABASE_URL": "sqlite:///var/csm.sqlite3",
    # PostgreSQL: the table owner's connection, used by `csm init-db` (migrations) and
    # `csm create-app-role`, while DATABASE_URL connects as the application's role, which
    # owns no table and is bound by row-level security. Unset = DATABASE_URL.
    "MIGRATION_DATABASE_URL": None,
    # PostgreSQL: the application's role; when set, `csm init-db` grants it what the
    # application needs after migrating (see `csm create-app-role`).
    "APP_ROLE": None,
    # Key of the platform operator, who creates tenants. Unset = tenant creation disabled.
    "OPERATOR_KEY": None,
    # Largest request body accepted, in bytes (413 above it).
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    # Rows per ingested batch: an API request (JSON or CSV) or a `csm import-responses` file.
    "MAX_BATCH": MAX_BATCH,
    # Default and maximum page sizes of listings.
    "PAGE_SIZE": 50,
    "MAX_PAGE_SIZE": 1000,
    # Where `csm seed-demo` keeps the demo tenants' keys (default: beside the SQLite file, else var/).
    "DEMO_KEYS_FILE": None,
    # How long an Idempotency-Key and the answer it recorded are kept (at least this long;
    # expired keys are purged lazily, when the tenant next claims a key).
    "IDEMPOTENCY_TTL_HOURS": 24,
    # An in-flight claim older than this is taken to be abandoned (its request crashed)
    # and a retry may take it over; well above the time any ingest takes.
    "IDEMPOTENCY_LEASE_SECONDS": 300,
    # Rate limits per API key (flask-limiter notation: "N per second|minute|hour|day"; several
    # separated by ";"). RATE_LIMIT is one budget shared by every /api/v1 call of a key;
    # RATE_LIMIT_INGEST is a second, stricter one shared by the two ingest endpoints.
    "RATE_LIMIT_ENABLED": True,
    "RATE_LIMIT": "600 per minute",
    "RATE_LIMIT_INGEST": "60 per minute",
    # Where the counters live: a redis:// URL shared by every worker; unset = each process
    # counts in memory. If Redis stops answering, each process counts in memory until it is
    # back (see core/api/ratelimit.py).
    "REDIS_URL": None,
}

_INT_KEYS = {"MAX_CONTENT_LENGTH", "MAX_BATCH", "PAGE_SIZE", "MAX_PAGE_SIZE", "IDEMPOTENCY_TTL_HOURS", "IDEMPOTENCY_LEASE_SECONDS"}
_BOOL_KEYS = {"RATE_LIMIT_ENABLED"}
_FALSE = {"0", "false", "no", "off"}


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key in DEFAULTS:
        value = env.get(f"CSM_{key}")
        if value is not None and value != "":
            if key in _INT_KEYS:
                value = int(value)
            elif key in _BOOL_KEYS:
                value = value.strip().lower() not in _FALSE
            settings[key] = value
    settings.update(overrides or {})
    return settings


def migration_database_url(settings: Mapping[str, Any]) -> str:
    """The URL migrations run with: MIGRATION_DATABASE_URL, else DATABASE_URL."""
    return settings.get("MIGRATION_DATABASE_URL") or settings["DATABASE_URL"]


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL (None for other databases or in-memory)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url[len(prefix):] not in ("", ":memory:"):
        return Path(url[len(prefix):].split("?", 1)[0])
    return None
