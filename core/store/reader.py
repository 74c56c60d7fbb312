"""From stored blocks to a score: gather the arrays one request needs, then score them.

Blocks arrive one at a time (the repository streams them); each is decoded, cut to the
request's ``from``/``to`` when its time bounds straddle them, and its question arrays and
the key columns ``by`` names are appended. Nothing is turned into Python objects per
response: option positions stay int8, keys stay small-int codes whose dictionaries are
merged once per block (a loop over distinct values, not rows). The gathered arrays are
handed to ``core.scoring`` as already-encoded answers, so scoring skips parsing and
validation (the ingest pipeline checked every answer before it was stored).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from core.analysis.significance import DEFAULT_MIN_N
from core.model import IndicatorSet, ScaleKind
from core.scoring.answers import ColumnAnswers, Encoded
from core.scoring.compare import check_compare
from core.scoring.engine import score_encoded
from core.scoring.errors import AnswerErrors
from core.scoring.groups import DATE_COLUMN, PERIOD, group_rows
from core.scoring.result import ScoreResult
from core.store.codec import BlockView, decode
from core.store.columns import FLAG, OPTION, KeyColumn, number_values

FIXED_KEYS = ("customer_id", "touchpoint")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# The columns a stored-response frame starts with (core.db.repositories.response_frames).
_BASE = ("response_id", "customer_id", "touchpoint", DATE_COLUMN)


def micros(moment: datetime | None) -> int | None:
    """An aware datetime as microseconds since 1970 UTC (the blocks' time unit)."""
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("time bounds must be tz-aware")
    return (moment - EPOCH) // timedelta(microseconds=1)  # exact for any year, 1 to 9999


class _KeyGather:
    """One key column across blocks: codes into one merged dictionary."""

    def __init__(self):
        self.codes: list[np.ndarray] = []
        self.index: dict = {}
        self.values: list = []

    def add(self, column: KeyColumn | None, keep: np.ndarray | None, n: int) -> None:
        if column is None:
            self.codes.append(np.full(n, -1, dtype=np.int32))
            return
        lut = np.empty(len(column.values) + 1, dtype=np.int32)
        lut[-1] = -1
        for i, value in enumerate(column.values):
            code = self.index.get(value)
            if code is None:
                code = self.index[value] = len(self.values)
                self.values.append(value)
            lut[i] = code
        codes = column.codes if keep is None else column.codes[keep]
        self.codes.append(lut[codes])

    def series(self) -> pd.Series:
        """A categorical whose categories are sorted, so grouping orders groups by value."""
        order = sorted(range(len(self.values)), key=lambda i: self.values[i])
        rank = np.empty(len(order) + 1, dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        rank[-1] = -1
        codes = rank[np.concatenate(self.codes)] if self.codes else np.empty(0, dtype=np.int32)
        return pd.Series(pd.Categorical.from_codes(codes, categories=[self.values[i] for i in order]))


class _Keys:
    """The grouping columns as ``core.scoring.groups.group_rows`` reads a frame: the
    column names a stored-response frame would have, and the columns asked for."""

    def __init__(self, n: int, columns: list[str], series: dict[str, pd.Series]):
        self.n = n
        self.columns = columns
        self._series = series

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, name: str) -> pd.Series:
        return self._series[name]


class StoreSlice:
    """The responses of one request, gathered block by block (``add``), then ``finish``ed
    into encoded answers and grouping columns."""

    def __init__(self, iset: IndicatorSet, by: Sequence[str] = (), start: datetime | None = None, end: datetime | None = None):
        self.iset = iset
        self.start, self.end = micros(start), micros(end)
        self.by = tuple(by)
        self.n = 0
        self.answers: dict[str, list[np.ndarray]] = {q.code: [] for q in iset.questions}
        self.times: list[np.ndarray] = []
        self.keys = {name: _KeyGather() for name in self.by if name != PERIOD}
        self.attribute_names: dict[str, None] = {}
        self.taken = set(_BASE) | {q.code for q in iset.questions}

    def _column_name(self, attribute: str) -> str:
        # As build_frame names an attribute that shares a name with a fixed column or a question.
        return f"attributes.{attribute}" if attribute in self.taken else attribute

    def add(self, block: BlockView | bytes) -> None:
        view = decode(block) if not isinstance(block, BlockView) else block
        for name in view.attribute_names:
            self.attribute_names.setdefault(self._column_name(name), None)
        keep = None
        if self.start is not None or self.end is not None:
            t = view.array(DATE_COLUMN)
            inside = np.ones(len(t), dtype=bool)
            if self.start is not None:
                inside &= t >= self.start
            if self.end is not None:
                inside &= t < self.end
            if not inside.any():
                return
            keep = None if inside.all() else inside
        m = view.n if keep is None else int(np.count_nonzero(keep))
        self.n += m
        if PERIOD in self.by:
            t = view.array(DATE_COLUMN)
            self.times.append(t if keep is None else t[keep])
        by_source = {self._column_name(a): a for a in view.attribute_names}
        for name, gather in self.keys.items():
            if name in FIXED_KEYS:
                gather.add(view.key(name), keep, m)
            else:
                source = by_source.get(name)
                gather.add(None if source is None else view.key(source), keep, m)
        for q in self.iset.questions:
            self.answers[q.code].append(self._answers(view, q, keep, m))

    def _answers(self, view: BlockView, q, keep: np.ndarray | None, m: int) -> np.ndarray:
        scale = self.iset.scales[q.scale]
        col = view.question(q.code)
        if scale.kind is ScaleKind.ORDINAL:
            if col is None or col.kind != OPTION:
                return np.full(m, -1, dtype=np.int8)
            data = col.data if keep is None else col.data[keep]
            options = tuple(o.code for o in scale.options)
            if col.options == options:
                return data
            lut = np.append(pd.Index(options, dtype=object).get_indexer(list(col.options)), -1).astype(np.int8)
            return lut[data]
        if scale.kind is ScaleKind.TEXT:
            if col is None or col.kind != FLAG:
                return np.zeros(m, dtype=bool)
            data = col.data if keep is None else col.data[keep]
            return data.astype(bool)
        if col is None:
            return np.full(m, np.nan)
        data = number_values(col)
        return data if keep is None else data[keep]

    def finish(self) -> tuple[Encoded, _Keys]:
        columns = {}
        for q in self.iset.questions:
            scale = self.iset.scales[q.scale]
            parts = self.answers.pop(q.code)
            if scale.kind is ScaleKind.ORDINAL:
                data = np.concatenate(parts) if parts else np.empty(0, dtype=np.int8)
                columns[q.code] = ColumnAnswers(q.code, scale, option_index=data)
            elif scale.kind is ScaleKind.TEXT:
                data = np.concatenate(parts) if parts else np.empty(0, dtype=bool)
                columns[q.code] = ColumnAnswers(q.code, scale, present=data)
            else:
                data = np.concatenate(parts) if parts else np.empty(0)
                columns[q.code] = ColumnAnswers(q.code, scale, values=data)
        series = {name: gather.series() for name, gather in self.keys.items()}
        if PERIOD in self.by:
            stamps = np.concatenate(self.times) if self.times else np.empty(0, dtype=np.int64)
            series[DATE_COLUMN] = pd.Series(stamps.view("datetime64[us]")).dt.tz_localize("UTC")
        names = [*FIXED_KEYS, DATE_COLUMN, *self.attribute_names]
        return Encoded(self.n, columns, AnswerErrors()), _Keys(self.n, names, series)


def score_blocks(
    blocks: Iterable[BlockView | bytes],
    iset: IndicatorSet,
    by: Sequence[str] = (),
    period: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    min_n: int = DEFAULT_MIN_N,
    compare: str | None = None,
) -> ScoreResult:
    """Score the responses of ``blocks`` collected in ``[start, end)``, as
    ``core.scoring.score`` scores a frame of the same responses."""
    by = (by,) if isinstance(by, str) else tuple(by)
    check_compare(compare, by, period)
    gathered = StoreSlice(iset, by, start, end)
    for block in blocks:
        gathered.add(block)
    encoded, keys = gathered.finish()
    grouping = group_rows(keys, by, period, [q.code for q in iset.questions])
    return score_encoded(encoded, iset, grouping, min_n, compare)
