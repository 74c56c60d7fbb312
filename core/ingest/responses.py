"""Survey responses, the first ingested record kind: JSON items or CSV → storable rows.

Shared by the REST API (JSON and CSV bodies) and the CLI (CSV files). A response is meta
fields (response_id, customer_id, touchpoint, collected_at), respondent attributes
(segment, region, store...) and answers keyed by question code, checked against the
configuration version (its ``IndicatorSet``) the batch is collected under. The generic
work is the toolkit's (``core.batch``); this module adds what only responses have: the
split of a wide table into meta, attributes and answers, canonical answers
(``core.scoring.canonicalise``), and the stored shape (attributes and answers as JSON
object text). No Python loop per response for the numeric and mapping work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.batch import BatchError, Context, PreparedRows, RowError, errors_at, parse_csv, parse_items, prepare, refuse, seal
from core.batch import records, text, timestamps
from core.batch.limits import (
    MAX_ATTRIBUTE_LENGTH,
    MAX_ATTRIBUTES,
    MAX_ERRORS,
    MAX_ID_LENGTH,
    MAX_TEXT_ANSWER_LENGTH,
    MAX_TOUCHPOINT_LENGTH,
    MAX_UNKNOWN_NAMES,
)
from core.model import IndicatorSet
from core.scoring import canonicalise
from core.store.columns import build as store_columns

NAME = "responses"
META_COLUMNS = ("response_id", "customer_id", "touchpoint", "collected_at")
FIELDS = frozenset(META_COLUMNS) | {"attributes", "answers"}
# The prepared rows, as ResponseRepository.insert_many stores them.
COLUMNS = ("response_key", "customer_id", "touchpoint", "collected_at", "attributes", "answers")
TEXT_LIMITS = (("response_id", MAX_ID_LENGTH), ("customer_id", MAX_ID_LENGTH), ("touchpoint", MAX_TOUCHPOINT_LENGTH))


@dataclass(frozen=True)
class Batch:
    """Incoming responses in one shape: meta columns, attribute columns, raw answer columns."""

    meta: pd.DataFrame
    attributes: pd.DataFrame
    answers: pd.DataFrame

    def __len__(self) -> int:
        return len(self.meta)


# --- the public functions (what the API, the CLI and the demo call) ----------------------


def batch_from_frame(frame: pd.DataFrame, iset: IndicatorSet) -> Batch:
    """Split a wide table (the CSV format) into meta, attributes and answers.

    Columns named like a question code are answers; the meta columns are recognised by
    name; everything else is a respondent attribute (segment, region, store...).
    """
    frame = frame.reset_index(drop=True)
    question_codes = {q.code for q in iset.questions}
    meta_cols = [c for c in META_COLUMNS if c in frame.columns]
    answer_cols = [c for c in frame.columns if c in question_codes]
    attr_cols = [c for c in frame.columns if c not in question_codes and c not in META_COLUMNS]
    return Batch(meta=frame[meta_cols], attributes=frame[attr_cols], answers=frame[answer_cols])


def read_csv_batch(data: bytes | str, iset: IndicatorSet, max_rows: int | None = None) -> Batch:
    """Parse CSV text (UTF-8, optional BOM) with every cell kept as text (see
    ``core.batch.csv_reader``): at most meta + questions + MAX_ATTRIBUTES columns, and
    with ``max_rows`` (the setting CSM_MAX_BATCH) at most that many rows."""
    return parse_csv(RESPONSES, data, iset, max_rows)


def batch_from_records(items: list, iset: IndicatorSet, max_rows: int | None = None) -> Batch:
    """Build a batch from JSON items ``{response_id?, customer_id?, touchpoint?, collected_at?,
    attributes?: {...}, answers: {...}}``; structural problems are reported per item, and
    more than ``max_rows`` items are refused before anything is built."""
    return parse_items(RESPONSES, items, iset, max_rows)


def prepare_rows(
    batch: Batch,
    iset: IndicatorSet,
    now: pd.Timestamp | None = None,
    stored_keys: Callable[[list[str]], set[str]] | None = None,
) -> PreparedRows:
    """Validate a batch and return storable rows, or raise BatchError listing every problem.

    ``stored_keys`` answers which of the given response ids are already stored, so a
    retried batch is refused row by row together with every other problem.

    The rows' frame has the columns ``COLUMNS``: response_key, customer_id, touchpoint
    (text or None), collected_at (datetime64[us, UTC]), attributes and answers (JSON
    object text; answers canonical); ``columnar`` holds the same rows as the answer
    store's columns (``core.store.AnswerColumns``), which the repository writes beside them.
    """
    return prepare(RESPONSES, batch, Context(iset, now, stored_keys))


def already_stored(keys: pd.Series, stored: set[str], skip: np.ndarray | None = None) -> list[RowError]:
    """One error per row whose response id is in ``stored`` (rows in ``skip`` left out)."""
    hit = keys.isin(stored).to_numpy()
    if skip is not None:
        hit = hit & ~skip
    return errors_at(hit, "response_id", lambda r: f"response_id {keys.iloc[r]!r} is already stored")


# --- the record kind --------------------------------------------------------------------


class ResponseKind:
    """Survey responses as a ``core.batch.RecordKind`` (registered in core.ingest.KINDS)."""

    name = NAME
    fields = FIELDS
    columns = COLUMNS

    def csv_header_limit(self, iset: IndicatorSet) -> tuple[int, str]:
        most = len(META_COLUMNS) + len(iset.questions) + MAX_ATTRIBUTES
        return most, f"{len(META_COLUMNS)} meta columns, {len(iset.questions)} questions, {MAX_ATTRIBUTES} attributes"

    def from_frame(self, frame: pd.DataFrame, iset: IndicatorSet) -> Batch:
        return batch_from_frame(frame, iset)

    def from_items(self, items: list, iset: IndicatorSet) -> Batch:
        errors: list[RowError] = []
        frame = records.items_frame(items, FIELDS, ("answers",), NAME, errors)
        answer_dicts = records.object_column(frame, "answers", "must be an object mapping question codes to answers", errors, required=True)
        attr_dicts = records.object_column(frame, "attributes", "must be an object of name → value", errors, required=False)
        if errors:
            raise BatchError(errors)
        known = {q.code for q in iset.questions}
        records.refuse_too_many_names(answer_dicts, "answers", "unknown question codes", MAX_UNKNOWN_NAMES, f"indicator set {iset.code!r} has {len(known)} questions", known)
        records.refuse_too_many_names(attr_dicts, "attributes", "attribute names", MAX_ATTRIBUTES, "name fewer attributes per batch")
        meta_cols = [c for c in META_COLUMNS if c in frame.columns]
        return Batch(meta=frame[meta_cols], attributes=records.dict_frame(attr_dicts, frame.index), answers=records.dict_frame(answer_dicts, frame.index))

    def prepare(self, batch: Batch, context: Context[IndicatorSet]) -> PreparedRows:
        return _prepare(batch, context.schema, context.now, context.stored_keys)


RESPONSES = ResponseKind()


# --- checking ---------------------------------------------------------------------------


def _prepare(batch: Batch, iset: IndicatorSet, now: pd.Timestamp | None, stored_keys: Callable[[list[str]], set[str]] | None) -> PreparedRows:
    n = len(batch)
    errors: list[RowError] = []
    if n == 0:
        raise refuse(NAME, "the batch holds no responses")

    known = {q.code for q in iset.questions}
    for col in batch.answers.columns:
        if col not in known:
            row = int(batch.answers[col].notna().to_numpy().argmax())
            errors.append(RowError(row, f"answers.{col}", f"unknown question code (indicator set {iset.code!r} has: " + ", ".join(sorted(known)) + ")"))
    answers = _refuse_non_scalars(batch.answers[[c for c in batch.answers.columns if c in known]], errors)
    canon, answer_errors = canonicalise(answers, iset, max_errors=MAX_ERRORS)
    errors.extend(RowError(e.row, f"answers.{e.field}", e.reason) for e in answer_errors)
    uncounted = answer_errors.total - len(answer_errors)
    answered = answers.notna().any(axis=1).to_numpy() if len(answers.columns) else np.zeros(n, dtype=bool)
    flagged = np.zeros(n, dtype=bool)
    flagged[[e.row for e in errors if 0 <= e.row < n]] = True
    errors.extend(errors_at(~answered & ~flagged, "answers", "the response answers no question"))

    meta = batch.meta
    out = pd.DataFrame(index=meta.index)
    unstorable = {}
    for col, limit in TEXT_LIMITS:
        values = text.optional_text(meta, col, errors)
        unstorable[col] = text.check_text(values, col, limit, errors)
        out["response_key" if col == "response_id" else col] = values
    keys = out["response_key"]
    dup = (keys.notna() & keys.duplicated(keep="first")).to_numpy()
    errors.extend(errors_at(dup, "response_id", lambda r: f"duplicate response_id {keys.iloc[r]!r} in this batch"))
    present = keys[keys.notna().to_numpy() & ~dup & ~unstorable["response_id"]]
    if stored_keys is not None and len(present):
        errors.extend(already_stored(keys, stored_keys(present.tolist()), skip=dup))
    out["collected_at"] = timestamps.timestamp_column(meta, "collected_at", errors, now)

    attrs = batch.attributes
    if len(attrs.columns) > MAX_ATTRIBUTES:
        errors.append(RowError(-1, "attributes", f"{len(attrs.columns)} different attribute names; at most {MAX_ATTRIBUTES} per batch"))
        attrs = attrs.iloc[:, :0]
    text.check_names(attrs.columns, "attributes", "attribute names", errors)
    attr_text = attrs.apply(lambda s: text.scalar_text(s, f"attributes.{s.name}", errors)) if len(attrs.columns) else attrs
    for col in attr_text.columns:
        text.check_text(attr_text[col], f"attributes.{col}", MAX_ATTRIBUTE_LENGTH, errors)
    for q in iset.questions:
        if not iset.scales[q.scale].scored and q.code in canon.columns:
            text.check_text(canon[q.code], f"answers.{q.code}", MAX_TEXT_ANSWER_LENGTH, errors)
    if errors:
        errors.sort(key=lambda e: (e.row, e.field))
        raise BatchError(errors, total=len(errors) + uncounted)

    out["attributes"] = _json_lines(attr_text, n)
    out["answers"] = _json_lines(canon, n)
    columnar = store_columns(out["collected_at"], out["touchpoint"], out["customer_id"], attr_text, canon, iset)
    return seal(RESPONSES, out, columnar)


_SCALAR_DTYPES = {"string", "empty", "integer", "floating", "mixed-integer-float", "boolean"}


def _refuse_non_scalars(answers: pd.DataFrame, errors: list[RowError]) -> pd.DataFrame:
    """Answers are single values; a list or object in a cell is an error, and is blanked so
    the rest of the batch can still be checked."""
    out = answers
    for col in answers.columns:
        s = answers[col]
        if pd.api.types.infer_dtype(s, skipna=True) in _SCALAR_DTYPES:
            continue
        bad = s.map(lambda v: isinstance(v, (list, dict, tuple, set)), na_action="ignore").fillna(False).astype(bool).to_numpy()
        if bad.any():
            errors.extend(errors_at(bad, f"answers.{col}", "must be a single value (an option code, a label or a number)"))
            if out is answers:
                out = answers.copy()
            out[col] = s.where(~bad, None)
    return out


def _json_lines(frame: pd.DataFrame, n: int) -> list[str]:
    """One compact JSON object per row, written by pandas in one pass (blanks as null)."""
    if not len(frame.columns):
        return ["{}"] * n
    written = frame.to_json(orient="records", lines=True, force_ascii=False, double_precision=15)
    return written.rstrip("\n").split("\n")
