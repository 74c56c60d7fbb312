"""The business operations the API and the CLI share, one function per operation.

Each takes an open session (the caller owns the transaction: it commits once or rolls
back) plus plain values, and returns plain records. Nothing here knows about HTTP or the
terminal, so both front ends behave identically.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache
from typing import IO, Any

import pandas as pd
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.config import (
    ConfigError,
    TemplateLookup,
    TenantConfig,
    build_config,
    load_config,
)
from core.db.base import utcnow
from core.db.errors import DuplicateResponseKey
from core.db.records import ApiKey, ConfigVersion, Tenant
from core.db.repositories import (
    ApiKeyRepository,
    AuditRepository,
    ConfigVersionRepository,
    ResponseRepository,
    TenantRepository,
)
from core.export import FORMAT, FORMAT_VERSION, NOT_EXPORTED, ExportArchive, utc_iso
from core.ingest import Batch, BatchError, RowError, already_stored, prepare_rows
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
    try:
        count = responses.insert_many(tenant_id, stored.id, stored.version, rows)
    except DuplicateResponseKey as exc:
        raise _stored_meanwhile(rows["response_key"], responses.existing_keys(tenant_id, rows["response_key"].dropna().tolist())) from exc
    return IngestResult(accepted=count, version=stored.version)


def _stored_meanwhile(keys: pd.Series, clash: set[str]) -> BatchError:
    """The refusal for a batch that passed the "already stored" check, then lost the race
    to a concurrent request storing some of the same response ids (PostgreSQL: both
    checked before either committed; the unique constraint caught it and nothing of this
    batch was stored). Same rows and message as when the check itself finds them."""
    errors = already_stored(keys, clash)
    if not errors:
        return BatchError([RowError(-1, "response_id", "a concurrent request stored some of these response ids; nothing of this batch was stored")])
    return BatchError(errors, total=int(keys.isin(clash).sum()))


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


# --- erasure: export everything a tenant owns, then delete it ---------------------------

# Tenant deletions are logged here: the tenant's own audit table is deleted with it.
erasure_log = logging.getLogger("csm.erasure")


class ConfirmationMismatch(ValueError):
    """A tenant deletion was not confirmed with that tenant's slug."""


@dataclass(frozen=True)
class TenantDeletion:
    tenant: Tenant
    rows: dict[str, int]  # rows deleted with the tenant, per tenant-scoped table


def export_tenant(session: Session, tenant_id: int, out: IO[bytes], actor: Actor, now: datetime | None = None) -> dict[str, Any]:
    """Write the tenant's whole data as a zip archive into ``out``; return its manifest.

    The layout is described in ``core.export``. The export is itself audited first, so the
    archive's audit log ends with the event recording it. Responses are read one
    configuration version at a time (``load_frame``) and written as CSV in chunks; the
    manifest counts what was written, so it always agrees with the files.
    """
    tenant = TenantRepository(session).get(tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found")
    now = now or utcnow()
    audit(session, tenant_id, actor, "tenant.export", tenant.slug)
    archive = ExportArchive(out)
    try:
        archive.write_json("tenant.json", asdict(tenant))
        keys = [{k: v for k, v in asdict(key).items() if k != "tenant_id"} for key in ApiKeyRepository(session).list(tenant_id)]
        archive.write_json("api_keys.json", keys, rows=len(keys))
        versions = ConfigVersionRepository(session).list(tenant_id)
        index = []
        for v in versions:
            yaml_name, resolved_name = f"config_versions/v{v.version}.yaml", f"config_versions/v{v.version}.resolved.json"
            archive.write_text(yaml_name, v.yaml_text)
            archive.write_json(resolved_name, v.document)
            index.append(
                {
                    "version": v.version,
                    "indicator_set_code": v.indicator_set_code,
                    "checksum": v.checksum,
                    "created_at": v.created_at,
                    "created_by_key_id": v.created_by_key_id,
                    "yaml": yaml_name,
                    "resolved": resolved_name,
                }
            )
        archive.write_json("config_versions/index.json", index, rows=len(index))
        responses = ResponseRepository(session)
        by_number = {v.version: v for v in versions}
        written: dict[str, int] = {}
        for number in responses.versions_with_data(tenant_id):
            frame = responses.load_frame(tenant_id, number)
            written[str(number)] = archive.write_responses_csv(f"responses/v{number}.csv", frame, _question_codes(by_number[number]))
            del frame  # one version's frame in memory at a time
        events = AuditRepository(session).list(tenant_id, limit=None)  # newest first, unpaged
        archive.write_jsonl("audit_events.jsonl", [{k: v for k, v in asdict(e).items() if k != "tenant_id"} for e in reversed(events)])
    except BaseException:
        archive.abort()
        raise
    return archive.finish(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "exported_at": utc_iso(now),
            "tenant": {"id": tenant.id, "slug": tenant.slug},
            "counts": {"api_keys": len(keys), "config_versions": len(versions), "responses": sum(written.values()), "audit_events": len(events)},
            "responses_by_version": written,
            "not_exported": NOT_EXPORTED,
            "reimport": [
                "create the tenant; upload config_versions/v1.yaml, v2.yaml ... in order, so the version numbers match",
                (
                    "for each responses/vN.csv: `csm import-responses --tenant SLUG --version N responses/vN.csv`, "
                    "or POST it to /api/v1/responses/csv?version=N in pieces of at most MAX_BATCH rows"
                ),
            ],
        }
    )


def _question_codes(version: ConfigVersion) -> list[str]:
    """The version's question codes in tree order (the CSV's column order); [] if the stored
    document no longer builds, in which case the columns keep the stored order."""
    try:
        return [q.code for q in config_of(version).indicator_set.questions]
    except ConfigError:
        return []


def delete_tenant(session: Session, tenant_id: int, confirm: str, actor: Actor) -> TenantDeletion:
    """Delete a tenant and everything it owns, once ``confirm`` equals its slug.

    One ``DELETE`` of the tenants row; ON DELETE CASCADE removes its keys, configuration
    versions, responses, audit events and idempotency keys in the same statement (on both
    databases, whatever order the cascades run in: ``responses.config_version_id`` is
    checked at the end of the statement). The audit log goes with the tenant, so the
    deletion is logged on the ``csm.erasure`` logger instead, once the transaction commits:
    who, which tenant, and how many rows of each table. Raises NotFound or
    ConfirmationMismatch, and nothing is deleted then.
    """
    repo = TenantRepository(session)
    tenant = repo.get(tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found")
    if confirm != tenant.slug:
        raise ConfirmationMismatch("to delete the tenant and all its data, `confirm` must be the tenant's slug")
    rows = repo.owned_row_counts(tenant_id)
    repo.delete(tenant_id)
    counts = ", ".join(f"{table}={n}" for table, n in rows.items())
    _log_on_commit(session, "tenant %r (id %d) deleted by %s; rows deleted: %s", tenant.slug, tenant.id, actor.label, counts)
    return TenantDeletion(tenant=tenant, rows=rows)


def _log_on_commit(session: Session, message: str, *args) -> None:
    """Log to ``csm.erasure`` when the session's current transaction commits; never if it
    rolls back (a deletion that did not happen must not be reported)."""
    armed = [True]

    def committed(_session):
        if armed[0]:
            armed[0] = False
            erasure_log.warning(message, *args)

    def ended(_session, transaction):
        if transaction.parent is None:  # after_commit has already run if it committed
            armed[0] = False

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_transaction_end", ended)
