"""Bearer API keys: who is calling, and for which tenant.

Tenant keys are looked up by prefix and compared by hash (core.db); the platform
operator's key comes from the settings. A tenant key only ever reaches its own tenant:
every view takes the tenant id from the key, never from the URL or the body. Once the key
is known, the request's transaction is bound to its tenant (``bind_tenant``: on PostgreSQL
row-level security then hides every other tenant's rows).
"""

from __future__ import annotations

import functools
import hmac

from flask import g, request
from flask_smorest import abort

from core.api.context import db, state
from core.db.records import AuthenticatedKey
from core.db.repositories import ApiKeyRepository
from core.db.tenancy import bind_tenant
from core.roles import VIEWER, allows


# RFC 6750 §3: a 401 names the scheme it wants; a key that was sent but refused is an
# invalid_token (no error code when none was sent).
ASK_FOR_KEY = {"WWW-Authenticate": 'Bearer realm="csm"'}
REFUSED_KEY = {"WWW-Authenticate": 'Bearer realm="csm", error="invalid_token"'}


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def tenant_required(view=None, *, role: str = VIEWER):
    """Run the view only for a valid, unrevoked, unexpired tenant key whose role is at least
    ``role`` (401 without a valid key, 403 with too weak a role); sets ``g.principal``.

    Use as ``@tenant_required`` (any role) or ``@tenant_required(role=ADMIN)``. The role is
    declared on the view as ``csm_role`` (tests/test_roles_audit.py reads it to check every
    endpoint against every role).
    """
    if view is None:
        return functools.partial(tenant_required, role=role)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = _bearer()
        if token is None:
            abort(401, message="missing API key: send `Authorization: Bearer <key>`", headers=ASK_FOR_KEY)
        principal = ApiKeyRepository(db()).authenticate(token)
        if principal is None:
            abort(401, message="invalid, revoked or expired API key", headers=REFUSED_KEY)
        bind_tenant(db(), principal.tenant_id)
        if not allows(principal.role, role):
            abort(403, message=f"a key with role {principal.role!r} may not do this; it needs role {role!r} or higher")
        g.principal = principal
        return view(*args, **kwargs)

    wrapper.csm_role = role
    return wrapper


def operator_required(view):
    """Run the view only for the platform operator's key (setting OPERATOR_KEY); declared
    on the view as ``csm_operator``."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        expected = state().settings.get("OPERATOR_KEY")
        token = _bearer()
        if token is None:
            abort(401, message="missing operator key: send `Authorization: Bearer <key>`", headers=ASK_FOR_KEY)
        if not expected or not hmac.compare_digest(token.encode(), str(expected).encode()):
            abort(403, message="this operation needs the platform operator's key")
        return view(*args, **kwargs)

    wrapper.csm_operator = True
    return wrapper


def principal() -> AuthenticatedKey:
    return g.principal
