"""The two PostgreSQL roles: the owner, which migrates, and the application's role.

Row-level security only binds roles that are not superusers, have no BYPASSRLS and, unless
FORCE is set (it is), do not own the table. So the application connects as a role of its
own that owns nothing, and the migrations run as the owner (``MIGRATION_DATABASE_URL``).

``create_app_role`` makes such a role (LOGIN, NOSUPERUSER, NOBYPASSRLS, NOCREATEDB,
NOCREATEROLE, NOINHERIT); ``grant_app_role`` gives it exactly what the application needs
in the current schema: USAGE on the schema, SELECT/INSERT/UPDATE/DELETE on the tables
that have row-level security enabled and forced (a table without it is not granted, so a
new table cannot leak by being forgotten in a migration), USAGE on their id sequences, and
EXECUTE on the cross-tenant lookup functions. Both refuse a role that would skip
row-level security. Run ``grant_app_role`` again after each migration (``csm init-db``
does when ``APP_ROLE`` is set).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from core.db.lookups import LOOKUP_FUNCTIONS

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# Serialises role creation: CREATE ROLE is cluster-wide and two at once can collide.
_ROLE_LOCK = 0x63736D_01


class UnsafeAppRole(ValueError):
    """The role would see every tenant (superuser, BYPASSRLS, or owner of a table)."""


@dataclass(frozen=True)
class RoleFacts:
    name: str
    superuser: bool
    bypassrls: bool
    owned_tables: tuple[str, ...]  # in the current schema, directly or through membership


def _require_postgres(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        raise ValueError("database roles exist only on PostgreSQL; SQLite has no row-level security")


def _quote(connection: Connection, name: str) -> str:
    if not ROLE_NAME.fullmatch(name):
        raise ValueError(f"invalid role name {name!r}: 1-63 characters of a-z, 0-9 and _, not starting with a digit")
    return connection.dialect.identifier_preparer.quote(name)


def role_facts(connection: Connection, name: str) -> RoleFacts | None:
    """What makes ``name`` safe or unsafe as the application's role; None if no such role."""
    _require_postgres(connection)
    row = connection.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :name"), {"name": name}
    ).first()
    if row is None:
        return None
    owned = connection.execute(
        text(
            "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
            "AND pg_has_role(:name, c.relowner, 'MEMBER') ORDER BY c.relname"
        ),
        {"name": name},
    ).scalars()
    return RoleFacts(name, bool(row[0]), bool(row[1]), tuple(owned))


def check_app_role(facts: RoleFacts) -> None:
    problems = []
    if facts.superuser:
        problems.append("is a superuser")
    if facts.bypassrls:
        problems.append("has BYPASSRLS")
    if facts.owned_tables:
        problems.append(f"owns (or is a member of the owner of) {', '.join(facts.owned_tables)}")
    if problems:
        raise UnsafeAppRole(f"role {facts.name!r} would skip row-level security: it {'; it '.join(problems)}")


def create_app_role(connection: Connection, name: str, password: str | None = None) -> bool:
    """Create the application's role if it does not exist; True if it was created.

    An existing role is left as it is (its password is changed only if one is given), but
    it must pass ``check_app_role``.
    """
    _require_postgres(connection)
    quoted = _quote(connection, name)
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ROLE_LOCK})
    created = False
    if role_facts(connection, name) is None:
        connection.execute(
            text(f"CREATE ROLE {quoted} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT")
        )
        created = True
    if password is not None:
        # DDL takes no bind parameters; a doubled quote is the literal's only escape with
        # standard_conforming_strings (the default since PostgreSQL 9.1).
        literal = "'" + password.replace("'", "''") + "'"
        connection.exec_driver_sql(f"ALTER ROLE {quoted} PASSWORD {literal}")
    check_app_role(role_facts(connection, name))
    return created


def grant_app_role(connection: Connection, name: str) -> list[str]:
    """Grant ``name`` what the application needs in the current schema; return the tables."""
    _require_postgres(connection)
    quoted = _quote(connection, name)
    facts = role_facts(connection, name)
    if facts is None:
        raise ValueError(f"no role {name!r}; create it first (csm create-app-role {name})")
    check_app_role(facts)
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    tables = connection.execute(
        text(
            "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
            "AND c.relrowsecurity AND c.relforcerowsecurity ORDER BY c.relname"
        )
    ).scalars().all()
    if not tables:
        raise ValueError(f"schema {schema!r} has no table with row-level security: run the migrations first")
    prep = connection.dialect.identifier_preparer
    connection.execute(text(f"GRANT USAGE ON SCHEMA {prep.quote(schema)} TO {quoted}"))
    listed = ", ".join(prep.quote(t) for t in tables)
    connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {listed} TO {quoted}"))
    sequences = connection.execute(
        text(
            "SELECT s.relname FROM pg_class AS s JOIN pg_namespace AS n ON n.oid = s.relnamespace "
            "JOIN pg_depend AS d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass "
            "AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
            "JOIN pg_class AS t ON t.oid = d.refobjid AND t.relnamespace = s.relnamespace "
            "WHERE s.relkind = 'S' AND n.nspname = current_schema() AND t.relname = ANY(:tables) "
            "ORDER BY s.relname"
        ),
        {"tables": list(tables)},
    ).scalars().all()
    if sequences:
        connection.execute(text(f"GRANT USAGE ON SEQUENCE {', '.join(prep.quote(s) for s in sequences)} TO {quoted}"))
    functions = ", ".join(f"{fn}({args})" for fn, args in LOOKUP_FUNCTIONS.items())
    connection.execute(text(f"GRANT EXECUTE ON FUNCTION {functions} TO {quoted}"))
    return list(tables)
