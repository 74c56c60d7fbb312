"""The two ways an expression fails: refused when it is compiled, or failing on a record.

``ExpressionError`` is raised when a version is checked (a syntax error, an unknown name,
a wrong type, an expression over the length cap); configuration sections turn it into a
validation issue at the expression's YAML path, with the column. ``EvaluationError`` is
raised when a compiled expression meets a record it cannot evaluate (a division by zero,
an absent optional attribute, a plugin function refusing its arguments); ``index`` is the
record's position when many were evaluated at once.
"""

from __future__ import annotations


class ExpressionError(ValueError):
    """A tenant expression refused at compile time; ``column`` is 1-based when known."""

    def __init__(self, message: str, column: int | None = None):
        self.message = message
        self.column = column
        super().__init__(f"{message} (column {column})" if column else message)


class EvaluationError(ValueError):
    """A compiled expression could not be evaluated on a record."""

    def __init__(self, message: str, index: int | None = None):
        self.message = message
        self.index = index
        super().__init__(message if index is None else f"record {index}: {message}")
