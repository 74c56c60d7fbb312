"""Rows that passed every check of their record kind, typed so storage can trust them.

Each record is validated once, by its kind's ``prepare``. Repositories take these rows as
they are (no second pass over lengths or JSON shapes), and they can only do that safely if
a raw DataFrame cannot reach them by mistake. So ``prepare`` returns a ``PreparedRows``,
which only ``seal`` makes, and a repository refuses anything else with a TypeError.

``seal`` is importable (a record kind module calls it at the end of its ``prepare``); the
guarantee is against accidents, not against code that seals unchecked rows on purpose.
The frame is not copied: nobody may change it after sealing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from core.batch.kind import RecordKind

_SEAL = object()


@dataclass(frozen=True, eq=False)
class PreparedRows:
    """The storable rows of one batch: ``frame`` has exactly the kind's ``columns``, in
    order, with a 0-based RangeIndex (row i is the batch's item i)."""

    kind: str  # the record kind's name: a repository checks it stores its own kind
    frame: pd.DataFrame
    _seal: object = field(default=None, repr=False)
    # The same rows in a kind's compact column form, for a store that keeps one beside the
    # rows (responses: core.store.AnswerColumns); None for kinds without one.
    columnar: Any = field(default=None, repr=False)

    def __post_init__(self):
        if self._seal is not _SEAL:
            raise TypeError("PreparedRows are made by a record kind's prepare(), after every check (see core.batch.prepared)")

    def __len__(self) -> int:
        return len(self.frame)


def seal(kind: RecordKind, frame: pd.DataFrame, columnar: Any = None) -> PreparedRows:
    """Wrap the checked ``frame`` of ``kind`` (and its compact ``columnar`` form, if the kind
    has one); the frame's columns must be the kind's columns."""
    if tuple(frame.columns) != tuple(kind.columns):
        raise ValueError(f"prepared {kind.name} must have the columns {', '.join(kind.columns)}; got {', '.join(map(str, frame.columns))}")
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.reset_index(drop=True)
    return PreparedRows(kind.name, frame, _SEAL, columnar)


def require(rows: object, kind: str) -> PreparedRows:
    """``rows`` if they are prepared rows of ``kind``; a TypeError otherwise (a raw frame,
    or another kind's rows), for repositories to call first."""
    if not isinstance(rows, PreparedRows):
        raise TypeError(f"expected PreparedRows of {kind} (from that record kind's prepare()), got {type(rows).__name__}: rows are stored only after the batch pipeline checked them")
    if rows.kind != kind:
        raise TypeError(f"expected PreparedRows of {kind}, got PreparedRows of {rows.kind}")
    return rows
