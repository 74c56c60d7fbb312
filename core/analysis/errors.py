"""What an analysis refuses, and how it says so.

One error type, a ``ValueError`` naming the parameter (or data column) at fault, so the
API maps it to a 422 and the CLI to exit code 2 in one place each, with the field named.
"""

from __future__ import annotations


class AnalysisInputError(ValueError):
    """The data or parameters cannot be analysed as asked.

    ``field`` names what is wrong: a parameter (``"target"``), a path into one
    (``"judgements.2"``) or a data column; ``message`` says why.
    """

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def to_dict(self) -> dict:
        return {self.field: [self.message]}
