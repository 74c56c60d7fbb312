"""The contract of an ingested record kind, and the pipeline every kind runs through.

Responses are the first kind; service events, cases, customers, inspection results and
metrics follow. Each is one module under ``core/ingest/`` holding an object that fulfils
``RecordKind``, registered in ``core.ingest.KINDS``. The path is the same for all:

    CSV bytes  ─ read_csv (width and row caps) ─ frame ─ kind.from_frame ─┐
    JSON items ─ row cap ────────────────────────────── kind.from_items ──┴─ parsed batch
    parsed batch ─ kind.prepare(batch, Context) ─ PreparedRows ─ the kind's repository

The toolkit does what is generic (limits, errors, text, timestamps, CSV, JSON items); a
kind says what its records look like and checks what is its own. Every problem of a batch
is reported together (``BatchError``) and a refused batch stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import pandas as pd

from core.batch.csv_reader import read_csv
from core.batch.errors import check_row_count
from core.batch.prepared import PreparedRows, require

S = TypeVar("S")  # what a kind checks its records against (responses: the IndicatorSet)
B = TypeVar("B")  # a kind's parsed, not yet checked, batch


@dataclass(frozen=True)
class Context(Generic[S]):
    """What checking a batch needs besides its rows."""

    schema: S
    # One "now" for the whole batch: the default time of undated records and the bound of
    # "in the future" (given by tests; None = the current time).
    now: pd.Timestamp | None = None
    # Which of these record ids the tenant already stored, so a retried batch is refused
    # row by row together with every other problem (None = not checked).
    stored_keys: Callable[[list[str]], set[str]] | None = None


class RecordKind(Protocol[S, B]):
    """One kind of ingested record."""

    name: str  # registry key, PreparedRows.kind, and the field naming the whole batch in errors
    fields: frozenset[str]  # the top-level fields one JSON item may have
    columns: tuple[str, ...]  # the prepared rows' columns, in order

    def csv_header_limit(self, schema: S) -> tuple[int, str]:
        """The widest CSV header a batch can use, and what that width is made of."""
        ...

    def from_frame(self, frame: pd.DataFrame, schema: S) -> B:
        """A wide table (CSV: text cells) → the kind's parsed batch."""
        ...

    def from_items(self, items: list, schema: S) -> B:
        """JSON items → the kind's parsed batch; raises BatchError for structural problems."""
        ...

    def prepare(self, batch: B, context: Context[S]) -> PreparedRows:
        """Check every row; the storable rows (sealed), or BatchError with every problem."""
        ...


def parse_csv(kind: RecordKind[S, B], data: bytes | str, schema: S, max_rows: int | None = None) -> B:
    """CSV text → the kind's parsed batch, refusing a header wider than the kind can use
    and more than ``max_rows`` rows (the setting CSM_MAX_BATCH)."""
    most, hint = kind.csv_header_limit(schema)
    return kind.from_frame(read_csv(data, max_columns=most, max_rows=max_rows, what=kind.name, columns_hint=hint), schema)


def parse_items(kind: RecordKind[S, B], items: list, schema: S, max_rows: int | None = None) -> B:
    """JSON items → the kind's parsed batch; more than ``max_rows`` items are refused
    before anything is built, with the same message as an over-long CSV."""
    check_row_count(len(items), max_rows, kind.name)
    return kind.from_items(items, schema)


def prepare(kind: RecordKind[S, B], batch: B, context: Context[S]) -> PreparedRows:
    """``kind.prepare``, checked to return sealed rows of that kind."""
    return require(kind.prepare(batch, context), kind.name)
