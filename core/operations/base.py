"""What every operation shares: who acts, and the domain error the front ends map.

The API maps ``NotFound`` to HTTP 404 and the CLI to an error exit, so an operation
raises it instead of knowing about either.
"""

from __future__ import annotations

from dataclasses import dataclass


class NotFound(LookupError):
    """The thing asked for does not exist in this tenant (HTTP 404)."""


@dataclass(frozen=True)
class Actor:
    """Who performs an operation, for the audit log: an API key, the operator, or the CLI."""

    label: str
    key_id: int | None = None

    @classmethod
    def key(cls, key_id: int) -> "Actor":
        return cls(f"key {key_id}", key_id)


OPERATOR = Actor("operator")
CLI = Actor("cli")
