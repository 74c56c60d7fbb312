"""The ingested record kinds, registered in ``KINDS``; the generic machinery is ``core.batch``.

Responses were the first kind; cases and their events follow. A later kind (customers,
inspection results, metrics) is one new module beside ``responses.py`` whose object fulfils
``core.batch.RecordKind``, plus one entry in ``KINDS``.

The response names callers import from ``core.ingest`` (the API, the CLI, operations, the
demo, the bench, tests) stay importable from here.
"""

from core.batch import BatchError, PreparedRows, RecordKind, RowError, UNSTORABLE
from core.ingest.case_events import CASE_EVENTS
from core.ingest.cases import CASES
from core.ingest.responses import (
    META_COLUMNS,
    RESPONSES,
    Batch,
    already_stored,
    batch_from_frame,
    batch_from_records,
    prepare_rows,
    read_csv_batch,
)

KINDS: dict[str, RecordKind] = {kind.name: kind for kind in (RESPONSES, CASES, CASE_EVENTS)}

__all__ = [
    "CASES",
    "CASE_EVENTS",
    "KINDS",
    "META_COLUMNS",
    "RESPONSES",
    "UNSTORABLE",
    "Batch",
    "BatchError",
    "PreparedRows",
    "RecordKind",
    "RowError",
    "already_stored",
    "batch_from_frame",
    "batch_from_records",
    "prepare_rows",
    "read_csv_batch",
]
