"""What scoring refuses, and how it says so.

Two kinds of refusal reach callers: answers that do not fit their scale (each one located
by row and question, so an upload can be corrected), and arguments that make no sense for
the data given (an unknown group-by column, a period without dates). Both are
``ValueError`` subclasses so the API layer can map them to a 4xx response in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

# How many located errors are kept; the total is always counted in full. A bad upload of a
# million rows must not build a million error objects just to report the first screenful.
MAX_ERRORS = 1000


@dataclass(frozen=True)
class AnswerError:
    """One answer that does not fit its scale.

    ``row`` is the 0-based position of the response in the frame given (not its index
    label), ``field`` the question code, ``value`` the answer as it was given.
    """

    row: int
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.reason}"


class AnswerErrors(list):
    """The first errors found (at most ``MAX_ERRORS``), with ``total`` = how many in all.

    A plain list to callers that only iterate; ``total`` and ``truncated`` tell those that
    report back how much was left out.
    """

    def __init__(self, errors: Iterable[AnswerError] = (), total: int | None = None):
        super().__init__(errors)
        self.total = len(self) if total is None else int(total)

    @property
    def truncated(self) -> bool:
        return self.total > len(self)


class ScoringInputError(ValueError):
    """The request cannot be scored as asked (unknown column, bad period, bad dates,
    versions that cannot be pooled).

    ``field`` names the argument at fault (``by``, ``period``, ``version``), so an answer
    can point at the query parameter or command-line option to change."""

    def __init__(self, message: str, field: str = "by"):
        super().__init__(message)
        self.field = field


class AnswerValidationError(ValueError):
    """Some answers do not fit their scales; ``errors`` locates them (capped, see ``total``)."""

    def __init__(self, errors: AnswerErrors | list[AnswerError]):
        if not isinstance(errors, AnswerErrors):
            errors = AnswerErrors(errors)
        self.errors = errors
        self.total = errors.total
        first = f"; first: {errors[0]}" if errors else ""
        super().__init__(f"{self.total} answer(s) do not fit their scales{first}")
