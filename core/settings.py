"""Application settings: defaults, overridden by ``CSM_*`` environment variables, then by
the mapping given to ``create_app``. One place, so the CLI and the server agree.

Every setting is checked when it is loaded (``load_settings``): a bad value anywhere
raises one ``SettingsError`` listing every bad setting by its environment name, e.g.
``CSM_MAX_BATCH: must be a positive integer, got 'abc'``, so a server refuses to start
instead of failing (or silently misbehaving) on its first request.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

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
    # Responses per ingest request (JSON or CSV); `csm import-responses` splits a longer
    # file into batches of at most this many rows (stored together, all or nothing).
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
    # Score answers cached by (tenant, request, ingest watermark): in Redis at REDIS_URL
    # when set (shared by every worker), else in each process's memory, at most
    # CACHE_MAX_MB there; entries expire after CACHE_TTL_SECONDS (core/result_cache.py).
    "CACHE_ENABLED": True,
    "CACHE_TTL_SECONDS": 86400,
    "CACHE_MAX_MB": 64,
    # Score answers computed at once in one process (the others wait for a slot, then
    # take the answer from the cache if one of them computed it); 0 = no bound. 1 by
    # default: the processes use the cores, and at 1M responses (bench/stored.py, 2 workers
    # × 4 threads, 2 clients) a bound of 1 kept every worker under 400 MiB (SQLite 290/342,
    # PostgreSQL 296/361 MiB, against 288/402 and 408/408 unbounded) with every cold p95
    # under 1 s (README, "Storage and performance").
    "SCORE_CONCURRENCY": 1,
    # SQLite: how long a transaction waits for the write lock before giving up (the
    # request is then answered 503 with Retry-After). Readers never wait for it.
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    # SQLite: each connection's page cache, in MiB (PRAGMA cache_size).
    "SQLITE_CACHE_MB": 2,
    # `csm serve` (gunicorn): the address served, worker processes and threads per worker.
    "HOST": "127.0.0.1",
    "PORT": 8000,
    "WORKERS": 2,
    "THREADS": 4,
    # The background work queue (`csm worker`): a redis:// or amqp:// broker URL shared by
    # every worker machine; unset = the embedded queue, a folder on this machine
    # (QUEUE_DIR; default beside the SQLite file, else var/queue), for one machine.
    "BROKER_URL": None,
    "QUEUE_DIR": None,
    # The queue's name on the broker: deployments sharing one broker each take their own.
    "QUEUE_NAME": "csm",
    # How often open cases are swept for steps that fell due, and how often the outbox is
    # searched for deliveries due (a retry, or one whose worker died), in seconds.
    "SWEEP_SECONDS": 60,
    "DISPATCH_SECONDS": 15,
    # Webhooks: private, loopback and link-local receivers refused unless allowed here (an
    # operator's choice, e.g. receivers on the same network); per-attempt timeout; attempts
    # per delivery; the wait before the first retry, doubled for each next one; failed
    # attempts in a row after which an endpoint is disabled; how long a worker holds an
    # attempt (after that a dead worker's attempt is retried); how long a rotated-out
    # secret still signs.
    "WEBHOOK_ALLOW_PRIVATE": False,
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    "WEBHOOK_MAX_ATTEMPTS": 8,
    "WEBHOOK_RETRY_SECONDS": 30,
    "WEBHOOK_DISABLE_AFTER": 20,
    "WEBHOOK_LEASE_SECONDS": 60,
    "WEBHOOK_SECRET_GRACE_HOURS": 24,
}

ENV_PREFIX = "CSM_"


class SettingsError(ValueError):
    """Settings that cannot be used; ``problems`` names each one by its environment name."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} invalid setting(s):\n  " + "\n  ".join(self.problems))


