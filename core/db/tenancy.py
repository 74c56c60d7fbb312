"""Which tenant a session acts for, and the application-layer tenant filter.

Two independent locks keep tenants apart:

1. The application filter: every repository query adds ``tenant_id == :tenant`` through
   ``scoped()``.
2. On PostgreSQL, row-level security (migration 0003): the tables only show and accept rows
   whose tenant is the transaction's ``app.tenant_id`` setting, which ``bind_tenant`` sets.
   With the setting unset, every tenant table looks empty.

``bind_tenant`` runs ``SELECT set_config('app.tenant_id', :id, true)``. The setting is local
to the transaction (a pooled connection never carries it into someone else's request), so
the binding is kept in ``session.info`` and applied again at the start of each new
transaction of the session (after a commit or a rollback). On SQLite, which has no
row-level security, binding only records the tenant; the application filter protects it.

The filter can be switched off for tests (``without_app_filter``) so a test can show that
row-level security alone keeps tenants apart. The switch is honoured only on PostgreSQL:
on SQLite the filter is the only lock and stays on whatever a session says.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, func, select, true
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

TENANT_SETTING = "app.tenant_id"
TENANT_KEY = "csm.tenant_id"
APP_FILTER_KEY = "csm.app_filter"


def bind_tenant(session: Session, tenant_id: int) -> None:
    """Make ``session`` act for ``tenant_id``: now, and in each later transaction.

    Call it once the tenant is known (after authenticating a key, after a CLI command
    resolved ``--tenant``). Binding again switches the tenant.
    """
    tenant_id = int(tenant_id)
    session.info[TENANT_KEY] = tenant_id
    if session.get_bind().dialect.name != "postgresql":
        return  # nothing to set: no row-level security (and no transaction started for it)
    if not event.contains(session, "after_begin", _apply_on_begin):
        event.listen(session, "after_begin", _apply_on_begin)
    if session.in_transaction():
        _apply(session.connection(), tenant_id)
    else:
        session.connection()  # begins a transaction; _apply_on_begin sets the tenant


def bound_tenant(session: Session) -> int | None:
    """The tenant ``session`` acts for, or None if it was never bound."""
    return session.info.get(TENANT_KEY)


def database_tenant(session: Session) -> int | None:
    """The tenant the database itself sees for this transaction (PostgreSQL), else None."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    value = session.scalar(select(func.current_setting(TENANT_SETTING, True)))
    return int(value) if value else None


def _apply_on_begin(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is not None:
        _apply(connection, tenant_id)


def _apply(connection: Connection, tenant_id: int) -> None:
    if connection.dialect.name == "postgresql":
        # is_local = true: the value ends with the transaction, committed or rolled back.
        connection.execute(select(func.set_config(TENANT_SETTING, str(int(tenant_id)), True)))


def scoped(session: Session, column: Any, tenant_id: int) -> ColumnElement[bool]:
    """The application-layer tenant filter: ``column == tenant_id``.

    Every repository query that reads or changes a tenant's rows filters through here, so
    the one switch below really turns the whole application layer off.
    """
    if session.info.get(APP_FILTER_KEY, True) is False and session.get_bind().dialect.name == "postgresql":
        return true()
    return column == tenant_id


def without_app_filter(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A copy of ``factory`` whose sessions skip the application filter (PostgreSQL only).

    For tests: with it, only row-level security stands between tenants.
    """
    info = {**(factory.kw.get("info") or {}), APP_FILTER_KEY: False}
    return sessionmaker(**{**factory.kw, "info": info}, class_=factory.class_)
