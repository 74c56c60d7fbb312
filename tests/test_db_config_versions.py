"""Configuration versions: numbered per tenant, immutable, safe against racing writers."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.db import (
    ApiKeyRepository,
    ConfigVersionConflict,
    ConfigVersionRepository,
    TenantRepository,
    UnknownApiKey,
    make_engine,
    make_session_factory,
    unit_of_work,
)
from core.db.repositories.config_versions import VERSION_ATTEMPTS
from core.db.tables import ConfigVersionRow

DOCUMENT = {"code": "retail", "name_zh": "零售满意度", "weights": {"q1": 0.25, "q2": 0.75}}


@pytest.fixture
def tenants(session_factory):
    with unit_of_work(session_factory) as session:
        repo = TenantRepository(session)
        return repo.create("acme", "Acme").id, repo.create("beta", "Beta").id


def test_versions_count_up_per_tenant(session_factory, tenants):
    acme, beta = tenants
    with unit_of_work(session_factory) as session:
        repo = ConfigVersionRepository(session)
        numbers = [
            (repo.add(acme, "a: 1\n", {}, "x").version),
            (repo.add(acme, "a: 2\n", {}, "x").version),
            (repo.add(beta, "b: 1\n", {}, "y").version),
            (repo.add(acme, "a: 3\n", {}, "x").version),
        ]
    assert numbers == [1, 2, 1, 3]


def test_a_version_round_trips_with_its_checksum(session_factory, tenants):
    """sha256("abc") is the FIPS 180-2 test vector ba7816bf...20015ad."""
    acme, _ = tenants
    with unit_of_work(session_factory) as session:
        added = ConfigVersionRepository(session).add(acme, "abc", DOCUMENT, "retail")
    assert added.checksum == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    with unit_of_work(session_factory) as session:
        stored = ConfigVersionRepository(session).get(acme, 1)
    assert stored == added
    assert stored.document == DOCUMENT
    assert (stored.yaml_text, stored.indicator_set_code, stored.created_by_key_id) == ("abc", "retail", None)
    assert stored.created_at.utcoffset().total_seconds() == 0


def test_get_list_latest_see_only_the_tenants_own_versions(session_factory, tenants):
    acme, beta = tenants
    with unit_of_work(session_factory) as session:
        repo = ConfigVersionRepository(session)
        repo.add(acme, "a: 1\n", {"v": 1}, "x")
        repo.add(acme, "a: 2\n", {"v": 2}, "x")
    with unit_of_work(session_factory) as session:
        repo = ConfigVersionRepository(session)
        assert [v.version for v in repo.list(acme)] == [1, 2]
        assert repo.latest(acme).document == {"v": 2}
        assert repo.get(acme, 3) is None
        assert repo.list(beta) == []
        assert repo.latest(beta) is None
        assert repo.get(beta, 1) is None  # acme's version 1 exists, beta must not see it
        repo.add(beta, "b: 1\n", {"v": "b1"}, "y")
        assert repo.get(beta, 1).document == {"v": "b1"}
        assert repo.get(acme, 1).document == {"v": 1}


def test_the_database_refuses_a_repeated_version_number(session_factory, tenants):
    acme, beta = tenants
    with unit_of_work(session_factory) as session:
        ConfigVersionRepository(session).add(acme, "a", {}, "x")
    with pytest.raises(IntegrityError):
        with unit_of_work(session_factory) as session:
            session.add(
                ConfigVersionRow(
                    tenant_id=acme, version=1, indicator_set_code="x", yaml_text="", document="{}", checksum=""
                )
            )
            session.flush()
    with unit_of_work(session_factory) as session:  # the same number in another tenant is fine
        session.add(
            ConfigVersionRow(
                tenant_id=beta, version=1, indicator_set_code="x", yaml_text="", document="{}", checksum=""
            )
        )


def test_a_lost_race_is_retried_with_the_next_number(session_factory, tenants, monkeypatch):
    """Simulate a writer that read the highest number just before another committed: the
    first proposal collides, the retry reads again and takes the next free number."""
    acme, _ = tenants
    with unit_of_work(session_factory) as session:
        ConfigVersionRepository(session).add(acme, "a: 1\n", {}, "x")
    real_next = ConfigVersionRepository._next_version
    proposals = iter([1])  # stale: 1 is taken

    def stale_once(self, tenant_id):
        return next(proposals, None) or real_next(self, tenant_id)

    monkeypatch.setattr(ConfigVersionRepository, "_next_version", stale_once)
    with unit_of_work(session_factory) as session:
        assert ConfigVersionRepository(session).add(acme, "a: 2\n", {}, "x").version == 2
    with unit_of_work(session_factory) as session:
        assert [v.yaml_text for v in ConfigVersionRepository(session).list(acme)] == ["a: 1\n", "a: 2\n"]


def test_losing_every_attempt_gives_a_clear_error_and_keeps_the_transaction(session_factory, tenants, monkeypatch):
    acme, beta = tenants
    with unit_of_work(session_factory) as session:
        ConfigVersionRepository(session).add(acme, "a: 1\n", {}, "x")
    proposals = []
    monkeypatch.setattr(ConfigVersionRepository, "_next_version", lambda self, tenant_id: proposals.append(1) or 1)
    with unit_of_work(session_factory) as session:
        with pytest.raises(ConfigVersionConflict, match="try again"):
            ConfigVersionRepository(session).add(acme, "a: 2\n", {}, "x")
        assert len(proposals) == VERSION_ATTEMPTS
        TenantRepository(session).create("gamma", "Gamma")  # transaction still usable
    with unit_of_work(session_factory) as session:
        assert [v.version for v in ConfigVersionRepository(session).list(acme)] == [1]
        assert TenantRepository(session).get_by_slug("gamma") is not None


def test_other_integrity_errors_are_not_mistaken_for_races(session_factory, tenants):
    with pytest.raises(IntegrityError):
        with unit_of_work(session_factory) as session:
            ConfigVersionRepository(session).add(424242, "a", {}, "x")  # no such tenant


def test_the_author_key_must_belong_to_the_tenant(session_factory, tenants):
    acme, beta = tenants
    with unit_of_work(session_factory) as session:
        beta_key, _ = ApiKeyRepository(session).create(beta, "beta admin")
        repo = ConfigVersionRepository(session)
        with pytest.raises(UnknownApiKey):
            repo.add(acme, "a", {}, "x", created_by_key_id=beta_key.id)
        with pytest.raises(UnknownApiKey):
            repo.add(acme, "a", {}, "x", created_by_key_id=424242)
        assert repo.list(acme) == []
        assert repo.add(beta, "b", {}, "x", created_by_key_id=beta_key.id).created_by_key_id == beta_key.id


def test_concurrent_writers_both_get_a_number(migrated_db_url, tenants):
    """Two real transactions add a version at once. Writer B inserts version 1 and holds its
    transaction open; writer A starts meanwhile. On PostgreSQL A waits for the tenant's
    numbering lock B holds, on SQLite (BEGIN IMMEDIATE) for B's write lock; once B commits,
    A reads 1 and takes 2. Either way: {1, 2}."""
    acme, _ = tenants
    engine = make_engine(migrated_db_url)
    factory = make_session_factory(engine)
    outcome: dict = {}
    try:
        b = factory()
        b_version = ConfigVersionRepository(b).add(acme, "b\n", {}, "x").version
        a_started = threading.Event()
        a_pid: list[int] = []

        def writer_a():
            try:
                with unit_of_work(factory) as a:
                    if engine.dialect.name == "postgresql":
                        a_pid.append(a.execute(text("SELECT pg_backend_pid()")).scalar())
                    a_started.set()
                    outcome["a"] = ConfigVersionRepository(a).add(acme, "a\n", {}, "x").version
            except Exception as exc:  # reported by the assertion below
                outcome["error"] = exc
                a_started.set()

        thread = threading.Thread(target=writer_a)
        thread.start()
        a_started.wait(10)
        _wait_until_blocked(engine, a_pid)
        b.commit()
        b.close()
        thread.join(30)
        assert "error" not in outcome, outcome.get("error")
        assert {b_version, outcome["a"]} == {1, 2}
    finally:
        engine.dispose()


def _wait_until_blocked(engine, pids: list[int]) -> None:
    """On PostgreSQL, wait until writer A really waits on B's lock (at most 10 s)."""
    if engine.dialect.name != "postgresql" or not pids:
        time.sleep(0.2)  # SQLite: give A the moment to queue on the write lock
        return
    deadline = time.monotonic() + 10
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pids[0]},
            ).scalar()
            watcher.rollback()
            if waiting == "Lock":
                return
            time.sleep(0.02)
    raise AssertionError("writer A never blocked on writer B")

