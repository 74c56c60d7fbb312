"""Bearer API keys: who is calling, and for which tenant.

Tenant keys are looked up by prefix and compared by hash (core.db); the platform
operator's key comes from the settings. A tenant key only ever reaches its own tenant:
every view takes the tenant id from the key, never from the URL or the body.
"""

from __future__ import annotations

import functools
import hmac

from flask import g, request
from flask_smorest import abort

from core.api.context import db, state
from core.db.records import AuthenticatedKey
from core.db.repositories import ApiKeyRepository


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def tenant_required(view):
    """Run the view only for a valid, unrevoked tenant key; sets ``g.principal``."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = _bearer()
        if token is None:
            abort(401, message="missing API key: send `Authorization: Bearer <key>`")
        principal = ApiKeyRepository(db()).authenticate(token)
        if principal is None:
            abort(401, message="invalid, revoked or expired API key")
        g.principal = principal
        return view(*args, **kwargs)

    return wrapper


def operator_required(view):
    """Run the view only for the platform operator's key (setting OPERATOR_KEY)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        expected = state().settings.get("OPERATOR_KEY")
        token = _bearer()
        if token is None:
            abort(401, message="missing operator key: send `Authorization: Bearer <key>`")
        if not expected or not hmac.compare_digest(token.encode(), str(expected).encode()):
            abort(403, message="this operation needs the platform operator's key")
        return view(*args, **kwargs)

    return wrapper


def principal() -> AuthenticatedKey:
    return g.principal
