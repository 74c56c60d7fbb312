"""A CSV file cut into parts of at most N data rows, each a CSV of its own (the header
and its rows), remembering the line of the file each data row starts on.

The parts are parsed by ``core.ingest.read_csv_batch``, the reader the API uses, so a file
imported with ``csm import-responses`` is read exactly as the same rows sent to
``POST /responses/csv``. Finding where rows start is ``core.batch.csv_reader.csv_records``,
which the API uses to name lines too. When that pass cannot read the file (not UTF-8, a cell over
the ``csv`` module's field limit, an unterminated quote...), the file stays one part, the
reader reports the problem, and rows are named by number instead of line.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.batch.csv_reader import csv_records


@dataclass
class CsvParts:
    parts: list  # CSV texts (or the file's bytes, when it stays whole)
    part_rows: list[int]  # data rows in each part (None when unknown)
    lines: list[int] | None  # 1-based line of the file each data row starts on
    too_wide: list[str]  # "line N: ..." for rows with more fields than the header

    @property
    def whole(self) -> bool:
        """The file stayed one part: the row pass could not read it."""
        return self.part_rows == [None]

    @property
    def rows(self) -> int | None:
        return None if None in self.part_rows else sum(self.part_rows)

    def first_row(self, part: int) -> int:
        return sum(self.part_rows[:part])

    def where(self, row: int) -> str:
        """Where data row ``row`` (0-based, over the whole file) is: ``line N`` or ``row N``."""
        if self.lines is not None and 0 <= row < len(self.lines):
            return f"line {self.lines[row]}"
        return f"row {row}"

    def row_of(self, part: int, row: int) -> int:
        """The file's data row for data row ``row`` of ``part`` (< 0: the file itself)."""
        return row if row < 0 else row + self.first_row(part)

    def describe(self, problems) -> list[str]:
        """``line N: field: message`` for each (file row, field, message), in file order;
        problems of the file itself (row < 0) first, without a line."""
        return [f"{field}: {message}" if row < 0 else f"{self.where(row)}: {field}: {message}" for row, field, message in sorted(problems)]

    def parsed(self, part: int, rows: int) -> None:
        """The reader found ``rows`` data rows in ``part``: should that differ from this
        pass's count, its line numbers cannot be trusted, and rows are named by number."""
        if self.part_rows[part] != rows:
            self.part_rows[part] = rows
            self.lines = None


def split_csv(data: bytes, size: int) -> CsvParts:
    whole = CsvParts([data], [None], None, [])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return whole
    found = csv_records(text)
    if found is None or not found[1]:
        return whole  # unreadable record by record, or empty: the reader says so
    lines, (head, *rows) = found
    width = head.fields
    too_wide = [f"line {r.line}: {r.fields} fields, the header has {width}" for r in rows if r.fields > width]
    header = "".join(lines[head.start : head.end])
    if not header.endswith(("\n", "\r")):
        header += "\n"
    parts, counts = [], []
    for first in range(0, len(rows), size):
        chunk = rows[first : first + size]
        parts.append(header + "".join(lines[chunk[0].start : chunk[-1].end]))
        counts.append(len(chunk))
    if not parts:
        parts, counts = [header], [0]
    return CsvParts(parts, counts, [r.line for r in rows], too_wide)
