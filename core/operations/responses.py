"""Survey responses: validate and store a batch, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from core.db.errors import DuplicateResponseKey
from core.db.repositories import ResponseRepository
from core.batch.csv_reader import data_row_lines
from core.ingest import Batch, BatchError, RowError, already_stored, prepare_rows, read_csv_batch
from core.operations.configuration import config_of, config_version


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    version: int


def ingest(session: Session, tenant_id: int, batch_of, version: int | None = None, now: pd.Timestamp | None = None) -> IngestResult:
    """Validate and store a batch, all or nothing.

    ``batch_of`` turns the tenant's indicator set into a ``Batch`` (so parsing can use the
    question codes); every problem in the batch is reported together and nothing is stored.
    """
    stored = config_version(session, tenant_id, version)
    iset = config_of(session, stored).indicator_set
    batch: Batch = batch_of(iset)
    responses = ResponseRepository(session)
    rows = prepare_rows(batch, iset, now=now, stored_keys=lambda keys: responses.existing_keys(tenant_id, keys))
    try:
        count = responses.insert_many(tenant_id, stored.id, stored.version, rows)
    except DuplicateResponseKey as exc:
        keys = rows.frame["response_key"]
        raise _stored_meanwhile(keys, responses.existing_keys(tenant_id, keys.dropna().tolist())) from exc
    return IngestResult(accepted=count, version=stored.version)


def ingest_csv(session: Session, tenant_id: int, data: bytes, version: int | None = None, max_rows: int | None = None, now: pd.Timestamp | None = None) -> IngestResult:
    """``ingest`` of a CSV file; a refusal names each row by the file's line (the line
    pass runs only then, so an accepted file is read once)."""
    read = {}

    def batch_of(iset):
        read["batch"] = read_csv_batch(data, iset, max_rows=max_rows)
        return read["batch"]

    try:
        return ingest(session, tenant_id, batch_of, version, now)
    except BatchError as exc:
        rows = len(read["batch"]) if "batch" in read else None
        raise exc.in_csv(data_row_lines(data), rows) from None


def _stored_meanwhile(keys: pd.Series, clash: set[str]) -> BatchError:
    """The refusal for a batch that passed the "already stored" check, then lost the race
    to a concurrent request storing some of the same response ids (PostgreSQL: both
    checked before either committed; the unique constraint caught it and nothing of this
    batch was stored). Same rows and message as when the check itself finds them."""
    errors = already_stored(keys, clash)
    if not errors:
        return BatchError([RowError(-1, "response_id", "a concurrent request stored some of these response ids; nothing of this batch was stored")])
    return BatchError(errors, total=int(keys.isin(clash).sum()))
