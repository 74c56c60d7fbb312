"""Tenants: slug rules, lookups, and deletion that takes every owned row with it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.config import load_config
from core.db import (
    ApiKeyRepository,
    ConfigVersionRepository,
    InvalidSlug,
    ResponseRepository,
    SlugTaken,
    TenantRepository,
    unit_of_work,
)
from core.db.tables import ApiKeyRow, ConfigVersionRow, ResponseRow, TenantRow
from core.ingest import batch_from_records, prepare_rows
from tests.helpers import STORE_YAML

STORE_ISET = load_config(STORE_YAML).indicator_set


@pytest.mark.parametrize("slug", ["ab", "acme", "0day", "acme-retail-2", "a" * 63, "a-"])
def test_valid_slugs_are_accepted(session_factory, slug):
    with unit_of_work(session_factory) as session:
        tenant = TenantRepository(session).create(slug, "Name")
    assert tenant.slug == slug


@pytest.mark.parametrize(
    "slug",
    ["", "a", "-acme", "Acme", "acme_retail", "acme retail", "ac.me", "a" * 64, "ümlaut", "acme\n"],
)
def test_invalid_slugs_are_refused_before_touching_the_database(session_factory, slug):
    with unit_of_work(session_factory) as session:
        with pytest.raises(InvalidSlug):
            TenantRepository(session).create(slug, "Name")
        assert session.scalar(select(func.count()).select_from(TenantRow)) == 0
    assert issubclass(InvalidSlug, ValueError)


def test_create_get_list(session_factory):
    with unit_of_work(session_factory) as session:
        repo = TenantRepository(session)
        acme = repo.create("acme", "Acme 超市")
        beta = repo.create("beta", "Beta")
    with unit_of_work(session_factory) as session:
        repo = TenantRepository(session)
        assert repo.get(acme.id) == acme
        assert repo.get_by_slug("beta") == beta
        assert repo.get(beta.id + 1000) is None
        assert repo.get_by_slug("gamma") is None
        assert [t.slug for t in repo.list()] == ["acme", "beta"]
        assert repo.get(acme.id).name == "Acme 超市"
        assert acme.created_at.utcoffset().total_seconds() == 0


def test_a_taken_slug_is_refused_and_the_transaction_survives(session_factory):
    with unit_of_work(session_factory) as session:
        repo = TenantRepository(session)
        repo.create("acme", "Acme")
        with pytest.raises(SlugTaken):
            repo.create("acme", "Another Acme")
        repo.create("beta", "Beta")  # same transaction, still usable
    with unit_of_work(session_factory) as session:
        assert [(t.slug, t.name) for t in TenantRepository(session).list()] == [
            ("acme", "Acme"),
            ("beta", "Beta"),
        ]


def _populate(session, slug: str) -> int:
    tenant = TenantRepository(session).create(slug, slug.title())
    key, _ = ApiKeyRepository(session).create(tenant.id, "ingest")
    version = ConfigVersionRepository(session).add(
        tenant.id, "set: x\n", {"code": "x"}, "x", created_by_key_id=key.id
    )
    items = [
        {"response_id": f"{slug}-{i}", "customer_id": f"c{i}", "touchpoint": "store", "collected_at": f"2024-05-0{i}T10:00:00Z", "answers": {"env_overall": option}}
        for i, option in ((1, "A"), (2, "B"))
    ]
    rows = prepare_rows(batch_from_records(items, STORE_ISET), STORE_ISET)
    ResponseRepository(session).insert_many(tenant.id, version.id, version.version, rows)
    return tenant.id


def test_deleting_a_tenant_cascades_to_everything_it_owns(session_factory):
    with unit_of_work(session_factory) as session:
        acme = _populate(session, "acme")
        beta = _populate(session, "beta")
    with unit_of_work(session_factory) as session:
        assert TenantRepository(session).delete(acme) is True
        assert TenantRepository(session).delete(acme) is False
    with unit_of_work(session_factory) as session:
        remaining = {
            table.__tablename__: dict(
                session.execute(select(table.tenant_id, func.count()).group_by(table.tenant_id)).all()
            )
            for table in (ApiKeyRow, ConfigVersionRow, ResponseRow)
        }
        # _populate made 1 key, 1 version and 2 responses per tenant; only beta's are left.
        assert remaining == {
            "api_keys": {beta: 1},
            "config_versions": {beta: 1},
            "responses": {beta: 2},
        }
        assert [t.slug for t in TenantRepository(session).list()] == ["beta"]
