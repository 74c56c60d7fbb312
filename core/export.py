"""The tenant export archive: one zip holding everything a tenant owns, with a manifest.

Pure archive building (zip entries, checksums, the response CSV layout); the data comes
from ``core.operations.export_tenant``, which reads it through the repositories. Layout:

    manifest.json                 format, counts, sha256 and size of every other file
    tenant.json                   id, slug, name, created_at
    api_keys.json                 key metadata (id, name, prefix, role, dates); no hashes
    tenant_plugins.json           the plugins the tenant enabled: name, when, by which key
    config_versions/index.json    one entry per version: number, indicator set, checksum, dates
    config_versions/vN.yaml       version N exactly as uploaded
    config_versions/vN.resolved.json   version N resolved (template merged, weights filled in)
    responses/vN.csv              the responses collected under version N, in the CSV form
                                  `csm import-responses --version N` and
                                  `POST /responses/csv?version=N` take back
    cases.jsonl                   each case with its event log (the shapes POST /cases and
                                  POST /case-events take)
    alerts.jsonl                  every alert, oldest first, with its acknowledgement
    webhook_endpoints.json        the endpoints (URL, kinds, state); never a secret
    webhook_deliveries.jsonl      every delivery of every endpoint, with its attempts
    customers.jsonl               each customer with its attributes (the item shape POST
                                  /customers takes) and its grades per period, with inputs
    service_requests.jsonl        every checked service request, oldest first
    purchases.jsonl               every purchase record, oldest first (the item shape POST
                                  /purchases takes, with recorded_at)
    audit_events.jsonl            the audit log, oldest first, one JSON object per line

Responses are split per configuration version because each response is scored against the
version it was collected under; re-importing a file under the same version number keeps
its scores identical. Idempotency keys are not exported: they only make retries of recent
requests safe, expire within days and hold no survey data.

The archive is written entry by entry into any binary file object (a spooled temporary
file for the API, a file for the CLI); zip entries are streamed, so no entry needs to be
held in memory whole, and the manifest, written last, lists what was actually written.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import IO, Any

import pandas as pd

from core.batch.csv_cells import escape_frame

FORMAT = "csm-tenant-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Rows serialised per to_csv call: bounds the text held at once, whatever the file's size.
CSV_CHUNK_ROWS = 10_000
FIXED_CSV_COLUMNS = ("response_id", "customer_id", "touchpoint", "collected_at")
NOT_EXPORTED = {
    "idempotency_keys": "retry guards for recent ingest requests; they expire and hold no survey data",
    "api key secrets and hashes": "never exported; create new keys after a re-import",
    "webhook secrets": "never exported; register the endpoints again after a re-import (each gets a new secret)",
}


def archive_name(slug: str, moment: datetime) -> str:
    """``csm-export-<slug>-<UTC timestamp>.zip``, e.g. ``csm-export-acme-20260115T100000Z.zip``."""
    return f"csm-export-{slug}-{moment.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}.zip"


def utc_iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class _HashingWriter(io.RawIOBase):
    """Forwards bytes to a zip entry while counting them and hashing them (sha256)."""

    def __init__(self, target: IO[bytes]):
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data)
        self.digest.update(view)
        self.target.write(view)
        self.size += len(view)
        return len(view)

    def close(self) -> None:
        if not self.closed:
            self.target.close()
        super().close()


class ExportArchive:
    """A zip being written: each entry records its sha256, size and row count for the manifest."""

    def __init__(self, fileobj: IO[bytes]):
        self._zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.files: dict[str, dict[str, Any]] = {}

    @contextmanager
    def open_binary(self, name: str, rows: int | None = None) -> Iterator[_HashingWriter]:
        if name in self.files or name == MANIFEST:
            raise ValueError(f"archive entry {name!r} written twice")
        # force_zip64: an entry's size is unknown before it is written and may pass 2 GiB.
        writer = _HashingWriter(self._zip.open(name, "w", force_zip64=True))
        try:
            yield writer
        finally:
            writer.close()
        self.files[name] = {"sha256": writer.digest.hexdigest(), "bytes": writer.size, **({} if rows is None else {"rows": rows})}

    @contextmanager
    def open_text(self, name: str, rows: int | None = None) -> Iterator[io.TextIOWrapper]:
        with self.open_binary(name, rows) as raw:
            text = io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", newline="")
            try:
                yield text
            finally:
                text.flush()
                text.detach()

    def write_text(self, name: str, text: str, rows: int | None = None) -> None:
        with self.open_binary(name, rows) as out:
            out.write(text.encode("utf-8"))

    def write_json(self, name: str, value: Any, rows: int | None = None) -> None:
        self.write_text(name, json.dumps(value, ensure_ascii=False, indent=2, default=_json_default) + "\n", rows)

    def write_jsonl(self, name: str, records: list[dict]) -> None:
        text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True, default=_json_default) + "\n" for r in records)
        self.write_text(name, text, rows=len(records))

    def write_responses_csv(self, name: str, frame: pd.DataFrame, question_order: Iterable[str]) -> int:
        """Write one version's responses (a ``ResponseRepository.load_frame`` frame) as CSV,
        ``CSV_CHUNK_ROWS`` rows per ``to_csv`` call; returns the number of rows. Text cells
        and column names that a spreadsheet would run as a formula are neutralised
        (``core.batch.csv_cells``), in a way the import undoes exactly."""
        table = responses_csv_frame(frame, question_order)
        with self.open_text(name, rows=len(table)) as out:
            escape_frame(table.iloc[:0]).to_csv(out, index=False)
            for start in range(0, len(table), CSV_CHUNK_ROWS):
                chunk = escape_frame(table.iloc[start : start + CSV_CHUNK_ROWS])
                chunk.to_csv(out, index=False, header=False, float_format="%.15g")
        return len(table)

    def finish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Write manifest.json (``manifest`` plus the file list) last, close the zip, return it."""
        complete = {**manifest, "files": dict(sorted(self.files.items()))}
        self._zip.writestr(MANIFEST, json.dumps(complete, ensure_ascii=False, indent=2, default=_json_default) + "\n")
        self._zip.close()
        return complete

    def abort(self) -> None:
        """Close without a manifest (the output is then not a valid export)."""
        self._zip.close()


def responses_csv_frame(frame: pd.DataFrame, question_order: Iterable[str]) -> pd.DataFrame:
    """A stored-response frame in the import CSV layout.

    Columns: response_id, customer_id, touchpoint, collected_at (ISO 8601 UTC with
    microseconds, e.g. ``2026-01-15T10:00:00.000000Z``), the attribute columns, then one
    column per question in the configuration's order (questions nobody answered included,
    empty). Answers are the stored canonical values (option codes, numbers, text), which the
    import reads back to the same values (text cells are escaped against formulas when
    written, see ``write_responses_csv``). An attribute whose name is taken by a question
    code or a fixed column appears as ``attributes.<name>`` (see ``build_frame``); that is
    the one case a re-import does not restore exactly.
    """
    questions = list(question_order)
    answer_cols = frame.attrs.get("answer_columns", [])
    attribute_cols = frame.attrs.get("attribute_columns", [])
    extra = [c for c in answer_cols if c not in questions]
    out = frame.reindex(columns=[*FIXED_CSV_COLUMNS, *attribute_cols, *questions, *extra])
    out["collected_at"] = out["collected_at"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return out


def _json_default(value: Any):
    if isinstance(value, datetime):
        return utc_iso(value)
    raise TypeError(f"cannot serialise {type(value).__name__} in an export")
