"""The one error type domain objects raise when they refuse to be built."""

from __future__ import annotations


class ModelError(ValueError):
    """A domain object was given values that break one of its invariants.

    ``path`` locates the offending field relative to the object being built (a tuple of
    keys and list indexes), so the configuration layer can prefix it with where the object
    sits in the YAML document and report ``file:line: path.to.field: reason``.
    """

    def __init__(self, message: str, path: tuple[str | int, ...] = ()):
        super().__init__(message)
        self.message = message
        self.path = tuple(path)

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path)
        return f"{where}: {self.message}" if where else self.message
