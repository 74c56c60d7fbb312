"""Application settings: defaults, overridden by ``CSM_*`` environment variables, then by
the mapping given to ``create_app``. One place, so the CLI and the server agree.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

DEFAULTS: dict[str, Any] = {
    # SQLite file is the embedded default; PostgreSQL: postgresql+psycopg://user@host/db
    "DATABASE_URL": "sqlite:///var/csm.sqlite3",
    # Key of the platform operator, who creates tenants. Unset = tenant creation disabled.
    "OPERATOR_KEY": None,
    # Largest request body accepted, in bytes (413 above it).
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    # Responses per ingest request (JSON or CSV).
    "MAX_BATCH": 10_000,
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
}

_INT_KEYS = {"MAX_CONTENT_LENGTH", "MAX_BATCH", "PAGE_SIZE", "MAX_PAGE_SIZE", "IDEMPOTENCY_TTL_HOURS", "IDEMPOTENCY_LEASE_SECONDS"}


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key in DEFAULTS:
        value = env.get(f"CSM_{key}")
        if value is not None and value != "":
            settings[key] = int(value) if key in _INT_KEYS else value
    settings.update(overrides or {})
    return settings


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL (None for other databases or in-memory)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url[len(prefix):] not in ("", ":memory:"):
        return Path(url[len(prefix):].split("?", 1)[0])
    return None
