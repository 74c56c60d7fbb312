"""What every operation shares: who acts, and the domain errors the front ends map.

The API maps these to HTTP in one place (``core.api.errors``) and the CLI to exit codes,
so an operation raises them instead of knowing about either.
"""

from __future__ import annotations

from dataclasses import dataclass


class NotFound(LookupError):
    """The thing asked for does not exist in this tenant (HTTP 404)."""


class Conflict(RuntimeError):
    """The request conflicts with stored data or with a concurrent request (HTTP 409)."""


class NothingToUse(Conflict):
    """A prerequisite is missing, e.g. ingest before any configuration (HTTP 409)."""


class InvalidValue(ValueError):
    """A value of the request is wrong in a way only the stored data can tell (a period
    in the form the tenant's configuration does not use, say): HTTP 422 naming it,
    ``location`` being where it was (body, query), CLI exit code 2."""

    def __init__(self, location: str, field: str, message: str):
        super().__init__(message)
        self.location, self.field = location, field


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
