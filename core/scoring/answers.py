"""Reading answers: from the cells of a frame to option indices and numbers, column by column.

Uploads spell answers many ways (an option code, its label in either language, a number
typed as text, blanks); stored answers are canonical (option codes, floats). Both go
through the same per-column encoder so the rules cannot drift apart; ``lenient`` decides
only whether labels and other spellings of an option are accepted besides its code.

Each column is handled as a whole: exact option codes are matched with one hash lookup
(``Index.get_indexer``), and only the cells left over (blanks, labels, mistakes) are
factorised and resolved once per distinct value. A million canonical answers therefore
cost a single vectorised pass, and a million copies of one typo cost one lookup.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from core.model import IndicatorSet, Scale, ScaleKind
from core.scoring.errors import MAX_ERRORS, AnswerError, AnswerErrors, ScoringInputError

# Outcome of resolving one distinct cell value of an ordinal column.
_BLANK = -1
_BAD = -2


@dataclass
class _Bad:
    """Cells of one column that failed: positions, and a way to describe each lazily.

    ``keys[i]`` identifies what is wrong with ``rows[i]``; ``describe(key)`` turns it into
    ``(value as given, reason)``. Descriptions are only built for the errors reported.
    """

    rows: np.ndarray
    keys: np.ndarray
    describe: Callable[[int], tuple[str, str]]



@dataclass
class ColumnAnswers:
    """One question's answers in a form scoring can use without looking at strings again.

    ordinal: ``option_index`` (position in ``scale.options``, -1 = not answered);
    numeric/nps: ``values`` (float, NaN = not answered); text: ``text`` (stripped strings,
    NaN = not answered), or only ``present`` (answered or not) where the text itself is not
    needed, as when scoring from the answer store. Invalid cells count as not answered and
    are listed in ``bad``.
    """

    code: str
    scale: Scale
    option_index: np.ndarray | None = None
    values: np.ndarray | None = None
    text: np.ndarray | None = None
    bad: _Bad | None = field(default=None, repr=False)
    present: np.ndarray | None = None

    @property
    def answered(self) -> np.ndarray:
        if self.present is not None:
            return self.present
        if self.option_index is not None:
            return self.option_index >= 0
        if self.values is not None:
            return ~np.isnan(self.values)
        return pd.notna(self.text)

    def normalised(self, reverse: bool, rows: slice = slice(None)) -> np.ndarray:
        """Answers on 0..100 (NaN = not answered), mirrored when ``reverse``; of ``rows`` only
        when given (scoring works through a million respondents a slice at a time)."""
        scale = self.scale
        if self.option_index is not None:
            return np.append(option_lut(scale, reverse), np.nan)[self.option_index[rows]]
        out = (self.values[rows] - scale.min) * (100.0 / (scale.max - scale.min))
        return 100.0 - out if reverse else out


def option_lut(scale: Scale, reverse: bool) -> np.ndarray:
    """Each option's normalised score, in option order (the vector form of ``normalise``)."""
    return np.array([scale.normalise(o.score, reverse) for o in scale.options], dtype=np.float64)


@dataclass
class Encoded:
    """Every question column found in a frame, plus the answers that did not fit."""

    n: int
    columns: dict[str, ColumnAnswers]
    errors: AnswerErrors


def encode(frame: pd.DataFrame, iset: IndicatorSet, lenient: bool, max_errors: int = MAX_ERRORS) -> Encoded:
    """Encode the columns of ``frame`` named after questions of ``iset`` (others ignored)."""
    present = [q for q in iset.questions if q.code in frame.columns]
    dupes = [q.code for q in present if isinstance(frame[q.code], pd.DataFrame)]
    if dupes:
        raise ScoringInputError(f"question column(s) given more than once: {', '.join(dupes)}")
    columns: dict[str, ColumnAnswers] = {}
    for q in present:
        scale = iset.scales[q.scale]
        col = frame[q.code]
        if scale.kind is ScaleKind.ORDINAL:
            idx, bad = _encode_ordinal(col, scale, lenient)
            columns[q.code] = ColumnAnswers(q.code, scale, option_index=idx, bad=bad)
        elif scale.kind is ScaleKind.TEXT:
            columns[q.code] = ColumnAnswers(q.code, scale, text=_encode_text(col))
        else:
            vals, bad = _encode_number(col, scale)
            columns[q.code] = ColumnAnswers(q.code, scale, values=vals, bad=bad)
    errors = _collect_errors(list(columns.values()), max_errors)
    return Encoded(len(frame), columns, errors)