class _Invalid(ValueError):
    """One value refused by its check; the message completes "CSM_NAME: ..."."""


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The defaults, then ``CSM_*`` environment variables (empty = unset), then
    ``overrides``; every known setting checked, every problem reported together."""
    env = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key in DEFAULTS:
        value = env.get(ENV_PREFIX + key)
        if value is not None and value != "":
            settings[key] = value
    settings.update(overrides or {})
    problems, bad = [], set()
    for key, check in _CHECKS.items():
        try:
            settings[key] = check(settings[key])
        except _Invalid as exc:
            problems.append(f"{ENV_PREFIX}{key}: {exc}")
            bad.add(key)
    problems += _cross_checks(settings, bad)
    if problems:
        raise SettingsError(problems)
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


# --- checks: each returns the value in its type or raises _Invalid ---------------------


def _got(value: Any) -> str:
    return f"got {value!r}"


def _integer(value: Any, low: int, high: int | None, expected: str) -> int:
    number = int(value) if isinstance(value, str) and re.fullmatch(r"\s*\+?\d+\s*", value) else value
    if type(number) is not int or number < low or (high is not None and number > high):
        raise _Invalid(f"must be {expected}, {_got(value)}")
    return number


def _positive_int(value: Any) -> int:
    return _integer(value, 1, None, "a positive integer")


def _non_negative_int(value: Any) -> int:
    return _integer(value, 0, None, "an integer from 0")


def _port(value: Any) -> int:
    return _integer(value, 1, 65535, "a port number (1-65535)")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Invalid(f"must be a boolean (1/0, true/false, yes/no, on/off), {_got(value)}")


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def _redacted(url: str) -> str:
    """A URL with its password (anything between ``://user:`` and ``@``) masked."""
    return re.sub(r"(://[^/:@]*:)[^/@]*@", r"\1***@", url)


def _database_url(value: Any) -> str:
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    example = "a SQLAlchemy URL of a SQLite or PostgreSQL database (sqlite:///FILE, postgresql+psycopg://USER@HOST/DB)"
    if not isinstance(value, str):
        raise _Invalid(f"must be {example}, {_got(value)}")
    try:
        backend = make_url(value).get_backend_name()
    except (ArgumentError, ValueError):
        backend = None
    if backend not in ("sqlite", "postgresql"):
        raise _Invalid(f"must be {example}, got {_redacted(value)!r}")
    return value


REDIS_SCHEMES = ("redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")


def _redis_url(value: Any) -> str:
    message = "must be a Redis URL (redis://HOST:PORT/DB or rediss://...)"
    if not isinstance(value, str):
        raise _Invalid(f"{message}, {_got(value)}")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in REDIS_SCHEMES or (parts.scheme != "redis+unix" and not parts.hostname):
        raise _Invalid(f"{message}, got {_redacted(value)!r}")
    return value


BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")


def _broker_url(value: Any) -> str:
    message = "must be a Redis or RabbitMQ URL (redis://HOST:PORT/DB, amqp://USER:PASSWORD@HOST:PORT//)"
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is not None:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in BROKER_SCHEMES or not parts.hostname:
        raise _Invalid(f"{message}, got {_redacted(value) if isinstance(value, str) else value!r}")
    return value


def _queue_name(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", value):
        raise _Invalid(f"must be 1-100 letters, digits, _ . -, {_got(value)}")
    return value


def _rate_limits(value: Any) -> str:
    from limits import parse_many

    try:
        if not isinstance(value, str):
            raise ValueError
        parse_many(value)
    except ValueError:
        raise _Invalid(f"must be rate limits like '600 per minute' (several separated by ';'), {_got(value)}") from None
    return value


_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")  # as core.db.login_roles.ROLE_NAME


def _role_name(value: Any) -> str:
    if not isinstance(value, str) or not _ROLE_NAME.fullmatch(value):
        raise _Invalid(f"must be a role name of 1-63 characters a-z, 0-9 and _, not starting with a digit, {_got(value)}")
    return value


def _operator_key(value: Any) -> str:
    # Sent as `Authorization: Bearer <key>`: a key with spaces or control characters
    # could never be presented, so tenant creation would be silently impossible.
    if not isinstance(value, str) or not re.fullmatch(r"[\x21-\x7e]+", value):
        raise _Invalid("must be printable ASCII without spaces (it is sent as a bearer token)")  # never echo a secret
    return value


def _path(value: Any) -> str:
    if not isinstance(value, (str, Path)) or "\x00" in str(value):
        raise _Invalid(f"must be a file path, {_got(value)}")
    return str(value)


def _host(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[^\s/]+", value):
        raise _Invalid(f"must be a host name or IP address, {_got(value)}")
    return value


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "DATABASE_URL": _database_url,
    "MIGRATION_DATABASE_URL": _optional(_database_url),
    "APP_ROLE": _optional(_role_name),
    "OPERATOR_KEY": _optional(_operator_key),
    "MAX_CONTENT_LENGTH": _positive_int,
    "MAX_BATCH": _positive_int,
    "PAGE_SIZE": _positive_int,
    "MAX_PAGE_SIZE": _positive_int,
    "DEMO_KEYS_FILE": _optional(_path),
    "IDEMPOTENCY_TTL_HOURS": _positive_int,
    "IDEMPOTENCY_LEASE_SECONDS": _positive_int,
    "RATE_LIMIT_ENABLED": _boolean,
    "RATE_LIMIT": _rate_limits,
    "RATE_LIMIT_INGEST": _rate_limits,
    "REDIS_URL": _optional(_redis_url),
    "CACHE_ENABLED": _boolean,
    "CACHE_TTL_SECONDS": _positive_int,
    "CACHE_MAX_MB": _positive_int,
    "SCORE_CONCURRENCY": _non_negative_int,
    "SQLITE_BUSY_TIMEOUT_MS": _positive_int,
    "SQLITE_CACHE_MB": _positive_int,
    "HOST": _host,
    "PORT": _port,
    "WORKERS": _positive_int,
    "THREADS": _positive_int,
    "BROKER_URL": _optional(_broker_url),
    "QUEUE_DIR": _optional(_path),
    "QUEUE_NAME": _queue_name,
    "SWEEP_SECONDS": _positive_int,
    "DISPATCH_SECONDS": _positive_int,
    "WEBHOOK_ALLOW_PRIVATE": _boolean,
    "WEBHOOK_TIMEOUT_SECONDS": _positive_int,
    "WEBHOOK_MAX_ATTEMPTS": _positive_int,
    "WEBHOOK_RETRY_SECONDS": _positive_int,
    "WEBHOOK_DISABLE_AFTER": _positive_int,
    "WEBHOOK_LEASE_SECONDS": _positive_int,
    "WEBHOOK_SECRET_GRACE_HOURS": _positive_int,
}


def _cross_checks(settings: Mapping[str, Any], bad: set[str]) -> list[str]:
    """Checks between settings, for those that passed their own check."""
    problems = []
    if not {"PAGE_SIZE", "MAX_PAGE_SIZE"} & bad and settings["PAGE_SIZE"] > settings["MAX_PAGE_SIZE"]:
        problems.append(f"{ENV_PREFIX}PAGE_SIZE: must be at most {ENV_PREFIX}MAX_PAGE_SIZE ({settings['MAX_PAGE_SIZE']}), got {settings['PAGE_SIZE']}")
    if not {"WEBHOOK_LEASE_SECONDS", "WEBHOOK_TIMEOUT_SECONDS"} & bad and settings["WEBHOOK_LEASE_SECONDS"] <= settings["WEBHOOK_TIMEOUT_SECONDS"]:
        problems.append(
            f"{ENV_PREFIX}WEBHOOK_LEASE_SECONDS: must be longer than {ENV_PREFIX}WEBHOOK_TIMEOUT_SECONDS ({settings['WEBHOOK_TIMEOUT_SECONDS']}), "
            f"got {settings['WEBHOOK_LEASE_SECONDS']}: an attempt still running would be sent again"
        )
    return problems
