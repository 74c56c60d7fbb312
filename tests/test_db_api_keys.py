"""API keys: shown once, stored hashed, found by prefix, refused when revoked or expired."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select

from core.db import (
    ApiKeyRepository,
    ConfigVersionRepository,
    TenantRepository,
    unit_of_work,
)
from core.db.repositories.api_keys import parse_key
from core.db.tables import ApiKeyRow

UTC = timezone.utc
KEY_SHAPE = re.compile(r"csm_([a-z0-9]{8})_([A-Za-z0-9_-]{43})")


@pytest.fixture
def tenants(session_factory):
    with unit_of_work(session_factory) as session:
        repo = TenantRepository(session)
        return repo.create("acme", "Acme").id, repo.create("beta", "Beta").id


def test_create_returns_the_plaintext_once_and_stores_only_its_hash(session_factory, tenants):
    acme, _ = tenants
    with unit_of_work(session_factory) as session:
        key, plaintext = ApiKeyRepository(session).create(acme, "ingest bot", role="ingest")
    match = KEY_SHAPE.fullmatch(plaintext)
    assert match, plaintext  # token_urlsafe(32): 32 bytes -> 43 base64url characters
    assert key.prefix == match.group(1)
    assert (key.tenant_id, key.name, key.role) == (acme, "ingest bot", "ingest")
    assert key.revoked_at is None and key.expires_at is None
    assert not hasattr(key, "key_hash")
    with unit_of_work(session_factory) as session:
        row = session.scalars(select(ApiKeyRow)).one()
        assert row.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
        stored = " ".join(str(getattr(row, c.key)) for c in ApiKeyRow.__table__.columns)
        assert match.group(2) not in stored


def test_default_role_is_admin(session_factory, tenants):
    with unit_of_work(session_factory) as session:
        key, _ = ApiKeyRepository(session).create(tenants[0], "console")
    assert key.role == "admin"


def test_authenticate_finds_the_key_and_its_tenant(session_factory, tenants):
    acme, _ = tenants
    with unit_of_work(session_factory) as session:
        key, plaintext = ApiKeyRepository(session).create(acme, "ingest", role="ingest")
    with unit_of_work(session_factory) as session:
        who = ApiKeyRepository(session).authenticate(plaintext)
    assert (who.key_id, who.tenant_id, who.tenant_slug, who.role) == (key.id, acme, "acme", "ingest")


def test_parse_key_splits_secrets_that_contain_underscores():
    assert parse_key("csm_abcd1234_se_cr_et-") == ("abcd1234", "se_cr_et-")
    assert parse_key("csm_ABCD1234_secret") is None
    assert parse_key("xyz_abcd1234_secret") is None
    assert parse_key("csm_abcd123_secret") is None
    assert parse_key("csm_abcd1234_") is None


def test_wrong_or_malformed_keys_are_refused(session_factory, tenants):
    with unit_of_work(session_factory) as session:
        repo = ApiKeyRepository(session)
        _key, plaintext = repo.create(tenants[0], "ingest")
        prefix, secret = parse_key(plaintext)
        flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
        other_prefix = "zzzzzzzz" if prefix != "zzzzzzzz" else "yyyyyyyy"
        for candidate in [
            f"csm_{prefix}_{flipped}",  # right prefix, wrong secret
            f"csm_{other_prefix}_{secret}",  # unknown prefix
            plaintext + "x",
            plaintext.upper(),
            "",
            "Bearer " + plaintext,
            f"csm_{prefix}",
        ]:
            assert repo.authenticate(candidate) is None, candidate
        assert repo.authenticate(plaintext) is not None


def test_revoked_keys_stop_working_and_only_their_tenant_can_revoke_them(session_factory, tenants):
    acme, beta = tenants
    with unit_of_work(session_factory) as session:
        key, plaintext = ApiKeyRepository(session).create(acme, "ingest")
    with unit_of_work(session_factory) as session:
        repo = ApiKeyRepository(session)
        assert repo.revoke(beta, key.id) is False  # beta cannot touch acme's key
        assert repo.revoke(acme, key.id + 999) is False
    with unit_of_work(session_factory) as session:
        repo = ApiKeyRepository(session)
        assert repo.authenticate(plaintext) is not None
        assert repo.get(acme, key.id).revoked_at is None
        at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert repo.revoke(acme, key.id, now=at) is True
        assert repo.revoke(acme, key.id) is True  # idempotent, keeps the first time
    with unit_of_work(session_factory) as session:
        repo = ApiKeyRepository(session)
        assert repo.authenticate(plaintext) is None
        assert repo.get(acme, key.id).revoked_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert repo.get(beta, key.id) is None


def test_expired_keys_are_refused(session_factory, tenants):
    acme, _ = tenants
    expiry = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    with unit_of_work(session_factory) as session:
        repo = ApiKeyRepository(session)
        _, past = repo.create(acme, "old", expires_at=datetime(2020, 1, 1, tzinfo=UTC))
        _, future = repo.create(acme, "new", expires_at=expiry)
    with unit_of_work(session_factory) as session:
        repo = ApiKeyRepository(session)
        assert repo.authenticate(past) is None
        assert repo.authenticate(future) is not None
        assert repo.authenticate(future, now=expiry - timedelta(seconds=1)) is not None
        assert repo.authenticate(future, now=expiry) is None  # expiry instant is exclusive


def test_list_is_scoped_to_the_tenant(session_factory, tenants):
    acme, beta = tenants
    with unit_of_work(session_factory) as session:
        repo = ApiKeyRepository(session)
        repo.create(acme, "one")
        repo.create(acme, "two")
        repo.create(beta, "three")
    with unit_of_work(session_factory) as session:
        repo = ApiKeyRepository(session)
        assert [k.name for k in repo.list(acme)] == ["one", "two"]
        assert [k.name for k in repo.list(beta)] == ["three"]
        assert {k.tenant_id for k in repo.list(beta)} == {beta}


def test_prefixes_are_unique_across_tenants(session_factory, tenants):
    acme, beta = tenants
    with unit_of_work(session_factory) as session:
        ApiKeyRepository(session).create(acme, "one")
    with pytest.raises(Exception) as raised:
        with unit_of_work(session_factory) as session:
            prefix = session.scalars(select(ApiKeyRow.prefix)).one()
            session.add(ApiKeyRow(tenant_id=beta, name="copy", prefix=prefix, key_hash="0" * 64))
            session.flush()
    assert "unique" in str(raised.value).lower()


def test_deleting_a_key_keeps_the_versions_it_created(session_factory, tenants):
    acme, _ = tenants
    with unit_of_work(session_factory) as session:
        key, _ = ApiKeyRepository(session).create(acme, "author")
        version = ConfigVersionRepository(session).add(acme, "a: 1\n", {}, "x", created_by_key_id=key.id)
        assert version.created_by_key_id == key.id
    with unit_of_work(session_factory) as session:
        session.execute(delete(ApiKeyRow).where(ApiKeyRow.id == key.id))
    with unit_of_work(session_factory) as session:
        kept = ConfigVersionRepository(session).get(acme, 1)
    assert kept is not None and kept.created_by_key_id is None
