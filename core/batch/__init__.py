"""The batch toolkit: what every ingested record kind shares, and nothing kind-specific.

Pure pandas/numpy (no Flask, no SQL), one job per module:

- ``limits``: every batch limit, defined once;
- ``errors``: ``RowError``, ``BatchError`` (all or nothing), the error cap;
- ``text``: scalars to text, free-text and name checks, ``UNSTORABLE``;
- ``timestamps``: ISO 8601 timestamp columns → UTC;
- ``csv_reader``: CSV bytes → a frame of text cells, hostile files refused early;
- ``csv_cells``: the one escape rule for CSV text cells (formulas neutralised, read back exactly);
- ``records``: JSON items → a frame, with the structural checks;
- ``prepared``: ``PreparedRows``, the only thing repositories store;
- ``kind``: the ``RecordKind`` contract and the pipeline (parse, prepare).

The record kinds themselves live in ``core.ingest`` (registry: ``core.ingest.KINDS``).
"""

from core.batch.csv_reader import read_csv
from core.batch.errors import BatchError, RowError, check_row_count, errors_at, refuse, too_many_rows
from core.batch.kind import Context, RecordKind, parse_csv, parse_items, prepare
from core.batch.limits import MAX_ERRORS
from core.batch.prepared import PreparedRows, require, seal
from core.batch.text import UNSTORABLE

__all__ = [
    "MAX_ERRORS",
    "UNSTORABLE",
    "BatchError",
    "Context",
    "PreparedRows",
    "RecordKind",
    "RowError",
    "check_row_count",
    "errors_at",
    "parse_csv",
    "parse_items",
    "prepare",
    "read_csv",
    "refuse",
    "require",
    "seal",
    "too_many_rows",
]
