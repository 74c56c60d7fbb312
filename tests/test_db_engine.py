"""Engine settings, the unit of work, and UTC timestamps on both databases."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from core.db import make_engine, make_session_factory, unit_of_work, upgrade
from core.db.tables import TenantRow

UTC = timezone.utc
PLUS_8 = timezone(timedelta(hours=8))


def test_sqlite_connections_get_the_pragmas_and_the_directory(tmp_path):
    path = tmp_path / "not" / "yet" / "there.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("foreign_keys") == 1
            assert pragma("journal_mode") == "wal"
            assert pragma("busy_timeout") == 5000
        assert path.exists()
    finally:
        engine.dispose()


def test_sqlite_begin_mode_is_checked(tmp_path):
    with pytest.raises(ValueError, match="sqlite_begin"):
        make_engine(f"sqlite:///{tmp_path / 'x.db'}", sqlite_begin="EXCLUSIVE-ISH")


@pytest.mark.parametrize(("mode", "other_writer_blocked"), [("IMMEDIATE", True), ("DEFERRED", False)])
def test_sqlite_immediate_transactions_take_the_write_lock_up_front(tmp_path, mode, other_writer_blocked):
    """IMMEDIATE (the default) holds the write lock from BEGIN, even before any write, so a
    second writer waits instead of later failing on a stale snapshot; DEFERRED does not."""
    path = tmp_path / "lock.db"
    engine = make_engine(f"sqlite:///{path}", sqlite_begin=mode)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))  # opens the transaction, reads only
            if other_writer_blocked:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("CREATE TABLE t (x INTEGER)")
            else:
                other.execute("CREATE TABLE t (x INTEGER)")
    finally:
        other.close()
        engine.dispose()


def test_unit_of_work_commits_once_at_the_end(session_factory):
    with unit_of_work(session_factory) as session:
        session.add(TenantRow(slug="acme", name="Acme"))
    with unit_of_work(session_factory) as session:
        assert session.scalars(select(TenantRow.slug)).all() == ["acme"]


def test_unit_of_work_rolls_back_everything_on_error(session_factory):
    with pytest.raises(RuntimeError, match="boom"):
        with unit_of_work(session_factory) as session:
            session.add(TenantRow(slug="acme", name="Acme"))
            session.flush()  # the row reached the database inside the transaction ...
            raise RuntimeError("boom")
    with unit_of_work(session_factory) as session:  # ... and is gone
        assert session.scalars(select(TenantRow)).all() == []


def test_timestamps_come_back_as_the_same_instant_in_utc(session_factory):
    """2024-03-10 08:30 at +08:00 is 2024-03-10 00:30 UTC; that is what must come back,
    tz-aware, on SQLite (which has no time zones) as on PostgreSQL."""
    written = datetime(2024, 3, 10, 8, 30, 15, 123456, tzinfo=PLUS_8)
    with unit_of_work(session_factory) as session:
        session.add(TenantRow(slug="acme", name="Acme", created_at=written))
    with unit_of_work(session_factory) as session:
        read = session.scalars(select(TenantRow.created_at)).one()
        assert read == written
        assert read.utcoffset() == timedelta(0)
        assert read.replace(tzinfo=None) == datetime(2024, 3, 10, 0, 30, 15, 123456)
        # Comparisons in SQL use the same instant, whatever offset the bound value has.
        bound = datetime(2024, 3, 10, 0, 30, 15, 123456, tzinfo=UTC)
        assert session.scalars(select(TenantRow.slug).where(TenantRow.created_at == bound)).all() == ["acme"]


def test_sqlite_stores_the_utc_wall_clock(tmp_path):
    url = f"sqlite:///{tmp_path / 'tz.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            at = datetime(2024, 3, 10, 8, 30, tzinfo=PLUS_8)
            session.add(TenantRow(slug="acme", name="Acme", created_at=at))
            session.flush()
            raw = session.execute(text("SELECT created_at FROM tenants")).scalar()
        assert raw == "2024-03-10 00:30:00.000000"
    finally:
        engine.dispose()


def test_server_default_timestamps_are_utc_too(session_factory):
    """Rows inserted by plain SQL get CURRENT_TIMESTAMP, read back tz-aware UTC."""
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    with unit_of_work(session_factory) as session:
        session.execute(text("INSERT INTO tenants (slug, name) VALUES ('raw', 'Raw')"))
    with unit_of_work(session_factory) as session:
        created = session.scalars(select(TenantRow.created_at)).one()
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
    assert before <= created <= datetime.now(UTC) + timedelta(seconds=1)


def test_naive_datetimes_are_refused(session_factory):
    with pytest.raises(Exception, match="naive datetime refused"):
        with unit_of_work(session_factory) as session:
            session.add(TenantRow(slug="acme", name="Acme", created_at=datetime(2024, 3, 10, 8, 30)))
            session.flush()
