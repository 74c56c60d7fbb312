"""Configuration errors that say exactly where the problem is.

Every problem carries the path of the offending field in the YAML document (``a.b.0.c``)
and, when the document was read from text, the line it starts on, so tenant admins see
``store.yaml:14: indicator_set.children.1.weight: sibling weights sum to 0.9, not 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

Path = tuple


@dataclass(frozen=True)
class ConfigIssue:
    path: tuple
    message: str
    line: int | None = None
    file: str | None = None

    @property
    def dotted(self) -> str:
        return ".".join(str(p) for p in self.path) or "(document)"

    def __str__(self) -> str:
        where = f"{self.file or '<config>'}:{self.line}" if self.line else (self.file or "<config>")
        return f"{where}: {self.dotted}: {self.message}"

    def to_dict(self) -> dict:
        return {"path": self.dotted, "line": self.line, "file": self.file, "message": self.message}


MAX_REPORTED = 100


class ConfigError(ValueError):
    """One or more problems found in a configuration document.

    At most ``MAX_REPORTED`` problems are kept (in document order); ``total`` counts them
    all, so an answer about a hostile document stays small while saying how bad it is.
    """

    def __init__(self, issues: list[ConfigIssue], total: int | None = None):
        issues = list(issues)
        self.total = max(total or 0, len(issues))
        self.issues = issues[:MAX_REPORTED]
        super().__init__("\n".join(str(i) for i in self.issues))

    @property
    def headline(self) -> str:
        """``N problem(s)``, saying how many are listed when not all are."""
        listed = f" (the first {len(self.issues)} listed)" if self.total > len(self.issues) else ""
        return f"{self.total} problem(s){listed}"

    def to_dict(self) -> list[dict]:
        return [i.to_dict() for i in self.issues]
