"""One batch of responses as column arrays: the unit the answer store keeps.

For n responses:

* ``ids``: the responses' row ids (int64), so erasing one respondent can rewrite exactly
  the blocks holding their rows; ``collected_at``: microseconds since 1970 UTC (int64);
* keys, dictionary-encoded once (``KeyColumn``: a small-int code per response, −1 =
  missing, and the distinct values): ``touchpoint``, ``customer_id`` and each attribute;
* one ``QuestionColumn`` per question of the configuration version: ordinal → the option's
  position (int8, −1 = blank) with the option codes it refers to; numeric and NPS → the
  value as int8/int16 when every answer of the batch is a whole number that fits (the
  dtype's minimum = blank), else float64 (NaN = blank); text → a uint8 answered flag (the
  text itself stays in the JSON columns, which listing and export read).

Built from the canonical answers the ingest pipeline has already checked, or from stored
rows; never a Python loop per response.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.model import IndicatorSet, ScaleKind

OPTION, INTEGER, FLOAT, FLAG = "option", "int", "float", "flag"
INT_DTYPES = (np.int8, np.int16)


def smallest_code_dtype(count: int) -> np.dtype:
    """The narrowest signed dtype holding codes 0..count−1 and −1."""
    for dtype in (np.int8, np.int16, np.int32):
        if count <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


@dataclass(frozen=True)
class KeyColumn:
    """Dictionary-encoded values: ``values[codes[i]]``, or missing where ``codes[i] == −1``."""

    codes: np.ndarray
    values: tuple

    @classmethod
    def of(cls, values) -> "KeyColumn":
        series = pd.Series(values, dtype=object)
        codes, uniques = pd.factorize(series.where(series.notna(), None), use_na_sentinel=True)
        return cls(codes.astype(smallest_code_dtype(len(uniques))), tuple(uniques.tolist()))

    def take(self, keep: np.ndarray) -> "KeyColumn":
        """The rows ``keep`` selects, with the dictionary cut to the values still used (a
        value of an erased row must not stay behind in the dictionary)."""
        codes = self.codes[keep]
        used = np.flatnonzero(np.bincount(codes[codes >= 0].astype(np.intp), minlength=len(self.values)))
        lut = np.full(len(self.values) + 1, -1, dtype=np.int64)
        lut[used] = np.arange(len(used))
        new = lut[codes]  # code −1 reads lut[−1] = −1
        return KeyColumn(new.astype(smallest_code_dtype(len(used))), tuple(self.values[i] for i in used))


@dataclass(frozen=True)
class QuestionColumn:
    """One question's answers: ``kind`` is option, int, float or flag (see the module)."""

    kind: str
    data: np.ndarray
    options: tuple[str, ...] = ()

    def take(self, keep: np.ndarray) -> "QuestionColumn":
        return QuestionColumn(self.kind, self.data[keep], self.options)


@dataclass(frozen=True)
class AnswerColumns:
    n: int
    collected_at: np.ndarray
    touchpoint: KeyColumn
    customer_id: KeyColumn
    attributes: dict[str, KeyColumn]
    questions: dict[str, QuestionColumn]
    ids: np.ndarray | None = None

    def with_ids(self, ids) -> "AnswerColumns":
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) != self.n:
            raise ValueError(f"{len(ids)} ids for {self.n} responses")
        return AnswerColumns(self.n, self.collected_at, self.touchpoint, self.customer_id, self.attributes, self.questions, ids)

    def take(self, keep: np.ndarray) -> "AnswerColumns":
        """The responses ``keep`` (a boolean mask) selects."""
        return AnswerColumns(
            int(np.count_nonzero(keep)),
            self.collected_at[keep],
            self.touchpoint.take(keep),
            self.customer_id.take(keep),
            {name: col.take(keep) for name, col in self.attributes.items()},
            {code: col.take(keep) for code, col in self.questions.items()},
            None if self.ids is None else self.ids[keep],
        )


def build(collected_at, touchpoint, customer_id, attributes: pd.DataFrame, answers: pd.DataFrame, iset: IndicatorSet) -> AnswerColumns:
    """The columns of one batch from canonical values.

    ``collected_at``: UTC timestamps (datetime64 with a time zone, or aware datetimes);
    ``touchpoint``, ``customer_id``: text or None per response; ``attributes``: one column
    per attribute (text or None); ``answers``: canonical answers per question code (option
    codes, numbers, stripped text; NaN/None = blank), as the ingest pipeline stores them.
    Questions absent from ``answers`` are all blank.
    """
    times = pd.to_datetime(pd.Series(collected_at).reset_index(drop=True), utc=True)
    n = len(times)
    micros = times.to_numpy(dtype="datetime64[us]").astype(np.int64)
    attrs = {str(name): KeyColumn.of(attributes[name].to_numpy(dtype=object)) for name in attributes.columns}
    questions = {q.code: _question(answers[q.code] if q.code in answers.columns else None, iset.scales[q.scale], n) for q in iset.questions}
    return AnswerColumns(n, micros, KeyColumn.of(list(touchpoint)), KeyColumn.of(list(customer_id)), attrs, questions)


def _question(col: pd.Series | None, scale, n: int) -> QuestionColumn:
    if scale.kind is ScaleKind.ORDINAL:
        options = tuple(o.code for o in scale.options)
        if col is None:
            return QuestionColumn(OPTION, np.full(n, -1, dtype=np.int8), options)
        codes = pd.Index(options, dtype=object).get_indexer(col.to_numpy(dtype=object))
        return QuestionColumn(OPTION, codes.astype(np.int8), options)
    if scale.kind is ScaleKind.TEXT:
        if col is None:
            return QuestionColumn(FLAG, np.zeros(n, dtype=np.uint8))
        given = col.notna().to_numpy() & (col.astype(object).where(col.notna(), "").astype(str).str.len().to_numpy() > 0)
        return QuestionColumn(FLAG, given.astype(np.uint8))
    values = np.full(n, np.nan) if col is None else pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return number_column(values)


def number_column(values: np.ndarray) -> QuestionColumn:
    """Whole numbers as the narrowest int dtype that holds them (its minimum = blank),
    anything else as float64."""
    present = values[~np.isnan(values)]
    if not len(present) or np.all(present == np.floor(present)):
        lo, hi = (present.min(), present.max()) if len(present) else (0, 0)
        for dtype in INT_DTYPES:
            info = np.iinfo(dtype)
            if info.min < lo and hi <= info.max:
                out = np.where(np.isnan(values), info.min, values).astype(dtype)
                return QuestionColumn(INTEGER, out)
    return QuestionColumn(FLOAT, values.astype(np.float64))


def number_values(col: QuestionColumn) -> np.ndarray:
    """A numeric column's answers as float64, NaN = blank."""
    if col.kind == FLOAT:
        return col.data
    blank = np.iinfo(col.data.dtype).min
    return np.where(col.data == blank, np.nan, col.data.astype(np.float64))