# --- ordinal ---------------------------------------------------------------------------
def _encode_ordinal(col: pd.Series, scale: Scale, lenient: bool) -> tuple[np.ndarray, _Bad | None]:
    codes = pd.Index([o.code for o in scale.options], dtype=object)
    if isinstance(col.dtype, pd.CategoricalDtype):
        # Resolve each category once, then spread through the integer codes.
        cats = col.cat.categories
        per_cat = _resolve_ordinal(pd.Index(cats, dtype=object), scale, codes, lenient)
        cat_codes = col.cat.codes.to_numpy()
        idx = np.where(cat_codes >= 0, np.append(per_cat, _BLANK)[cat_codes], _BLANK)
        bad_mask = idx == _BAD
        if not bad_mask.any():
            return idx.astype(np.intp), None
        rows = np.flatnonzero(bad_mask)
        idx[bad_mask] = _BLANK
        keys = cat_codes[rows].astype(np.intp)
        return idx.astype(np.intp), _Bad(rows, keys, lambda k: _ordinal_bad(cats[k], scale, lenient))
    idx = codes.get_indexer(col)
    left = np.flatnonzero(idx < 0)
    if not len(left):
        return idx, None
    # Cells that are not exact codes: blanks, labels, other spellings, mistakes.
    sub_codes, uniques = pd.factorize(col.iloc[left], use_na_sentinel=True)
    per_unique = _resolve_ordinal(uniques, scale, codes, lenient)
    resolved = np.where(sub_codes >= 0, np.append(per_unique, _BLANK)[sub_codes], _BLANK)
    bad_at = resolved == _BAD
    resolved[bad_at] = _BLANK
    idx[left] = resolved
    if not bad_at.any():
        return idx, None
    keys = sub_codes[bad_at].astype(np.intp)
    return idx, _Bad(left[bad_at], keys, lambda k: _ordinal_bad(uniques[k], scale, lenient))


def _resolve_ordinal(values: pd.Index, scale: Scale, codes: pd.Index, lenient: bool) -> np.ndarray:
    """Option position for each distinct value, or _BLANK / _BAD."""
    out = np.full(len(values), _BAD, dtype=np.intp)
    exact = codes.get_indexer(values)
    position = {c: i for i, c in enumerate(codes)}
    for i, v in enumerate(values):
        if exact[i] >= 0:
            out[i] = exact[i]
            continue
        key = _cell_key(v)
        if key is None:
            out[i] = _BLANK
        elif lenient:
            code = scale.option_code(key)
            if code is not None:
                out[i] = position[code]
        elif key in position:  # canonical data: the code itself (padded, or typed as a number)
            out[i] = position[key]
    return out


def _cell_key(v) -> str | None:
    """The text an ordinal cell stands for, or None when it is blank.

    A whole number read from a spreadsheet (``2.0``) is spelled ``"2"`` so it can match an
    option coded ``2``.
    """
    if v is None:
        return None
    if isinstance(v, str):
        key = v.strip()
        return key or None
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, numbers.Real):
        f = float(v)
        if math.isnan(f):
            return None
        return str(int(f)) if f.is_integer() else repr(f)
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v).strip() or None


def _ordinal_bad(value, scale: Scale, lenient: bool) -> tuple[str, str]:
    shown = _show(value)
    expected = ", ".join(o.code for o in scale.options)
    spelled = " or their labels" if lenient else "; canonical answers are option codes"
    return shown, f"unknown option '{shown}' for scale {scale.code} (expected one of {expected}{spelled})"


