"""Text cells of a batch: scalars to text, free-text checks, name checks.

JSON items give any type in any cell and CSV gives text; storage wants text or None. These
helpers turn a column into that, column-wise (C-speed string methods, numpy masks), and
append a ``RowError`` for each cell that cannot be stored: a list or object where text is
expected, text over its limit, and characters no database can store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from core.batch.errors import RowError, errors_at
from core.batch.limits import MAX_ATTRIBUTE_NAME_LENGTH

# Characters no stored text may hold: NUL (PostgreSQL refuses it in text) and unpaired
# UTF-16 surrogates (JSON can spell them, \ud800, but they cannot be encoded as UTF-8).
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
# Names (attribute names, which become column names and JSON keys) refuse every control
# character too.
BAD_NAME_CHARACTER = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")

_BAD = object()  # marks a cell that is neither text nor a number


def scalar_text(s: pd.Series, field: str, errors: list[RowError]) -> pd.Series:
    """Strings stay (stripped), numbers become their text, blanks become None; lists,
    objects and booleans are errors (and None)."""
    if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        text = s.astype(object).where(s.notna(), None).str.strip()  # the common case, in C
        bad = np.zeros(len(s), dtype=bool)
    else:
        text = s.map(_as_text, na_action="ignore").astype(object)
        bad = (text == _BAD).to_numpy()
        errors.extend(errors_at(bad, field, "must be a string or a number"))
    return text.where(text.notna() & ~bad & (text != ""), None)


def optional_text(frame: pd.DataFrame, column: str, errors: list[RowError]) -> pd.Series:
    """``scalar_text`` of ``frame[column]`` as an object column (None for blanks), or all
    None when the batch has no such column."""
    if column not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    s = scalar_text(frame[column], column, errors)
    return s.astype(object).where(s.notna(), None)


def check_text(s: pd.Series, field: str, limit: int, errors: list[RowError]) -> np.ndarray:
    """Refuse free text longer than ``limit`` or holding characters no database can store
    (NUL, unpaired surrogates); returns the mask of rows holding unstorable characters."""
    too_long = s.str.len().to_numpy(dtype=float, na_value=0) > limit
    errors.extend(errors_at(too_long, field, f"longer than {limit} characters"))
    if not _may_hold_unstorable(s):
        return np.zeros(len(s), dtype=bool)
    bad = s.astype(object).where(s.notna(), "").astype(str).str.contains(UNSTORABLE, regex=True).to_numpy()
    errors.extend(errors_at(bad, field, "contains a NUL character or an unpaired surrogate"))
    return bad


def _may_hold_unstorable(s: pd.Series) -> bool:
    """False when no cell can hold an unstorable character: one regex search over the
    cells joined by a newline (which UNSTORABLE does not match, and which cannot pair two
    lone surrogates), 3 times faster than a search per cell. True when one does, or when
    the cells are not all text; the caller then looks cell by cell."""
    try:
        return UNSTORABLE.search("\n".join(s[s.notna()].tolist())) is not None
    except TypeError:  # a cell that is not text
        return True


def check_names(names: Iterable, prefix: str, what: str, errors: list[RowError]) -> None:
    """Names that become keys of stored JSON (attribute names): 1 to
    MAX_ATTRIBUTE_NAME_LENGTH characters, not blank, no control character or unpaired
    surrogate. One error per bad name, field ``prefix.name``, on row 0 (a name belongs to
    the batch's table, not to one row)."""
    for name in names:  # one per distinct name (at most MAX_ATTRIBUTES), not per row
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_ATTRIBUTE_NAME_LENGTH or BAD_NAME_CHARACTER.search(name):
            errors.append(RowError(0, f"{prefix}.{name}", f"{what} must be 1-{MAX_ATTRIBUTE_NAME_LENGTH} characters, without control characters or unpaired surrogates"))


def number_text(v) -> str:
    """A number as the text it is stored as: integral floats without ``.0`` (3.0 → "3")."""
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _as_text(v):
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return _BAD
    return number_text(v)
