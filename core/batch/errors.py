"""How a batch is refused: all or nothing, every problem located by row and field.

A refused batch stores nothing. Checks collect ``RowError`` objects into one list and the
batch is refused once, with all of them, so a client fixes its data in one round trip.
Only the first ``MAX_ERRORS`` are kept; ``BatchError.total`` counts them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.batch.limits import MAX_ERRORS

# Row of a problem that concerns the whole batch or file (its size, the CSV header).
WHOLE_BATCH = -1


@dataclass(frozen=True)
class RowError:
    row: int  # 0-based position in the batch (CSV: data row, header excluded); -1 = the batch
    field: str
    message: str

    def to_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


class BatchError(ValueError):
    """A batch was refused; nothing of it may be stored.

    ``source`` says what the rows were: ``items`` (JSON, a row is the item's index) or
    ``csv`` (see ``in_csv``: ``lines`` then holds the file's line of each data row and
    ``header_line`` the header's, when the file could be read record by record), so an
    answer can name a row the way a person finds it."""

    def __init__(self, errors: list[RowError], total: int | None = None):
        self.errors = errors[:MAX_ERRORS]
        self.total = total if total is not None else len(errors)
        self.source = "items"
        self.lines: list[int] | None = None
        self.header_line: int | None = None
        super().__init__(f"{self.total} problem(s) in the batch; first: {errors[0].field}: {errors[0].message}" if errors else "invalid batch")

    def in_csv(self, lines: tuple[int, list[int]] | None, rows: int | None = None) -> "BatchError":
        """This refusal, of a CSV batch: ``lines`` as ``core.batch.csv_reader.data_row_lines``
        gives them (None: unknown). Should the reader have found another number of data
        rows (``rows``) than the line pass, the lines cannot be trusted and are dropped."""
        self.source = "csv"
        if lines is not None and (rows is None or rows == len(lines[1])):
            self.header_line, self.lines = lines
        return self


def refuse(field: str, message: str) -> BatchError:
    """The refusal of a whole batch for one reason (``raise refuse(...)``)."""
    return BatchError([RowError(WHOLE_BATCH, field, message)])


def errors_at(mask: np.ndarray, field: str, message: str | Callable[[int], str]) -> list[RowError]:
    """One error per row flagged in ``mask`` (at most MAX_ERRORS), found by numpy: the
    Python work is proportional to the problems reported, not to the rows checked.
    ``message`` may depend on the row (a callable taking its position)."""
    rows = np.flatnonzero(mask)[:MAX_ERRORS]
    if callable(message):
        return [RowError(int(r), field, message(int(r))) for r in rows]
    return [RowError(int(r), field, message) for r in rows]


def too_many_rows(what: str, most: int) -> BatchError:
    """The one refusal of a batch over the row limit, whichever way it came (JSON, CSV
    body, CSV file), so every entry point says the same thing."""
    return refuse(what, f"the batch holds more than {most} {what}; at most {most} per batch")


def check_row_count(count: int, most: int | None, what: str) -> None:
    """Refuse a batch of more than ``most`` rows (``None``: no limit)."""
    if most is not None and count > most:
        raise too_many_rows(what, most)