# --- numeric / nps ---------------------------------------------------------------------
def _encode_number(col: pd.Series, scale: Scale) -> tuple[np.ndarray, _Bad | None]:
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        vals = col.to_numpy(dtype=np.float64, na_value=np.nan)
        not_number_rows = np.empty(0, dtype=np.intp)
        not_number_keys = not_number_rows
        uniques = None
    else:
        sub_codes, uniques = pd.factorize(col, use_na_sentinel=True)
        per_unique, is_number = _parse_numbers(uniques)
        vals = np.append(per_unique, np.nan)[sub_codes]
        bad_cells = np.append(~is_number, False)[sub_codes]
        not_number_rows = np.flatnonzero(bad_cells)
        not_number_keys = sub_codes[not_number_rows].astype(np.intp)
    lo, hi = scale.min, scale.max
    with np.errstate(invalid="ignore"):
        wrong = (vals < lo) | (vals > hi)
        if scale.kind is ScaleKind.NPS:
            wrong |= np.isfinite(vals) & (vals != np.floor(vals))
    range_rows = np.flatnonzero(wrong)
    if not len(range_rows) and not len(not_number_rows):
        return vals, None
    out_of_range = vals[range_rows].copy()
    vals = vals.copy() if not vals.flags.writeable else vals
    vals[range_rows] = np.nan
    # Keys: >= 0 index a non-number unique value; < 0 encode -(1 + i) for range_rows[i].
    rows = np.concatenate([not_number_rows, range_rows])
    keys = np.concatenate([not_number_keys, -1 - np.arange(len(range_rows), dtype=np.intp)])
    order = np.argsort(rows, kind="stable")

    def describe(key: int) -> tuple[str, str]:
        if key >= 0:
            shown = _show(uniques[key])
            return shown, f"'{shown}' is not a number (scale {scale.code} expects {_num(lo)}..{_num(hi)})"
        v = float(out_of_range[-1 - key])
        shown = _show(v)
        if lo <= v <= hi:
            return shown, f"value {shown} is not a whole number (nps answers are whole numbers {_num(lo)}..{_num(hi)})"
        return shown, f"value {shown} is outside the scale {_num(lo)}..{_num(hi)}"

    return vals, _Bad(rows[order], keys[order], describe)


def _parse_numbers(uniques: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Float per distinct cell (NaN for blanks) and whether it was blank or a number."""
    objs = np.asarray(uniques, dtype=object)
    texts = np.array([v.strip() if isinstance(v, str) else v for v in objs], dtype=object)
    blank = np.array([isinstance(v, str) and v == "" for v in texts], dtype=bool)
    is_bool = np.array([isinstance(v, (bool, np.bool_)) for v in texts], dtype=bool)
    parsed = pd.to_numeric(pd.Series(np.where(blank | is_bool, None, texts), dtype=object), errors="coerce")
    parsed = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
    is_number = blank | (~np.isnan(parsed) & ~is_bool)
    return parsed, is_number


# --- text ------------------------------------------------------------------------------
def _encode_text(col: pd.Series) -> np.ndarray:
    out = np.full(len(col), np.nan, dtype=object)
    given = col.notna().to_numpy()
    if given.any():
        stripped = col[given].astype(str).str.strip().to_numpy(dtype=object)
        stripped[stripped == ""] = np.nan
        out[given] = stripped
    return out


# --- errors ----------------------------------------------------------------------------
def _collect_errors(columns: list[ColumnAnswers], max_errors: int) -> AnswerErrors:
    """The first ``max_errors`` errors by (row, question order), with the full count."""
    found = [(i, c) for i, c in enumerate(columns) if c.bad is not None and len(c.bad.rows)]
    if not found:
        return AnswerErrors()
    total = sum(len(c.bad.rows) for _, c in found)
    rows = np.concatenate([c.bad.rows for _, c in found])
    cols = np.concatenate([np.full(len(c.bad.rows), j) for j, (_, c) in enumerate(found)])
    within = np.concatenate([np.arange(len(c.bad.rows)) for _, c in found])
    order = np.lexsort((cols, rows))[:max_errors]
    out = []
    for k in order:
        col = found[cols[k]][1]
        value, reason = col.bad.describe(int(col.bad.keys[within[k]]))
        out.append(AnswerError(int(rows[k]), col.code, value, reason))
    return AnswerErrors(out, total)


def _show(v) -> str:
    """An answer as a person would type it back (``11`` rather than ``11.0``)."""
    if isinstance(v, (float, np.floating)) and math.isfinite(v) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))
