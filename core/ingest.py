"""Turning a batch of incoming survey responses into rows ready to store.

Shared by the REST API (JSON and CSV bodies) and the CLI (CSV files): parse into one
tabular shape, validate every row against the configuration version the batch is collected
under, and either return storable rows or every problem found (row, field, reason). Pure
pandas: no Flask, no SQL, no Python loop per response for the numeric and mapping work.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from core.model import IndicatorSet
from core.scoring import canonicalise

META_COLUMNS = ("response_id", "customer_id", "touchpoint", "collected_at")
MAX_ID_LENGTH = 200
MAX_TOUCHPOINT_LENGTH = 100
MAX_ATTRIBUTE_LENGTH = 200
MAX_TEXT_ANSWER_LENGTH = 5000
MAX_ERRORS = 1000
# Every distinct name in a batch (field, question code, attribute) becomes a column of its
# frames, rows × names cells: 10,000 items with 20 names of their own each fit in a few
# megabytes of JSON and would ask for 2 billion cells. So a batch may use at most
# MAX_ATTRIBUTES attribute names, and one with more than MAX_UNKNOWN_NAMES unknown field
# or question names is refused as a whole before any frame is built.
MAX_ATTRIBUTES = 100
MAX_UNKNOWN_NAMES = 50
MAX_ATTRIBUTE_NAME_LENGTH = 64
_BAD_NAME_CHARACTER = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


@dataclass(frozen=True)
class RowError:
    row: int  # 0-based position in the batch (CSV: data row, header excluded)
    field: str
    message: str

    def to_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


class BatchError(ValueError):
    """A batch was refused; nothing of it may be stored."""

    def __init__(self, errors: list[RowError], total: int | None = None):
        self.errors = errors[:MAX_ERRORS]
        self.total = total if total is not None else len(errors)
        super().__init__(f"{self.total} problem(s) in the batch; first: {errors[0].field}: {errors[0].message}" if errors else "invalid batch")


@dataclass(frozen=True)
class Batch:
    """Incoming responses in one shape: meta columns, attribute columns, raw answer columns."""

    meta: pd.DataFrame
    attributes: pd.DataFrame
    answers: pd.DataFrame

    def __len__(self) -> int:
        return len(self.meta)


# --- parsing ----------------------------------------------------------------------------


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
    """Parse CSV text (UTF-8, optional BOM) with every cell kept as text.

    The header is counted first, by the csv module: a header with more columns than a batch
    can use (meta, questions, MAX_ATTRIBUTES attributes) is refused before pandas sees it
    (pandas takes minutes and gigabytes for the million columns that fit in 14 MB). With
    ``max_rows``, parsing stops one row past it and the batch is refused, so an over-long
    file is never held whole as a frame. Every row is read as data (``header=None``) and the
    first one becomes the header: a row with more fields than the header is then an error,
    where pandas would otherwise make the first column an index and shift every value.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BatchError([RowError(-1, "(file)", f"the CSV is not valid UTF-8 (byte {exc.start})")]) from None
    if not data.strip():
        raise BatchError([RowError(-1, "(file)", "the CSV is empty")])
    columns = _header_width(data)
    most = len(META_COLUMNS) + len(iset.questions) + MAX_ATTRIBUTES
    if columns > most:
        raise BatchError([RowError(-1, "(header)", f"the header has {columns} columns; at most {most} ({len(META_COLUMNS)} meta columns, {len(iset.questions)} questions, {MAX_ATTRIBUTES} attributes)")])
    try:
        raw = pd.read_csv(
            io.StringIO(data), header=None, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True,
            nrows=None if max_rows is None else max_rows + 2,  # the header, then one row too many
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise BatchError([RowError(-1, "(file)", f"the CSV cannot be parsed: {str(exc).strip()}")]) from None
    names = raw.iloc[0]
    if names.isna().any():
        raise BatchError([RowError(-1, "(header)", "a column has no name in the header")])
    dupes = names[names.duplicated()]
    if len(dupes):
        raise BatchError([RowError(-1, str(dupes.iloc[0]), "the column appears more than once in the header")])
    frame = raw.iloc[1:].set_axis(names.tolist(), axis=1)
    if max_rows is not None and len(frame) > max_rows:
        raise BatchError([RowError(-1, "responses", f"the CSV has more than {max_rows} rows; at most {max_rows} responses per request")])
    return batch_from_frame(frame, iset)


def _header_width(data: str) -> int:
    """How many columns the first non-blank line of the CSV names (C speed, any width)."""
    try:
        return len(next(csv.reader(io.StringIO(data.lstrip())), []))
    except csv.Error as exc:  # e.g. a header cell of over 128 KiB
        raise BatchError([RowError(-1, "(header)", f"the CSV header cannot be read: {exc}")]) from None


def batch_from_records(items: list, iset: IndicatorSet) -> Batch:
    """Build a batch from JSON items ``{response_id?, customer_id?, touchpoint?, collected_at?,
    attributes?: {...}, answers: {...}}``; structural problems are reported per item."""
    errors: list[RowError] = [RowError(i, "responses", "each response must be an object") for i, item in enumerate(items) if type(item) is not dict]
    if errors:
        raise BatchError(errors)
    allowed = set(META_COLUMNS) | {"attributes", "answers"}
    _refuse_too_many_names(set().union(*items) - allowed, "responses", "unknown fields", MAX_UNKNOWN_NAMES, "allowed: " + ", ".join(sorted(allowed)))
    frame = pd.DataFrame.from_records(items) if items else pd.DataFrame(columns=["answers"])
    for col in frame.columns:
        if col not in allowed:
            row = int(frame[col].notna().to_numpy().argmax())
            errors.append(RowError(row, str(col), "unknown field (allowed: " + ", ".join(sorted(allowed)) + ")"))
    if "answers" not in frame.columns:
        errors.append(RowError(0, "answers", "required field is missing"))
        raise BatchError(errors)
    answers_col = frame["answers"]
    not_dict = ~answers_col.map(lambda v: isinstance(v, dict)).astype(bool)
    for row in np.flatnonzero(not_dict.to_numpy())[:MAX_ERRORS]:
        errors.append(RowError(int(row), "answers", "must be an object mapping question codes to answers"))
    attrs_col = frame["attributes"] if "attributes" in frame.columns else pd.Series([None] * len(frame))
    bad_attrs = ~attrs_col.map(lambda v: v is None or (isinstance(v, float) and np.isnan(v)) or isinstance(v, dict)).astype(bool)
    for row in np.flatnonzero(bad_attrs.to_numpy())[:MAX_ERRORS]:
        errors.append(RowError(int(row), "attributes", "must be an object of name → value"))
    if errors:
        raise BatchError(errors)
    answer_dicts = answers_col.tolist()
    attr_dicts = attrs_col.map(lambda v: v if isinstance(v, dict) else {}).tolist()
    known = {q.code for q in iset.questions}
    _refuse_too_many_names(set().union(*answer_dicts) - known, "answers", "unknown question codes", MAX_UNKNOWN_NAMES, f"indicator set {iset.code!r} has {len(known)} questions")
    _refuse_too_many_names(set().union(*attr_dicts), "attributes", "attribute names", MAX_ATTRIBUTES, "name fewer attributes per batch")
    answers = pd.DataFrame.from_records(answer_dicts, index=frame.index)
    attrs = pd.DataFrame.from_records(attr_dicts, index=frame.index)
    meta_cols = [c for c in META_COLUMNS if c in frame.columns]
    return Batch(meta=frame[meta_cols], attributes=attrs, answers=answers)


def _refuse_too_many_names(names: set, field: str, what: str, most: int, hint: str) -> None:
    """Refuse the whole batch, before any frame is built, when it uses more than ``most`` of
    these names (``set().union(*dicts)`` collects them at C speed)."""
    if len(names) > most:
        examples = ", ".join(repr(n) for n in sorted(names, key=str)[:5])
        raise BatchError([RowError(-1, field, f"the batch uses {len(names)} different {what} (e.g. {examples}); at most {most}: {hint}")])


# --- validation -------------------------------------------------------------------------


def prepare_rows(
    batch: Batch,
    iset: IndicatorSet,
    now: pd.Timestamp | None = None,
    stored_keys: Callable[[list[str]], set[str]] | None = None,
) -> pd.DataFrame:
    """Validate a batch and return storable rows, or raise BatchError listing every problem.

    ``stored_keys`` answers which of the given response ids are already stored, so a
    retried batch is refused row by row together with every other problem.

    Returned columns: response_key, customer_id, touchpoint, collected_at (UTC),
    attributes (JSON text), answers (JSON text of canonical answers).
    """
    n = len(batch)
    errors: list[RowError] = []
    if n == 0:
        raise BatchError([RowError(-1, "responses", "the batch holds no responses")])

    known = {q.code for q in iset.questions}
    for col in batch.answers.columns:
        if col not in known:
            row = int(batch.answers[col].notna().to_numpy().argmax())
            errors.append(RowError(row, f"answers.{col}", f"unknown question code (indicator set {iset.code!r} has: " + ", ".join(sorted(known)) + ")"))
    answers = batch.answers[[c for c in batch.answers.columns if c in known]]

    answers = _refuse_non_scalars(answers, errors)
    canon, answer_errors = canonicalise(answers, iset)
    errors.extend(RowError(e.row, f"answers.{e.field}", e.reason) for e in answer_errors)
    uncounted = answer_errors.total - len(answer_errors)
    text_codes = [q.code for q in iset.questions if not iset.scales[q.scale].scored and q.code in canon.columns]
    answered = answers.notna().any(axis=1).to_numpy() if len(answers.columns) else np.zeros(n, dtype=bool)
    flagged = {e.row for e in errors}
    errors.extend(RowError(int(r), "answers", "the response answers no question") for r in np.flatnonzero(~answered)[:MAX_ERRORS] if r not in flagged)

    meta = batch.meta
    out = pd.DataFrame(index=meta.index)
    unstorable = {}
    for col, limit in (("response_id", MAX_ID_LENGTH), ("customer_id", MAX_ID_LENGTH), ("touchpoint", MAX_TOUCHPOINT_LENGTH)):
        values = _text_column(meta, col, n, errors)
        unstorable[col] = _check_text(values, col, limit, errors)
        out["response_key" if col == "response_id" else col] = values
    keys = out["response_key"]
    dup = keys.notna() & keys.duplicated(keep="first")
    errors.extend(RowError(int(r), "response_id", f"duplicate response_id {keys.iloc[r]!r} in this batch") for r in np.flatnonzero(dup.to_numpy())[:MAX_ERRORS])
    present = keys[keys.notna() & ~dup & ~unstorable["response_id"]]
    if stored_keys is not None and len(present):
        errors.extend(already_stored(keys, stored_keys(present.tolist()), skip=dup.to_numpy()))
    out["collected_at"] = _timestamps(meta, n, errors, now)

    attrs = batch.attributes
    if len(attrs.columns) > MAX_ATTRIBUTES:
        errors.append(RowError(-1, "attributes", f"{len(attrs.columns)} different attribute names; at most {MAX_ATTRIBUTES} per batch"))
        attrs = attrs.iloc[:, :0]
    for col in attrs.columns:
        if not isinstance(col, str) or not col.strip() or len(col) > MAX_ATTRIBUTE_NAME_LENGTH or _BAD_NAME_CHARACTER.search(col):
            errors.append(RowError(0, f"attributes.{col}", f"attribute names must be 1-{MAX_ATTRIBUTE_NAME_LENGTH} characters, without control characters or unpaired surrogates"))
    attr_text = attrs.apply(lambda s: _scalar_text(s, f"attributes.{s.name}", errors)) if len(attrs.columns) else attrs
    for col in attr_text.columns:
        _check_text(attr_text[col], f"attributes.{col}", MAX_ATTRIBUTE_LENGTH, errors)
    for col in text_codes:
        _check_text(canon[col], f"answers.{col}", MAX_TEXT_ANSWER_LENGTH, errors)
    if errors:
        errors.sort(key=lambda e: (e.row, e.field))
        raise BatchError(errors, total=len(errors) + uncounted)

    out["attributes"] = _json_lines(attr_text, n)
    out["answers"] = _json_lines(canon, n)
    return out.reset_index(drop=True)


def _text_column(meta: pd.DataFrame, col: str, n: int, errors: list[RowError]) -> pd.Series:
    if col not in meta.columns:
        return pd.Series([None] * n, index=meta.index, dtype=object)
    s = _scalar_text(meta[col], col, errors)
    return s.astype(object).where(s.notna(), None)


def _scalar_text(s: pd.Series, field: str, errors: list[RowError]) -> pd.Series:
    """Strings stay (stripped), numbers become their text, blanks become None; lists/objects are errors."""
    if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        text = s.astype(object).where(s.notna(), None).str.strip()  # the common case, in C
        bad = np.zeros(len(s), dtype=bool)
    else:
        text = s.map(_as_text, na_action="ignore").astype(object)
        bad = (text == _BAD).to_numpy()
        errors.extend(RowError(int(r), field, "must be a string or a number") for r in np.flatnonzero(bad)[:MAX_ERRORS])
    return text.where(text.notna() & ~bad & (text != ""), None)


_BAD = object()


def _as_text(v):
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return _BAD
    return _number_text(v)


# Characters no stored text may hold: NUL (PostgreSQL refuses it in text) and unpaired
# UTF-16 surrogates (JSON can spell them, \ud800, but they cannot be encoded as UTF-8).
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _check_text(s: pd.Series, field: str, limit: int, errors: list[RowError]) -> np.ndarray:
    """Refuse free text longer than ``limit`` or holding characters no database can store
    (NUL, unpaired surrogates); returns the mask of rows holding unstorable characters."""
    too_long = s.str.len().to_numpy(dtype=float, na_value=0) > limit
    errors.extend(RowError(int(r), field, f"longer than {limit} characters") for r in np.flatnonzero(too_long)[:MAX_ERRORS])
    bad = s.astype(object).where(s.notna(), "").astype(str).str.contains(UNSTORABLE, regex=True).to_numpy()
    errors.extend(RowError(int(r), field, "contains a NUL character or an unpaired surrogate") for r in np.flatnonzero(bad)[:MAX_ERRORS])
    return bad


def already_stored(keys: pd.Series, stored: set[str], skip: np.ndarray | None = None) -> list[RowError]:
    """One error per row whose response id is in ``stored`` (rows in ``skip`` left out)."""
    hit = keys.isin(stored).to_numpy()
    if skip is not None:
        hit = hit & ~skip
    return [RowError(int(r), "response_id", f"response_id {keys.iloc[r]!r} is already stored") for r in np.flatnonzero(hit)[:MAX_ERRORS]]


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
            errors.extend(RowError(int(r), f"answers.{col}", "must be a single value (an option code, a label or a number)") for r in np.flatnonzero(bad)[:MAX_ERRORS])
            if out is answers:
                out = answers.copy()
            out[col] = s.where(~bad, None)
    return out


def _number_text(v) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _timestamps(meta: pd.DataFrame, n: int, errors: list[RowError], now) -> pd.Series:
    now = (now or pd.Timestamp.now(tz="UTC")).tz_convert("UTC")
    if "collected_at" not in meta.columns:
        return pd.Series(pd.DatetimeIndex([now] * n), index=meta.index)
    raw = meta["collected_at"]
    is_str = raw.map(lambda v: isinstance(v, str)).astype(bool)
    parsed = pd.to_datetime(raw.where(is_str), errors="coerce", utc=True, format="ISO8601")
    bad = (raw.notna() & parsed.isna()).to_numpy()
    errors.extend(
        RowError(int(r), "collected_at", f"{raw.iloc[r]!r} is not an ISO 8601 date-time (e.g. 2026-03-31T14:05:00+08:00)")
        for r in np.flatnonzero(bad)[:MAX_ERRORS]
    )
    future = (parsed > now + pd.Timedelta(days=1)).to_numpy()
    errors.extend(RowError(int(r), "collected_at", "lies in the future") for r in np.flatnonzero(future)[:MAX_ERRORS])
    return parsed.dt.as_unit("us").fillna(now.as_unit("us"))


def _json_lines(frame: pd.DataFrame, n: int) -> list[str]:
    """One compact JSON object per row, written by pandas in one pass (blanks as null)."""
    if not len(frame.columns):
        return ["{}"] * n
    text = frame.to_json(orient="records", lines=True, force_ascii=False, double_precision=15)
    return text.rstrip("\n").split("\n")
