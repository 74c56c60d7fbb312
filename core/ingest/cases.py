"""Cases, an ingested record kind: JSON items or CSV → storable case rows.

A case is the tenant's ``case_id`` with its ``case_type``, ``customer_id``,
``touchpoint``, ``opened_at`` and attributes. Sending a case again replaces what was
stored for it (the case is what its latest record says), so a retried batch changes
nothing and cases may come before or after their events.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.batch import BatchError, Context, PreparedRows, RowError, errors_at, refuse, seal
from core.batch import records, text, timestamps
from core.batch.limits import MAX_ATTRIBUTES, MAX_ID_LENGTH, MAX_TOUCHPOINT_LENGTH
from core.ingest.case_fields import Attributes, attribute_json, attributes_of_frame, attributes_of_items, code_column, required_text

NAME = "cases"
META_COLUMNS = ("case_id", "case_type", "customer_id", "touchpoint", "opened_at")
FIELDS = frozenset(META_COLUMNS) | {"attributes"}
COLUMNS = ("case_key", "case_type", "customer_id", "touchpoint", "opened_at", "attributes")


@dataclass(frozen=True)
class CaseBatch:
    meta: pd.DataFrame
    attributes: Attributes

    def __len__(self) -> int:
        return len(self.meta)


class CaseKind:
    """Cases as a ``core.batch.RecordKind`` (schema: unused, None)."""

    name = NAME
    fields = FIELDS
    columns = COLUMNS

    def csv_header_limit(self, schema) -> tuple[int, str]:
        return len(META_COLUMNS) + MAX_ATTRIBUTES, f"{len(META_COLUMNS)} case columns, {MAX_ATTRIBUTES} attributes"

    def from_frame(self, frame: pd.DataFrame, schema) -> CaseBatch:
        frame = frame.reset_index(drop=True)
        meta = [c for c in META_COLUMNS if c in frame.columns]
        return CaseBatch(frame[meta], attributes_of_frame(frame[[c for c in frame.columns if c not in META_COLUMNS]]))

    def from_items(self, items: list, schema) -> CaseBatch:
        errors: list[RowError] = []
        frame = records.items_frame(items, FIELDS, ("case_id",), NAME, errors)
        attrs = attributes_of_items(frame, errors)
        if errors:
            raise BatchError(errors)
        return CaseBatch(frame[[c for c in META_COLUMNS if c in frame.columns]], attrs)

    def prepare(self, batch: CaseBatch, context: Context) -> PreparedRows:
        n = len(batch)
        if n == 0:
            raise refuse(NAME, "the batch holds no cases")
        errors: list[RowError] = []
        meta = batch.meta
        out = pd.DataFrame(index=meta.index)
        out["case_key"] = keys = required_text(meta, "case_id", MAX_ID_LENGTH, errors)
        out["case_type"] = text.optional_text(meta, "case_type", errors)
        code_column(out["case_type"], "case_type", errors)
        for col, limit in (("customer_id", MAX_ID_LENGTH), ("touchpoint", MAX_TOUCHPOINT_LENGTH)):
            out[col] = text.optional_text(meta, col, errors)
            text.check_text(out[col], col, limit, errors)
        dup = (keys.notna() & keys.duplicated(keep="first")).to_numpy()
        errors.extend(errors_at(dup, "case_id", lambda r: f"duplicate case_id {keys.iloc[r]!r} in this batch"))
        opened = timestamps.timestamp_column(meta, "opened_at", errors, context.now)
        blank = meta["opened_at"].isna().to_numpy() if "opened_at" in meta.columns else [True] * n
        out["opened_at"] = opened.astype(object).where(~pd.Series(blank, index=opened.index), None)
        out["attributes"] = attribute_json(batch.attributes, errors)
        if errors:
            errors.sort(key=lambda e: (e.row, e.field))
            raise BatchError(errors)
        return seal(CASES, out)


CASES = CaseKind()
