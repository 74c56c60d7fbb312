"""Migrations build the schema on both databases, reversibly, and match the ORM models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, make_url, text

from core.db import current_revision, downgrade, head_revision, make_engine, upgrade
from core.db.base import Base

APP_TABLES = {"tenants", "api_keys", "config_versions", "responses", "audit_events", "idempotency_keys", "tenant_plugins", "answer_blocks", "cases", "case_events", "alerts", "webhook_endpoints", "webhook_deliveries", "webhook_attempts", "customers", "customer_grades", "service_requests", "purchases"}
# the newest migration; bump it with every new revision
HEAD = "0010_purchases"


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url):
    assert current_revision(db_url) is None
    assert not (_tables(db_url) & APP_TABLES)

    upgrade(db_url)
    assert current_revision(db_url) == head_revision() == HEAD
    assert APP_TABLES <= _tables(db_url)

    downgrade(db_url)
    assert current_revision(db_url) is None
    assert not (_tables(db_url) & APP_TABLES)

    upgrade(db_url)
    assert current_revision(db_url) == HEAD
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme')"))
            assert connection.execute(text("SELECT slug FROM tenants")).scalars().all() == ["acme"]
    finally:
        engine.dispose()


def test_upgrade_accepts_an_engine(db_url):
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == HEAD
        assert APP_TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(engine):
    """Autogenerate finds nothing to do: hand-written migration and models agree
    (columns, types, nullability, constraint and index names)."""
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []


def test_constraint_names_follow_the_convention(engine):
    inspector = inspect(engine)
    assert {u["name"] for u in inspector.get_unique_constraints("responses")} == {
        "uq_responses_tenant_id_response_key"
    }
    assert {u["name"] for u in inspector.get_unique_constraints("config_versions")} == {
        "uq_config_versions_tenant_id_version"
    }
    assert {i["name"] for i in inspector.get_indexes("responses")} >= {
        "ix_responses_tenant_id_version_collected_at"
    }
    assert {u["name"] for u in inspector.get_unique_constraints("tenant_plugins")} == {"uq_tenant_plugins_tenant_id_plugin"}
    plugin_fks = {fk["name"]: fk["options"].get("ondelete") for fk in inspector.get_foreign_keys("tenant_plugins")}
    assert plugin_fks == {"fk_tenant_plugins_tenant_id_tenants": "CASCADE", "fk_tenant_plugins_enabled_by_key_id_api_keys": "SET NULL"}
    fks = {fk["name"]: fk for fk in inspector.get_foreign_keys("responses")}
    assert fks["fk_responses_tenant_id_tenants"]["options"].get("ondelete") == "CASCADE"
    version_fks = {fk["name"]: fk for fk in inspector.get_foreign_keys("config_versions")}
    assert (
        version_fks["fk_config_versions_created_by_key_id_api_keys"]["options"].get("ondelete")
        == "SET NULL"
    )


def test_an_engine_built_from_the_url_reaches_the_same_database(migrated_db_url):
    """What create_app or the CLI will do: build their own engine from the URL string.

    On PostgreSQL the URL carries ``options=-csearch_path=<schema>``; psycopg 3 must pass it
    to libpq so the new connection works in the test's schema, not in ``public``.
    """
    writer = make_engine(migrated_db_url)
    reader = make_engine(migrated_db_url)
    try:
        with writer.begin() as connection:
            connection.execute(text("INSERT INTO tenants (slug, name) VALUES ('beta', 'Beta')"))
        with reader.connect() as connection:
            assert connection.execute(text("SELECT name FROM tenants")).scalars().all() == ["Beta"]
            if reader.dialect.name == "postgresql":
                schema = make_url(migrated_db_url).query["options"].split("=", 1)[1]
                assert schema.startswith("csm_t_")
                assert connection.execute(text("SELECT current_schema()")).scalar() == schema
    finally:
        writer.dispose()
        reader.dispose()
