"""API keys: created once (the plaintext is returned a single time), checked on every call.

Format ``csm_<prefix>_<secret>``: the prefix (8 characters of a-z0-9) is stored in clear and
indexed so a key is found without scanning; only the sha256 of the whole key is stored, so
a leaked database does not leak usable keys. The secret carries 256 bits of randomness, which
is why a fast unsalted hash is enough here (unlike passwords, keys cannot be guessed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.lookups import key_by_prefix
from core.db.records import ApiKey, AuthenticatedKey
from core.db.tables import ApiKeyRow
from core.db.tenancy import scoped

KEY_SCHEME = "csm"
PREFIX_ALPHABET = string.ascii_lowercase + string.digits
PREFIX_LENGTH = 8
_CREATE_ATTEMPTS = 3
# Compared against when the prefix is unknown, so a miss costs the same as a wrong secret.
_DUMMY_HASH = hashlib.sha256(b"csm-no-such-key").hexdigest()


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def parse_key(plaintext: str) -> tuple[str, str] | None:
    """Split ``csm_<prefix>_<secret>`` into (prefix, secret), or None if it is not a key.

    The secret may itself contain ``_`` (URL-safe base64), so split at most twice.
    """
    if not isinstance(plaintext, str):
        return None
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME:
        return None
    prefix, secret = parts[1], parts[2]
    if len(prefix) != PREFIX_LENGTH or any(c not in PREFIX_ALPHABET for c in prefix):
        return None
    if not secret:
        return None
    return prefix, secret


def new_key() -> tuple[str, str]:
    """A fresh (prefix, plaintext) pair."""
    prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    return prefix, f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"


def to_api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        prefix=row.prefix,
        role=row.role,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


class ApiKeyRepository:
    def __init__(self, session: Session):
        self.session = session

    def create(
        self,
        tenant_id: int,
        name: str,
        role: str = "admin",
        expires_at: datetime | None = None,
    ) -> tuple[ApiKey, str]:
        """Create a key; return its record and the plaintext (shown once, never stored)."""
        for attempt in range(_CREATE_ATTEMPTS):
            prefix, plaintext = new_key()
            row = ApiKeyRow(
                tenant_id=tenant_id,
                name=name,
                prefix=prefix,
                key_hash=hash_key(plaintext),
                role=role,
                expires_at=expires_at,
            )
            try:
                with self.session.begin_nested():
                    self.session.add(row)
                return to_api_key(row), plaintext
            except IntegrityError:
                # Only a prefix collision (1 in 36**8 per existing key) is worth a retry. The
                # colliding key may be another tenant's, which only the lookup can see.
                taken = key_by_prefix(self.session, prefix)
                if taken is None or attempt == _CREATE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def authenticate(self, plaintext: str, *, now: datetime | None = None) -> AuthenticatedKey | None:
        """The caller behind ``plaintext``, or None for unknown, wrong, revoked or expired keys.

        This is the one lookup that cannot be tenant-scoped: it is what finds the tenant
        (through ``core.db.lookups``, the narrow path past row-level security). The caller
        then binds its transaction to the key's tenant (``core.db.tenancy.bind_tenant``).
        """
        parsed = parse_key(plaintext)
        if parsed is None:
            return None
        prefix, _secret = parsed
        row = key_by_prefix(self.session, prefix)
        expected = row.key_hash if row is not None else _DUMMY_HASH
        matches = hmac.compare_digest(hash_key(plaintext), expected)
        if row is None or not matches:
            return None
        now = now or utcnow()
        if row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at <= now:
            return None
        return AuthenticatedKey(key_id=row.id, tenant_id=row.tenant_id, tenant_slug=row.tenant_slug, role=row.role)

    def get(self, tenant_id: int, key_id: int) -> ApiKey | None:
        row = self._row(tenant_id, key_id)
        return to_api_key(row) if row is not None else None

    def list(self, tenant_id: int) -> list[ApiKey]:
        rows = self.session.scalars(
            select(ApiKeyRow).where(scoped(self.session, ApiKeyRow.tenant_id, tenant_id)).order_by(ApiKeyRow.id)
        )
        return [to_api_key(r) for r in rows]

    def revoke(self, tenant_id: int, key_id: int, *, now: datetime | None = None) -> bool:
        """Revoke a key of this tenant. False if the tenant has no such key.

        Revoking twice keeps the first revocation time and still returns True.
        """
        row = self._row(tenant_id, key_id)
        if row is None:
            return False
        if row.revoked_at is None:
            row.revoked_at = now or utcnow()
            self.session.flush()
        return True

    def set_role(self, tenant_id: int, key_id: int, role: str) -> ApiKey | None:
        """Change a key's role; None if the tenant has no such key."""
        row = self._row(tenant_id, key_id)
        if row is None:
            return None
        row.role = role
        self.session.flush()
        return to_api_key(row)

    def _row(self, tenant_id: int, key_id: int) -> ApiKeyRow | None:
        return self.session.scalars(
            select(ApiKeyRow).where(scoped(self.session, ApiKeyRow.tenant_id, tenant_id), ApiKeyRow.id == key_id)
        ).first()
