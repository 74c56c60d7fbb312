"""Row-level security on PostgreSQL: the catalog facts, what the application's role can and
cannot see or write, the per-transaction tenant, the narrow cross-tenant lookups, and the
migration that installs it all (a no-op on SQLite).

Rows are put in place through the API (so every tenant table has rows of two tenants) and
then read three ways: as the owner (the superuser of the test server: skips row-level
security, so it sees the truth), as the application's role unbound, and bound to a tenant.
The cross-tenant endpoint matrix is in test_isolation.py.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy import func, inspect, make_url, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.pool import NullPool

from core.app import create_app
from core.db import (
    current_revision,
    downgrade,
    make_engine,
    make_session_factory,
    unit_of_work,
    upgrade,
)
from core.db.base import Base
from core.db.engine import url_with_search_path
from core.db.login_roles import UnsafeAppRole, grant_app_role, role_facts
from core.db.lookups import LOOKUP_FUNCTIONS, all_tenants, key_by_prefix, tenant_by_slug
from core.db.repositories import ApiKeyRepository, ResponseRepository, TenantRepository
from core.db.repositories import api_keys as api_keys_module
from core.db.tenancy import (
    bind_tenant,
    bound_tenant,
    database_tenant,
    without_app_filter,
)
from tests.helpers import (
    APP_PASSWORD,
    APP_ROLE,
    OPERATOR_KEY,
    STORE_YAML,
    TENANT_TABLES,
    TWO,
    TenantHandle,
    auth,
    CUSTOMER_SECTIONS,
    fill_cases_and_webhooks,
    fill_customers,
    is_postgres,
    pg_base_url,
)


def test_the_tenant_tables_are_the_eighteen_expected():
    assert set(TENANT_TABLES) == {
        "tenants", "api_keys", "config_versions", "responses", "audit_events", "idempotency_keys", "tenant_plugins", "answer_blocks",
        "cases", "case_events", "alerts", "webhook_endpoints", "webhook_deliveries", "webhook_attempts",
        "customers", "customer_grades", "service_requests", "purchases",
    }


@pytest.fixture
def pg(app_db_url):
    # Row-level security is PostgreSQL's (on SQLite the application filter is the lock):
    # tests using this fixture are marked `postgres`, whose SQLite variants are deselected.
    assert is_postgres(app_db_url), "mark the test @pytest.mark.postgres"
    return app_db_url


@pytest.fixture
def app_engine(pg):
    """Raw connections as the application's role (pool of one: a reused connection must not
    carry a tenant over from the previous transaction)."""
    engine = make_engine(pg, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture
def two_tenants(make_tenant, app):
    """acme and beta through the API, each with rows in every tenant table: a config
    version, the two responses of helpers.TWO (same response ids in both), an extra key,
    an Idempotency-Key, an enabled plugin, audit events, a case, its event and alert, a
    webhook endpoint, a delivery and its attempt, a graded customer and its service request."""
    out = []
    for slug in ("acme", "beta"):
        t = make_tenant(slug)
        t.upload(STORE_YAML + CUSTOMER_SECTIONS)
        r = t.post("/api/v1/responses", json={"responses": TWO}, headers={"Idempotency-Key": "first-load"})
        assert r.status_code == 201, r.json
        assert t.post("/api/v1/keys", json={"name": "viewer", "role": "viewer"}).status_code == 201
        assert t.put("/api/v1/tenant/plugins/retail").status_code == 200
        fill_cases_and_webhooks(app, t, slug)
        fill_customers(t, slug)
        out.append(t)
    return out


def owner_counts(engine, tenant_id):
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table} WHERE {column} = :t"), {"t": tenant_id}).scalar()
            for table, column in TENANT_TABLES.items()
        }


def counts(connection):
    return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in TENANT_TABLES}


# --- catalog facts ----------------------------------------------------------------------


@pytest.mark.postgres
def test_every_table_but_alembics_has_forced_row_level_security_and_the_policy(pg, engine):
    with engine.connect() as connection:
        flags = dict(
            connection.execute(
                text(
                    "SELECT c.relname, (c.relrowsecurity AND c.relforcerowsecurity) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                )
            ).all()
        )
        policies = {
            (row.tablename, row.policyname): row
            for row in connection.execute(
                text("SELECT tablename, policyname, cmd, roles, qual, with_check FROM pg_policies WHERE schemaname = current_schema()")
            )
        }
    assert flags.pop("alembic_version") is False
    assert flags == dict.fromkeys(TENANT_TABLES, True)
    for table, column in TENANT_TABLES.items():
        policy = policies.pop((table, "tenant_isolation"))
        expected = f"({column} = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::integer)"
        assert (policy.cmd, policy.roles, policy.qual, policy.with_check) == ("ALL", ["public"], expected, expected)
    # The only other policies: read-only lookups for the owner (here the superuser that
    # migrated) on the two tables the lookup functions read.
    assert {key: (p.cmd, p.roles, p.qual) for key, p in policies.items()} == {
        ("tenants", "owner_lookup"): ("SELECT", ["postgres"], "true"),
        ("api_keys", "owner_lookup"): ("SELECT", ["postgres"], "true"),
    }


@pytest.mark.postgres
def test_the_app_role_is_no_superuser_has_no_bypassrls_and_owns_nothing(pg, app_engine, engine):
    with app_engine.connect() as connection:
        me = connection.execute(
            text("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
        owners = connection.execute(
            text(
                "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'S', 'v', 'm', 'p')"
            )
        ).scalars().all()
        member_of_owner = connection.execute(
            text(
                "SELECT bool_or(pg_has_role(current_user, c.relowner, 'MEMBER')) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
            )
        ).scalar()
    assert tuple(me) == (APP_ROLE, False, False)
    assert owners == ["postgres"] and member_of_owner is False
    with engine.connect() as connection:
        assert role_facts(connection, APP_ROLE).owned_tables == ()


@pytest.mark.postgres
def test_grants_refuse_a_role_that_would_skip_row_level_security(pg, engine):
    with engine.begin() as connection, pytest.raises(UnsafeAppRole, match="superuser"):
        grant_app_role(connection, "postgres")


@pytest.mark.postgres
def test_lookup_functions_are_security_definer_with_a_fixed_search_path_and_not_public(pg, engine):
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.proname, p.prosecdef, p.proconfig, "
                "EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0) AS public_exec, "
                "has_function_privilege(:app, p.oid, 'EXECUTE') AS app_exec "
                "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
            ),
            {"app": APP_ROLE},
        ).all()
        schema = connection.execute(text("SELECT current_schema()")).scalar()
    assert {r.proname for r in rows} == set(LOOKUP_FUNCTIONS)
    for r in rows:
        assert r.prosecdef is True and r.public_exec is False and r.app_exec is True, r
        assert r.proconfig == [f"search_path={schema}, pg_temp"]


# --- what the application's role sees ----------------------------------------------------


@pytest.mark.postgres
def test_unbound_the_app_role_sees_zero_rows_in_every_tenant_table(pg, two_tenants, engine, app_engine):
    acme, beta = two_tenants
    for t in (acme, beta):
        assert all(n > 0 for n in owner_counts(engine, t.id).values()), owner_counts(engine, t.id)
    with app_engine.begin() as connection:
        assert connection.execute(text("SELECT current_setting('app.tenant_id', true)")).scalar() is None
        assert counts(connection) == dict.fromkeys(TENANT_TABLES, 0)


@pytest.mark.postgres
def test_bound_the_app_role_sees_exactly_its_tenants_rows(pg, two_tenants, engine, app_engine):
    acme, beta = two_tenants
    for t in (acme, beta):
        with app_engine.begin() as connection:
            connection.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(t.id)})
            assert counts(connection) == owner_counts(engine, t.id)
    # committed above: on the same pooled connection the setting is now '' (not NULL),
    # which the policy's NULLIF turns into "no tenant" rather than an error
    with app_engine.begin() as connection:
        assert connection.execute(text("SELECT current_setting('app.tenant_id', true)")).scalar() == ""
        assert counts(connection) == dict.fromkeys(TENANT_TABLES, 0)


@pytest.mark.postgres
def test_the_app_role_cannot_write_rows_of_another_tenant_or_of_none(pg, two_tenants, engine, app_engine):
    acme, beta = two_tenants
    before = owner_counts(engine, beta.id)
    with engine.connect() as connection:
        version_id = connection.execute(text("SELECT id FROM config_versions WHERE tenant_id = :t"), {"t": beta.id}).scalar()
    insert = text(
        "INSERT INTO responses (tenant_id, config_version_id, version, response_key, collected_at, answers) "
        "VALUES (:t, :v, 1, 'planted', now(), '{}')"
    )
    for bound in (None, acme.id):
        with app_engine.connect() as connection, connection.begin():
            if bound is not None:
                connection.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(bound)})
            updated = connection.execute(text("UPDATE responses SET answers = '{}' WHERE tenant_id = :t"), {"t": beta.id}).rowcount
            deleted = connection.execute(text("DELETE FROM api_keys WHERE tenant_id = :t"), {"t": beta.id}).rowcount
            renamed = connection.execute(text("UPDATE tenants SET name = 'pwned' WHERE id = :t"), {"t": beta.id}).rowcount
            assert (updated, deleted, renamed) == (0, 0, 0)
        with app_engine.connect() as connection, pytest.raises(ProgrammingError, match="row-level security"), connection.begin():
            if bound is not None:
                connection.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(bound)})
            connection.execute(insert, {"t": beta.id, "v": version_id})
    # Bound to acme, a row of acme's may not be moved to beta either.
    with app_engine.connect() as connection, pytest.raises(ProgrammingError, match="row-level security"), connection.begin():
        connection.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(acme.id)})
        connection.execute(text("UPDATE responses SET tenant_id = :b WHERE tenant_id = :a"), {"a": acme.id, "b": beta.id})
    assert owner_counts(engine, beta.id) == before


@pytest.mark.postgres
def test_the_app_role_cannot_enable_or_disable_another_tenants_plugins(pg, two_tenants, engine, app_engine):
    acme, beta = two_tenants
    before = owner_counts(engine, beta.id)
    bind = text("SELECT set_config('app.tenant_id', :t, true)")
    with app_engine.connect() as connection, connection.begin():
        connection.execute(bind, {"t": str(acme.id)})
        assert connection.execute(text("DELETE FROM tenant_plugins WHERE tenant_id = :t"), {"t": beta.id}).rowcount == 0
        assert connection.execute(text("UPDATE tenant_plugins SET plugin = 'x' WHERE tenant_id = :t"), {"t": beta.id}).rowcount == 0
    with app_engine.connect() as connection, pytest.raises(ProgrammingError, match="row-level security"), connection.begin():
        connection.execute(bind, {"t": str(acme.id)})
        connection.execute(text("INSERT INTO tenant_plugins (tenant_id, plugin) VALUES (:t, 'planted')"), {"t": beta.id})
    assert owner_counts(engine, beta.id) == before


@pytest.mark.postgres
def test_copy_from_is_refused_under_row_level_security(pg, two_tenants, app_engine):
    """Why ingest copies into a staging table first (ResponseRepository._copy_rows)."""
    acme, _ = two_tenants
    with app_engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(acme.id)})
        cursor = connection.connection.driver_connection.cursor()
        refused = pytest.raises(psycopg.errors.FeatureNotSupported, match="COPY FROM not supported with row-level security")
        with refused, cursor.copy("COPY responses (tenant_id) FROM STDIN") as copy:
            copy.write_row((acme.id,))


# --- the per-transaction tenant -----------------------------------------------------------


@pytest.mark.postgres
def test_bind_tenant_survives_commit_and_rollback_and_never_leaks_to_the_next_session(pg, two_tenants, app_engine):
    acme, beta = two_tenants
    factory = make_session_factory(app_engine)
    session = factory()
    try:
        bind_tenant(session, acme.id)
        assert bound_tenant(session) == acme.id and database_tenant(session) == acme.id
        assert ResponseRepository(session).count(acme.id) == 2
        session.commit()
        assert database_tenant(session) == acme.id  # set again in the new transaction
        assert ResponseRepository(session).count(acme.id) == 2
        with pytest.raises(DBAPIError):
            session.execute(text("SELECT 1 / 0"))
        session.rollback()
        assert database_tenant(session) == acme.id
        assert ResponseRepository(session).count(beta.id) == 0  # beta's rows stay hidden
        bind_tenant(session, beta.id)  # switching tenant inside a transaction
        assert ResponseRepository(session).count(beta.id) == 2
    finally:
        session.close()
    # The same pooled connection (pool of one), a new session that binds nothing: no tenant.
    with unit_of_work(factory) as fresh:
        assert bound_tenant(fresh) is None and database_tenant(fresh) is None
        assert ResponseRepository(fresh).count(acme.id) == 0


def test_creating_a_tenant_binds_to_it_and_sqlite_only_records_the_binding(migrated_db_url, session_factory):
    with unit_of_work(session_factory) as session:
        acme = TenantRepository(session).create("acme", "Acme")
        assert bound_tenant(session) == acme.id
        assert database_tenant(session) == (acme.id if is_postgres(migrated_db_url) else None)
        bind_tenant(session, 41)
        assert bound_tenant(session) == 41
        assert database_tenant(session) == (41 if is_postgres(migrated_db_url) else None)


# --- the narrow cross-tenant paths ----------------------------------------------------------


@pytest.mark.postgres
def test_lookups_cross_tenants_and_return_only_what_they_must(pg, two_tenants, app_engine):
    acme, beta = two_tenants
    prefix = beta.key.split("_")[1]
    with unit_of_work(make_session_factory(app_engine)) as session:
        bind_tenant(session, acme.id)
        found = key_by_prefix(session, prefix)
        assert (found.tenant_id, found.tenant_slug, found.role) == (beta.id, "beta", "admin")
        assert found.key_hash == api_keys_module.hash_key(beta.key)
        assert tenant_by_slug(session, "beta").id == beta.id
        assert [t.slug for t in all_tenants(session)] == ["acme", "beta"]
        assert key_by_prefix(session, "zzzzzzzz") is None and tenant_by_slug(session, "nobody") is None
        # ...while the tables behind them still show acme's rows only
        assert session.execute(text("SELECT DISTINCT tenant_id FROM api_keys")).scalars().all() == [acme.id]
        assert session.execute(text("SELECT slug FROM tenants")).scalars().all() == ["acme"]


def test_a_prefix_taken_by_another_tenant_is_retried(app, two_tenants, monkeypatch):
    """Key creation retries on a prefix collision; under row-level security the colliding
    key (beta's) is invisible to acme's transaction, so the check must use the lookup."""
    acme, beta = two_tenants
    taken = beta.key.split("_")[1]
    fresh = iter([(taken, f"csm_{taken}_x"), ("fresh123", "csm_fresh123_y")])
    monkeypatch.setattr(api_keys_module, "new_key", lambda: next(fresh))
    with app.app_context(), unit_of_work(app.extensions["csm"].sessions) as session:
        bind_tenant(session, acme.id)
        key, plaintext = ApiKeyRepository(session).create(acme.id, "after a collision")
    assert (key.prefix, plaintext) == ("fresh123", "csm_fresh123_y")


def test_the_operator_creates_lists_and_deletes_tenants_through_row_level_security(client, two_tenants, engine):
    _acme, beta = two_tenants
    op = auth(OPERATOR_KEY)
    assert [t["slug"] for t in client.get("/api/v1/tenants", headers=op).json] == ["acme", "beta"]
    gamma = TenantHandle(client, "gamma")
    assert gamma.get("/api/v1/tenant").json["slug"] == "gamma"
    dup = client.post("/api/v1/tenants", json={"slug": "beta", "name": "Again"}, headers=op)
    assert dup.status_code == 409
    r = client.delete("/api/v1/tenants/gamma", json={"confirm": "gamma"}, headers=op)
    assert r.status_code == 204, r.json
    assert [t["slug"] for t in client.get("/api/v1/tenants", headers=op).json] == ["acme", "beta"]
    assert owner_counts(engine, gamma.id) == dict.fromkeys(TENANT_TABLES, 0)
    assert all(n > 0 for n in owner_counts(engine, beta.id).values())


# --- the application-filter switch ----------------------------------------------------------


def test_the_app_filter_switch_really_removes_the_filter_on_postgresql(two_tenants, session_factory, migrated_db_url):
    """The owner here is a superuser and skips row-level security, so with the switch off
    only the application filter could keep beta's keys out of acme's listing: it does not.
    This is what makes the second, filter-off run of the isolation matrix meaningful. On
    SQLite the switch is ignored, since there the filter is the only lock."""
    acme, beta = two_tenants
    with unit_of_work(session_factory) as session:
        filtered = {k.tenant_id for k in ApiKeyRepository(session).list(acme.id)}
    with unit_of_work(without_app_filter(session_factory)) as session:
        unfiltered = {k.tenant_id for k in ApiKeyRepository(session).list(acme.id)}
        responses = ResponseRepository(session).count(acme.id)
    assert filtered == {acme.id}
    if is_postgres(migrated_db_url):
        assert unfiltered == {acme.id, beta.id} and responses == 4
    else:
        assert unfiltered == {acme.id} and responses == 2


# --- a non-superuser owner, as in production ----------------------------------------------


OWNER_ROLE = "csm_owner_test"


@pytest.fixture
def owned_schema(request, db_url):
    """A schema owned by a LOGIN role that is neither superuser nor BYPASSRLS (it will
    migrate it): (owner URL, app URL)."""
    assert is_postgres(db_url), "roles are PostgreSQL's: mark the test @pytest.mark.postgres"
    pg_admin_engine = request.getfixturevalue("pg_admin_engine")
    request.getfixturevalue("pg_app_role")
    with pg_admin_engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(7365)"))
        if connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": OWNER_ROLE}).scalar() is None:
            connection.execute(text(f"CREATE ROLE {OWNER_ROLE} LOGIN PASSWORD 'csm-owner-test' NOSUPERUSER NOBYPASSRLS"))
        schema = "csm_o_" + uuid.uuid4().hex[:12]
        connection.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION {OWNER_ROLE}'))
    base = url_with_search_path(pg_base_url(), schema)
    owner_url = make_url(base).set(username=OWNER_ROLE, password="csm-owner-test").render_as_string(hide_password=False)
    app_url = make_url(base).set(username=APP_ROLE, password=APP_PASSWORD).render_as_string(hide_password=False)
    try:
        yield owner_url, app_url
    finally:
        with pg_admin_engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.mark.postgres
def test_with_a_non_superuser_owner_force_binds_the_owner_too_and_the_app_works(owned_schema):
    owner_url, app_url = owned_schema
    upgrade(owner_url)
    owner = make_engine(owner_url, poolclass=NullPool)
    try:
        with owner.begin() as connection:
            assert connection.execute(text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")).scalar() is False
            grant_app_role(connection, APP_ROLE)
        app = create_app({"DATABASE_URL": app_url, "OPERATOR_KEY": OPERATOR_KEY})
        try:
            client = app.test_client()
            acme, beta = TenantHandle(client, "acme"), TenantHandle(client, "beta")
            for t in (acme, beta):
                t.upload(STORE_YAML)
                assert t.post("/api/v1/responses", json={"responses": TWO}).status_code == 201
                assert t.get("/api/v1/scores").json["n"] == 2
            assert [x["slug"] for x in client.get("/api/v1/tenants", headers=auth(OPERATOR_KEY)).json] == ["acme", "beta"]
        finally:
            app.extensions["csm"].engine.dispose()
        with owner.begin() as connection:
            # FORCE: the owner itself sees no tenant data without a bound tenant, and may
            # write nothing; only the two lookup tables are readable to it (read-only).
            seen = counts(connection)
            assert seen == {**dict.fromkeys(TENANT_TABLES, 0), "tenants": 2, "api_keys": 2}
            assert connection.execute(text("UPDATE api_keys SET role = 'viewer'")).rowcount == 0
            connection.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(acme.id)})
            assert counts(connection)["responses"] == 2
    finally:
        owner.dispose()


# --- the migration ----------------------------------------------------------------------


def _schema_sql(connection) -> list[str]:
    return sorted(connection.execute(text("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")).scalars())


# The tables migration 0003 put under row-level security (tenant_plugins came with 0006).
TABLES_0003 = ["api_keys", "audit_events", "config_versions", "idempotency_keys", "responses", "tenants"]


def test_migration_0003_installs_and_removes_row_level_security(db_url):
    upgrade(db_url, "0002")
    engine = make_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            before = _rls_state(connection) if is_postgres(db_url) else _schema_sql(connection)
        upgrade(db_url, "0003")
        assert current_revision(db_url) == "0003"
        with engine.connect() as connection:
            during = _rls_state(connection) if is_postgres(db_url) else _schema_sql(connection)
        downgrade(db_url, "0002")
        with engine.connect() as connection:
            after = _rls_state(connection) if is_postgres(db_url) else _schema_sql(connection)
    finally:
        engine.dispose()
    assert before == after
    if is_postgres(db_url):
        assert before == {"forced": [], "policies": 0, "functions": []}
        assert during == {"forced": TABLES_0003, "policies": 8, "functions": sorted(LOOKUP_FUNCTIONS)}
    else:
        assert during == before  # SQLite: nothing to do


def test_migration_0006_adds_tenant_plugins_under_the_same_policy_and_removes_it(db_url):
    upgrade(db_url, "0005")
    engine = make_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            before = _rls_state(connection) if is_postgres(db_url) else None
        upgrade(db_url, "0006")
        with engine.connect() as connection:
            during = _rls_state(connection) if is_postgres(db_url) else None
            tables = set(inspect(connection).get_table_names())
        assert "tenant_plugins" in tables
        downgrade(db_url, "0005")
        with engine.connect() as connection:
            after = _rls_state(connection) if is_postgres(db_url) else None
            assert "tenant_plugins" not in set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert before == after
    if is_postgres(db_url):
        assert during == {**before, "forced": sorted([*TABLES_0003, "tenant_plugins"]), "policies": 9}


def _rls_state(connection) -> dict:
    forced = connection.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND (c.relrowsecurity OR c.relforcerowsecurity) ORDER BY 1"
        )
    ).scalars().all()
    policies = connection.execute(text("SELECT count(*) FROM pg_policies WHERE schemaname = current_schema()")).scalar()
    functions = connection.execute(
        text("SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema() ORDER BY 1")
    ).scalars().all()
    return {"forced": forced, "policies": policies, "functions": functions}


@pytest.mark.postgres
def test_unique_violations_still_work_across_row_level_security(pg, two_tenants, engine):
    """Unique checks see every row (PostgreSQL skips row-level security for them), so the
    globally unique key prefix and tenant slug stay unique even across tenants."""
    acme, beta = two_tenants
    prefix = beta.key.split("_")[1]
    app_engine = make_engine(pg, poolclass=NullPool)
    try:
        with unit_of_work(make_session_factory(app_engine)) as session:
            bind_tenant(session, acme.id)
            with pytest.raises(IntegrityError), session.begin_nested():
                session.execute(
                    text("INSERT INTO api_keys (tenant_id, name, prefix, key_hash) VALUES (:t, 'dup', :p, 'x')"),
                    {"t": acme.id, "p": prefix},
                )
    finally:
        app_engine.dispose()
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Base.metadata.tables["api_keys"])) == 4


# --- the CLI that sets the roles up ---------------------------------------------------------


def test_cli_create_app_role_grants_an_existing_role_and_refuses_unsafe_ones(migrated_db_url, request):
    from click.testing import CliRunner

    from core.cli import main

    def csm(*args):
        return CliRunner().invoke(main, list(args), env={"CSM_MIGRATION_DATABASE_URL": migrated_db_url}, catch_exceptions=False)

    if not is_postgres(migrated_db_url):
        result = csm("create-app-role", APP_ROLE)
        assert result.exit_code == 2 and "only on PostgreSQL" in result.stderr
        return
    request.getfixturevalue("pg_app_role")
    result = csm("create-app-role", APP_ROLE)
    assert result.exit_code == 0, result.output
    assert f"role {APP_ROLE} already exists" in result.output
    assert f"role {APP_ROLE} may use: {', '.join(sorted(TENANT_TABLES))} (row-level security on each)" in result.output
    unsafe = csm("create-app-role", "postgres")
    assert unsafe.exit_code == 2 and "would skip row-level security: it is a superuser" in unsafe.stderr
    assert csm("create-app-role", "Robert'); DROP TABLE tenants;--").exit_code == 2
