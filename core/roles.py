"""Roles of tenant API keys, from least to most trusted.

- ``viewer``: read configuration, industries and scores.
- ``integrator``: a viewer that may also ingest responses and validate configurations.
- ``admin``: everything within the tenant: configuration uploads, keys and roles, the
  audit log, export and deletion.

The platform operator is not a tenant role: it is the key in the ``OPERATOR_KEY``
setting, which creates tenants and their first admin key.
"""

from __future__ import annotations

VIEWER = "viewer"
INTEGRATOR = "integrator"
ADMIN = "admin"
ROLES = (VIEWER, INTEGRATOR, ADMIN)
_RANK = {role: rank for rank, role in enumerate(ROLES)}


def allows(role: str, required: str) -> bool:
    """Whether a key with ``role`` may do what needs ``required``."""
    return _RANK.get(role, -1) >= _RANK[required]
