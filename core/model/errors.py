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


class ModelErrors(ModelError):
    """Several invariants broken at once (``errors``, each a located ModelError, in the
    order found).

    An object whose checks are independent of one another (the indicator tree: unknown
    scales, duplicate codes, sibling weights) reports all of them together, so a tenant
    admin fixes a configuration in one round trip. Still a ModelError: callers that only
    show one problem show the first."""

    def __init__(self, errors: list[ModelError]):
        if not errors:
            raise ValueError("ModelErrors needs at least one error")
        super().__init__(errors[0].message, errors[0].path)
        self.errors = list(errors)

    def __str__(self) -> str:
        return "; ".join(ModelError.__str__(e) for e in self.errors)


def each_error(exc: ModelError) -> list[ModelError]:
    """Every problem ``exc`` carries: its ``errors`` if it gathers several, else itself."""
    return list(exc.errors) if isinstance(exc, ModelErrors) else [exc]
