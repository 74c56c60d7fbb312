"""From stored blocks to the canonical-answers frame the analyses read.

The analysis methods (``core.analysis.methods``) take responses as a frame of canonical
answers, one column per question (option codes, numbers) and per attribute, as
``ResponseRepository.load_frame`` builds it from the JSON columns. This builds the same
frame from the answer store instead: per block, an option position becomes its code and a
key code its value by one ``take`` over a small object array (the block's dictionary plus
``None`` for blank), numbers are read as float64 (NaN = blank). Open (text) questions are
left out: the store keeps only whether they were answered, and no analysis reads them.
Rows come in block order, which is ingest order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pandas as pd

from core.model import IndicatorSet, ScaleKind
from core.scoring.groups import DATE_COLUMN
from core.store.codec import BlockView, decode
from core.store.columns import OPTION, KeyColumn, number_values
from core.store.reader import FIXED_KEYS, micros


def _values(column: KeyColumn | None, keep: np.ndarray | None, n: int) -> np.ndarray:
    if column is None:
        return np.full(n, None, dtype=object)
    codes = column.codes if keep is None else column.codes[keep]
    return np.array([*column.values, None], dtype=object)[codes]


def answer_frame(
    blocks: Iterable[BlockView | bytes],
    iset: IndicatorSet,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """The responses of ``blocks`` collected in ``[start, end)``: ``customer_id``,
    ``touchpoint``, ``collected_at`` (UTC), each attribute (named ``attributes.X`` when
    it shares a name with a fixed column or a question, as ``build_frame`` names it), then
    each scored question's canonical answers."""
    lo, hi = micros(start), micros(end)
    questions = [q for q in iset.questions if iset.scales[q.scale].kind is not ScaleKind.TEXT]
    taken = {*FIXED_KEYS, DATE_COLUMN, "response_id", *(q.code for q in iset.questions)}
    parts: dict[str, list[np.ndarray]] = {name: [] for name in (*FIXED_KEYS, DATE_COLUMN)}
    attributes: dict[str, list[tuple[int, np.ndarray]]] = {}
    answers: dict[str, list[np.ndarray]] = {q.code: [] for q in questions}
    total = 0
    for block in blocks:
        view = decode(block) if not isinstance(block, BlockView) else block
        t = view.array(DATE_COLUMN)
        keep = None
        if lo is not None or hi is not None:
            inside = np.ones(len(t), dtype=bool)
            if lo is not None:
                inside &= t >= lo
            if hi is not None:
                inside &= t < hi
            if not inside.any():
                continue
            keep = None if inside.all() else inside
        n = view.n if keep is None else int(np.count_nonzero(keep))
        parts[DATE_COLUMN].append(t if keep is None else t[keep])
        for name in FIXED_KEYS:
            parts[name].append(_values(view.key(name), keep, n))
        for name in view.attribute_names:
            label = f"attributes.{name}" if name in taken else name
            attributes.setdefault(label, []).append((total, _values(view.key(name), keep, n)))
        for q in questions:
            col = view.question(q.code)
            if iset.scales[q.scale].kind is ScaleKind.ORDINAL:
                if col is None or col.kind != OPTION:
                    answers[q.code].append(np.full(n, None, dtype=object))
                    continue
                data = col.data if keep is None else col.data[keep]
                answers[q.code].append(np.array([*col.options, None], dtype=object)[data])
            else:
                data = np.full(view.n, np.nan) if col is None else number_values(col)
                answers[q.code].append(data if keep is None else data[keep])
        total += n
    stamps = np.concatenate(parts[DATE_COLUMN]) if parts[DATE_COLUMN] else np.empty(0, dtype=np.int64)
    data: dict[str, object] = {name: _joined(parts[name], total) for name in FIXED_KEYS}
    data[DATE_COLUMN] = pd.DatetimeIndex(stamps.view("datetime64[us]")).tz_localize("UTC")
    for label, pieces in attributes.items():
        column = np.full(total, None, dtype=object)
        for offset, values in pieces:
            column[offset : offset + len(values)] = values
        data[label] = column
    for q in questions:
        ordinal = iset.scales[q.scale].kind is ScaleKind.ORDINAL
        pieces = answers[q.code]
        data[q.code] = np.concatenate(pieces) if pieces else np.full(0, None if ordinal else np.nan, dtype=object if ordinal else float)
    return pd.DataFrame(data)


def _joined(pieces: list[np.ndarray], total: int) -> np.ndarray:
    return np.concatenate(pieces) if pieces else np.full(total, None, dtype=object)
