"""Case events, an ingested record kind: what happened to a case, and when.

An event is ``case_id``, ``type`` and ``at`` (required: events arrive in any order, so the
time they carry is the only order there is), with an optional ``event_id`` and
attributes. Its key within the case is ``event_id``, or ``type@at`` (UTC, microseconds)
when none is sent; an event sent again under the same key replaces the stored one, which
is how a late correction repairs a case's clocks, and a batch sent twice stores nothing
new. An event of a case not yet known creates the case with only its id.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.batch import BatchError, Context, PreparedRows, RowError, errors_at, refuse, seal
from core.batch import records, text, timestamps
from core.batch.limits import MAX_ATTRIBUTES, MAX_CODE_LENGTH, MAX_ID_LENGTH
from core.ingest.case_fields import Attributes, attribute_json, attributes_of_frame, attributes_of_items, code_column, required_text

NAME = "events"
META_COLUMNS = ("event_id", "case_id", "type", "at")
FIELDS = frozenset(META_COLUMNS) | {"attributes"}
COLUMNS = ("case_key", "event_key", "type", "at", "attributes")


@dataclass(frozen=True)
class EventBatch:
    meta: pd.DataFrame
    attributes: Attributes

    def __len__(self) -> int:
        return len(self.meta)


class CaseEventKind:
    """Case events as a ``core.batch.RecordKind`` (schema: unused, None)."""

    name = NAME
    fields = FIELDS
    columns = COLUMNS

    def csv_header_limit(self, schema) -> tuple[int, str]:
        return len(META_COLUMNS) + MAX_ATTRIBUTES, f"{len(META_COLUMNS)} event columns, {MAX_ATTRIBUTES} attributes"

    def from_frame(self, frame: pd.DataFrame, schema) -> EventBatch:
        frame = frame.reset_index(drop=True)
        meta = [c for c in META_COLUMNS if c in frame.columns]
        return EventBatch(frame[meta], attributes_of_frame(frame[[c for c in frame.columns if c not in META_COLUMNS]]))

    def from_items(self, items: list, schema) -> EventBatch:
        errors: list[RowError] = []
        frame = records.items_frame(items, FIELDS, ("case_id", "type", "at"), NAME, errors)
        attrs = attributes_of_items(frame, errors)
        if errors:
            raise BatchError(errors)
        return EventBatch(frame[[c for c in META_COLUMNS if c in frame.columns]], attrs)

    def prepare(self, batch: EventBatch, context: Context) -> PreparedRows:
        n = len(batch)
        if n == 0:
            raise refuse(NAME, "the batch holds no events")
        errors: list[RowError] = []
        meta = batch.meta
        out = pd.DataFrame(index=meta.index)
        out["case_key"] = cases = required_text(meta, "case_id", MAX_ID_LENGTH, errors)
        ids = text.optional_text(meta, "event_id", errors)
        text.check_text(ids, "event_id", MAX_ID_LENGTH, errors)
        types = required_text(meta, "type", MAX_CODE_LENGTH, errors)
        code_column(types, "type", errors)
        missing_at = meta["at"].isna().to_numpy() if "at" in meta.columns else [True] * n
        errors.extend(errors_at(pd.Series(missing_at).to_numpy(), "at", "required field is missing (events arrive in any order: the time they carry orders them)"))
        at = timestamps.timestamp_column(meta, "at", errors, context.now)
        derived = types.astype(object).where(types.notna(), "") + "@" + at.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out["event_key"] = keys = ids.where(ids.notna(), derived)
        out["type"] = types
        out["at"] = at
        pair = cases.astype(object).where(cases.notna(), "") + "\x00" + keys.astype(str)
        dup = (cases.notna() & pair.duplicated(keep="first")).to_numpy()
        errors.extend(errors_at(dup, "event_id", lambda r: f"event {keys.iloc[r]!r} of case {cases.iloc[r]!r} appears twice in this batch"))
        out["attributes"] = attribute_json(batch.attributes, errors)
        if errors:
            errors.sort(key=lambda e: (e.row, e.field))
            raise BatchError(errors)
        return seal(CASE_EVENTS, out)


CASE_EVENTS = CaseEventKind()
