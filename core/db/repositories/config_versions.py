"""Configuration versions: append-only, numbered 1, 2, 3 ... per tenant.

A version, once stored, never changes; responses point at the version they were collected
under so old results can always be recomputed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.errors import ConfigVersionConflict, UnknownApiKey
from core.db.records import ConfigVersion
from core.db.tables import ApiKeyRow, ConfigVersionRow
from core.db.tenancy import scoped


def checksum(yaml_text: str) -> str:
    return hashlib.sha256(yaml_text.encode("utf-8")).hexdigest()


def to_config_version(row: ConfigVersionRow) -> ConfigVersion:
    return ConfigVersion(
        id=row.id,
        tenant_id=row.tenant_id,
        version=row.version,
        indicator_set_code=row.indicator_set_code,
        yaml_text=row.yaml_text,
        document=json.loads(row.document),
        checksum=row.checksum,
        created_at=row.created_at,
        created_by_key_id=row.created_by_key_id,
    )


# How many numbers a writer proposes before giving up with ConfigVersionConflict (the API
# answers 409 with Retry-After). Writers of one tenant are serialised (below), so a
# proposal only collides with a version written around that lock; each lost attempt means
# such a version was committed meanwhile.
VERSION_ATTEMPTS = 5
# PostgreSQL advisory-lock key space of version numbering: (this, tenant id). The
# two-integer form never meets the one-bigint keys used elsewhere (core.db.login_roles).
_NUMBERING_LOCK_SPACE = 0x63736D_02


class ConfigVersionRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(
        self,
        tenant_id: int,
        yaml_text: str,
        document: dict[str, Any],
        indicator_set_code: str,
        created_by_key_id: int | None = None,
    ) -> ConfigVersion:
        """Store the next version (highest so far + 1) for this tenant.

        Writers of one tenant take turns: on SQLite every writer queues for the database's
        write lock (BEGIN IMMEDIATE), on PostgreSQL for a transaction-scoped advisory lock
        of the tenant, held until commit; so each reads the number its predecessor wrote
        and concurrent uploads are numbered one after the other. Should two writers still
        propose the same number (a version written without the lock), the unique
        (tenant_id, version) lets only one win: the loser retries with a fresh number, each
        attempt inside a savepoint (so the caller's transaction survives), up to
        VERSION_ATTEMPTS times, then gives up with ConfigVersionConflict.
        """
        if created_by_key_id is not None:
            self._check_key(tenant_id, created_by_key_id)
        self._take_turn(tenant_id)
        text = json.dumps(document, ensure_ascii=False, sort_keys=True)
        digest = checksum(yaml_text)
        for attempt in range(1, VERSION_ATTEMPTS + 1):
            version = self._next_version(tenant_id)
            row = ConfigVersionRow(
                tenant_id=tenant_id,
                version=version,
                indicator_set_code=indicator_set_code,
                yaml_text=yaml_text,
                document=text,
                checksum=digest,
                created_by_key_id=created_by_key_id,
            )
            try:
                with self.session.begin_nested():
                    self.session.add(row)
                return to_config_version(row)
            except IntegrityError as exc:
                if not self._number_taken(tenant_id, version):
                    raise  # not a race: e.g. an unknown tenant or key id
                if attempt == VERSION_ATTEMPTS:
                    raise ConfigVersionConflict(
                        f"concurrent uploads took the next configuration version number {attempt} times "
                        f"in a row (last: {version}); nothing was stored, try again"
                    ) from exc
        raise AssertionError("unreachable")

    def _take_turn(self, tenant_id: int) -> None:
        """PostgreSQL: wait for the tenant's numbering lock (released when the transaction
        ends). Readers are not blocked; writers of other tenants neither."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:space, :tenant)"), {"space": _NUMBERING_LOCK_SPACE, "tenant": tenant_id})

    def _check_key(self, tenant_id: int, key_id: int) -> None:
        """The author must be a key of the same tenant (the FK alone allows any tenant's)."""
        owner = self.session.scalar(select(ApiKeyRow.tenant_id).where(ApiKeyRow.id == key_id))
        if owner != tenant_id:
            raise UnknownApiKey(f"tenant {tenant_id} has no API key {key_id}")

    def _next_version(self, tenant_id: int) -> int:
        highest = self.session.scalar(
            select(func.max(ConfigVersionRow.version)).where(scoped(self.session, ConfigVersionRow.tenant_id, tenant_id))
        )
        return (highest or 0) + 1

    def _number_taken(self, tenant_id: int, version: int) -> bool:
        return (
            self.session.scalar(
                select(ConfigVersionRow.id).where(
                    scoped(self.session, ConfigVersionRow.tenant_id, tenant_id), ConfigVersionRow.version == version
                )
            )
            is not None
        )

    def list(self, tenant_id: int) -> list[ConfigVersion]:
        rows = self.session.scalars(
            select(ConfigVersionRow)
            .where(scoped(self.session, ConfigVersionRow.tenant_id, tenant_id))
            .order_by(ConfigVersionRow.version)
        )
        return [to_config_version(r) for r in rows]

    def get(self, tenant_id: int, version: int) -> ConfigVersion | None:
        row = self.session.scalars(
            select(ConfigVersionRow).where(
                scoped(self.session, ConfigVersionRow.tenant_id, tenant_id), ConfigVersionRow.version == version
            )
        ).first()
        return to_config_version(row) if row is not None else None

    def latest(self, tenant_id: int) -> ConfigVersion | None:
        row = self.session.scalars(
            select(ConfigVersionRow)
            .where(scoped(self.session, ConfigVersionRow.tenant_id, tenant_id))
            .order_by(ConfigVersionRow.version.desc())
            .limit(1)
        ).first()
        return to_config_version(row) if row is not None else None
