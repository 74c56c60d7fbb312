"""The business operations the API and the CLI share, one function per operation.

Each takes an open session (the caller owns the transaction: it commits once or rolls
back) plus plain values, and returns plain records. Nothing here knows about HTTP or the
terminal, so both front ends behave identically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import pandas as pd
from sqlalchemy.orm import Session

from core.config import TemplateLookup, TenantConfig, build_config, load_config
from core.db.records import ApiKey, ConfigVersion, Tenant
from core.db.repositories import (
    ApiKeyRepository,
    AuditRepository,
    ConfigVersionRepository,
    ResponseRepository,
    TenantRepository,
)
from core.ingest import Batch, prepare_rows
from core.roles import ADMIN
from core.scoring import score


class NotFound(LookupError):
    """The thing asked for does not exist in this tenant."""


@dataclass(frozen=True)
class Actor:
    """Who performs an operation, for the audit log: an API key, the operator, or the CLI."""

    label: str
    key_id: int | None = None

    @classmethod
    def key(cls, key_id: int) -> "Actor":
        return cls(f"key {key_id}", key_id)


OPERATOR = Actor("operator")
CLI = Actor("cli")


def audit(session: Session, tenant_id: int, actor: Actor, action: str, target: str = "", **details) -> None:
    AuditRepository(session).record(tenant_id, action, actor=actor.label, actor_key_id=actor.key_id, target=target, details=details)


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    version: int


def create_tenant(session: Session, slug: str, name: str, key_name: str = "first admin key", actor: Actor = OPERATOR) -> tuple[Tenant, ApiKey, str]:
    """A new tenant and its first admin key (the plaintext is returned once, never stored)."""
    tenant = TenantRepository(session).create(slug, name)
    key, plaintext = ApiKeyRepository(session).create(tenant.id, key_name, role=ADMIN)
    audit(session, tenant.id, actor, "tenant.create", slug, name=name)
    audit(session, tenant.id, actor, "key.create", f"key {key.id}", name=key_name, role=ADMIN)
    return tenant, key, plaintext


def create_key(session: Session, tenant_id: int, name: str, role: str, actor: Actor, expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    key, plaintext = ApiKeyRepository(session).create(tenant_id, name, role=role, expires_at=expires_at)
    audit(session, tenant_id, actor, "key.create", f"key {key.id}", name=name, role=role, expires_at=expires_at)
    return key, plaintext


def revoke_key(session: Session, tenant_id: int, key_id: int, actor: Actor) -> None:
    if not ApiKeyRepository(session).revoke(tenant_id, key_id):
        raise NotFound(f"key {key_id} not found")
    audit(session, tenant_id, actor, "key.revoke", f"key {key_id}")


def change_role(session: Session, tenant_id: int, key_id: int, role: str, actor: Actor) -> ApiKey:
    repo = ApiKeyRepository(session)
    before = repo.get(tenant_id, key_id)
    if before is None:
        raise NotFound(f"key {key_id} not found")
    after = repo.set_role(tenant_id, key_id, role)
    audit(session, tenant_id, actor, "key.role_change", f"key {key_id}", before=before.role, after=role)
    return after


def validate_config(text: str | bytes, file: str | None, templates: TemplateLookup) -> TenantConfig:
    """Parse and validate; raises core.config.ConfigError with every problem located."""
    return load_config(text, file, templates)


def upload_config(session: Session, tenant_id: int, text: str | bytes, file: str | None, templates: TemplateLookup, actor: Actor = CLI) -> tuple[ConfigVersion, TenantConfig]:
    """Validate and store a configuration as the tenant's next immutable version."""
    config = load_config(text, file, templates)
    yaml_text = text.decode("utf-8") if isinstance(text, bytes) else text
    version = ConfigVersionRepository(session).add(
        tenant_id, yaml_text, config.document, config.indicator_set.code, created_by_key_id=actor.key_id
    )
    audit(session, tenant_id, actor, "config.upload", f"version {version.version}", indicator_set=version.indicator_set_code, checksum=version.checksum)
    return version, config


def config_version(session: Session, tenant_id: int, version: int | None = None) -> ConfigVersion:
    """A stored version, or the latest when ``version`` is None; NotFound otherwise."""
    repo = ConfigVersionRepository(session)
    found = repo.latest(tenant_id) if version is None else repo.get(tenant_id, version)
    if found is None:
        if version is None:
            raise NotFound("this tenant has no configuration yet; upload one first")
        raise NotFound(f"configuration version {version} does not exist")
    return found


def config_of(version: ConfigVersion) -> TenantConfig:
    """The model of a stored version (built once per version and cached)."""
    return _build_cached(version.id, version.checksum, json.dumps(version.document, sort_keys=True))


@lru_cache(maxsize=256)
def _build_cached(_id: int, _checksum: str, document_json: str) -> TenantConfig:
    return build_config(json.loads(document_json))


def ingest(session: Session, tenant_id: int, batch_of, version: int | None = None, now: pd.Timestamp | None = None) -> IngestResult:
    """Validate and store a batch, all or nothing.

    ``batch_of`` turns the tenant's indicator set into a ``Batch`` (so parsing can use the
    question codes); every problem in the batch is reported together and nothing is stored.
    """
    stored = config_version(session, tenant_id, version)
    iset = config_of(stored).indicator_set
    batch: Batch = batch_of(iset)
    responses = ResponseRepository(session)
    rows = prepare_rows(batch, iset, now=now, stored_keys=lambda keys: responses.existing_keys(tenant_id, keys))
    count = responses.insert_many(tenant_id, stored.id, stored.version, rows)
    return IngestResult(accepted=count, version=stored.version)


def report(
    session: Session,
    tenant_id: int,
    version: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    by: tuple[str, ...] = (),
    period: str | None = None,
) -> dict:
    """Scores of the responses collected under one configuration version (default: latest)."""
    stored = config_version(session, tenant_id, version)
    iset = config_of(stored).indicator_set
    frame = ResponseRepository(session).load_frame(tenant_id, stored.version, start, end)
    result = score(frame, iset, by=by, period=period, canonical=True).to_dict()
    return {"version": stored.version, **result}
