"""CSV text → a plain DataFrame of text cells, with hostile files refused early.

The reader knows nothing of any record kind: it returns one column per header name, every
cell a string or NaN (blank), with a 0-based RangeIndex whose positions are the data rows
errors name. The record kind then splits the frame into its own parts. What it refuses
(a ``BatchError``, nothing read further):

- bytes that are not UTF-8 (a BOM is allowed), an empty file;
- a header wider than ``max_columns``, counted by the ``csv`` module before pandas sees
  it (pandas takes minutes and gigabytes for the million columns that fit in 14 MB);
- more than ``max_rows`` data rows: parsing stops one row past the limit, so an over-long
  file is never held whole as a frame;
- a row with more fields than the header, named by its position (pandas would otherwise
  take the first column as an index and shift every value), unterminated quotes and other
  unparsable text;
- a header with an unnamed or a repeated column.

Errors name data rows by position. Where a person reads the file, the line a row starts
on is what they look for; ``csv_records`` finds it (one pass of the ``csv`` module, only
when there is something to report, or to cut a file into parts).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pandas as pd

from core.batch.errors import BatchError, RowError, check_row_count, refuse

FILE = "(file)"
HEADER = "(header)"


def read_csv(data: bytes | str, *, max_columns: int, max_rows: int | None = None, what: str = "rows", columns_hint: str = "") -> pd.DataFrame:
    """Parse CSV text (UTF-8, optional BOM) with every cell kept as text.

    ``what`` names the rows in the row-limit refusal (the record kind: "responses"),
    ``columns_hint`` says what the allowed columns are made of in the header refusal.
    Every row is read as data (``header=None``) and the first one becomes the header,
    which is how a row with more fields than the header becomes an error.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise refuse(FILE, f"the CSV is not valid UTF-8 (byte {exc.start})") from None
    if not data.strip():
        raise refuse(FILE, "the CSV is empty")
    columns = header_width(data)
    if columns > max_columns:
        raise refuse(HEADER, f"the header has {columns} columns; at most {max_columns}" + (f" ({columns_hint})" if columns_hint else ""))
    try:
        raw = pd.read_csv(
            io.StringIO(data), header=None, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True,
            nrows=None if max_rows is None else max_rows + 2,  # the header, then one row too many
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        ragged = _ragged_row(data, columns, max_rows)
        if ragged is not None:
            raise BatchError([ragged]) from None
        raise refuse(FILE, f"the CSV cannot be parsed: {str(exc).strip()}") from None
    names = raw.iloc[0]
    if names.isna().any():
        raise refuse(HEADER, "a column has no name in the header")
    dupes = names[names.duplicated()]
    if len(dupes):
        raise refuse(str(dupes.iloc[0]), "the column appears more than once in the header")
    check_row_count(len(raw) - 1, max_rows, what)
    return raw.iloc[1:].set_axis(names.tolist(), axis=1).reset_index(drop=True)


def _ragged_row(data: str, width: int, max_rows: int | None) -> RowError | None:
    """The first data row with more fields than the header, located by the csv module.

    Only on the error path: pandas's message counts "lines" its own way (blank lines in,
    line breaks inside quoted cells out), so the row is found again here to name it the
    way every other error does (0 = the first row after the header). None when the csv
    module sees no such row (the file is broken some other way)."""
    rows = csv.reader(io.StringIO(data.lstrip()), skipinitialspace=True)
    try:
        next(rows, None)  # the header
        position = 0
        for fields in rows:
            if not fields:  # a blank line, skipped like pandas does
                continue
            if len(fields) > width:
                return RowError(position, FILE, f"the row has {len(fields)} fields but the header only {width}: a field without a column would shift every value")
            position += 1
            if max_rows is not None and position > max_rows:
                return None
    except csv.Error:
        return None
    return None


def header_width(data: str) -> int:
    """How many columns the first non-blank line of the CSV names (C speed, any width)."""
    try:
        return len(next(csv.reader(io.StringIO(data.lstrip())), []))
    except csv.Error as exc:  # e.g. a header cell of over 128 KiB
        raise refuse(HEADER, f"the CSV header cannot be read: {exc}") from None


@dataclass(frozen=True)
class CsvRecord:
    """One non-blank record of a CSV text: its lines ``[start, end)`` (0-based indexes of
    the text's lines; a quoted value may span several) and how many fields it has."""

    start: int
    end: int
    fields: int

    @property
    def line(self) -> int:
        """The 1-based line of the file the record starts on."""
        return self.start + 1


def csv_records(text: str) -> tuple[list[str], list[CsvRecord]] | None:
    """The text's lines and its records (the header first), read as ``read_csv`` reads
    them: ``skipinitialspace``, records holding only blanks skipped. None when the csv
    module cannot read the text (an unterminated quote, a cell over its field limit...):
    then ``read_csv`` reports the problem, and rows can only be named by position."""
    lines = io.StringIO(text, newline="").readlines()
    records: list[CsvRecord] = []
    reader = csv.reader(iter(lines), skipinitialspace=True, strict=True)
    start = 0
    try:
        for fields in reader:
            end = reader.line_num
            if "".join(lines[start:end]).strip(" \t\r\n"):
                records.append(CsvRecord(start, end, len(fields)))
            start = end
    except csv.Error:
        return None
    return lines, records


def data_row_lines(data: bytes | str) -> tuple[int, list[int]] | None:
    """The header's line and the line each data row starts on (1-based lines of the
    file), or None when the file cannot be read record by record (see ``csv_records``)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    found = csv_records(data)
    if found is None or not found[1]:
        return None
    header, *rows = found[1]
    return header.line, [r.line for r in rows]
