"""The one rule for text cells in the CSV files CSM writes and reads: formula neutralising.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``); a leading tab or carriage return
hides such a cell from naive checks. So, as OWASP's CSV-injection guidance says, every
text cell CSM writes that starts with one of those characters is written with a ``'``
before it, which spreadsheets show as text. To keep that reversible, a text cell that
already starts with ``'`` gets one more, and so does one starting with U+FEFF (invisible,
and refused by the reader as a stray byte-order mark when it opens a cell):

    written cell = "'" + value   when value starts with  = + - @ TAB CR ' U+FEFF
                 = value         otherwise

The reader (``core.batch.csv_reader``) undoes exactly that: a cell starting with ``'``
loses that one character. Every stored value therefore comes back unchanged through
export → import, and a hand-written CSV may use the same escape (``'=total`` is read as
``=total``, ``''quoted`` as ``'quoted``).

Numbers are not text: a numeric answer (``-1``, ``-2.5``) is written as the number it is,
which a spreadsheet reads as a constant, never as a formula, and the reader takes it back
as that number. Header cells (column names: attribute names can be any text) follow the
same rule as data cells.
"""

from __future__ import annotations

import pandas as pd

ESCAPE = "'"
# Leading characters that make a spreadsheet evaluate a cell, hide one, or would be read
# back differently; a text cell starting with any of them is written with ESCAPE first.
NEEDS_ESCAPE = ("=", "+", "-", "@", "\t", "\r", ESCAPE, "\ufeff")


def escape_text(values: pd.Series) -> pd.Series:
    """``values`` with ESCAPE before every text cell starting with one of NEEDS_ESCAPE;
    numbers and blanks unchanged (column-wise string methods, no loop per cell)."""
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return values  # a numeric column: numbers are never escaped
    hit = values.str.startswith(NEEDS_ESCAPE).fillna(False).astype(bool)
    if not hit.any():
        return values
    return values.where(~hit, ESCAPE + values.astype(object).where(hit, ""))


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame ready to be written as CSV: every text cell and column name escaped."""
    out = frame.apply(escape_text) if len(frame.columns) else frame.copy()
    out.columns = escape_text(pd.Series(list(frame.columns), dtype=object)).tolist()
    return out


def unescape_text(values: pd.Series) -> pd.Series:
    """The reader's side: a cell starting with ESCAPE loses that one character (a cell
    that was only ESCAPE becomes blank, NaN)."""
    hit = values.str.startswith(ESCAPE).fillna(False).astype(bool)
    if not hit.any():
        return values
    restored = values.where(~hit, values.str.slice(1))
    return restored.mask(restored.eq(""))
