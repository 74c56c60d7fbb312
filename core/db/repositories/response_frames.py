"""Conversions between DataFrames of responses and the rows stored in ``responses``.

Both directions are column-wise (pandas/numpy), never a Python loop per response:
timestamps are formatted and parsed as whole arrays, and the JSON of every row is parsed in
one ``json.loads`` call over a single array document, which is faster than parsing once per
row or with ``pd.read_json(lines=True)`` (figures in the README, "Storage and performance").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from core.db.errors import DuplicateResponseKey
from core.db.tables import CODE_LENGTH, NAME_LENGTH

INPUT_COLUMNS = ("response_key", "customer_id", "touchpoint", "collected_at", "attributes", "answers")
TEXT_LIMITS = {"response_key": NAME_LENGTH, "customer_id": NAME_LENGTH, "touchpoint": CODE_LENGTH}
BASE_COLUMNS = ("response_id", "customer_id", "touchpoint", "collected_at")


@dataclass(frozen=True)
class PreparedRows:
    """Column lists ready for a bulk write, all the same length, None for SQL NULL.

    Timestamps are UTC text: ``YYYY-MM-DD HH:MM:SS.ffffff``, the exact form SQLAlchemy
    stores on SQLite (so comparisons against values it binds stay correct); PostgreSQL
    reads the same text, with an explicit ``+00:00``, into ``timestamptz``.
    """

    response_key: list
    customer_id: list
    touchpoint: list
    collected_at_utc: list[str]
    attributes: list[str]
    answers: list[str]

    def __len__(self) -> int:
        return len(self.response_key)


def prepare_rows(frame: pd.DataFrame) -> PreparedRows:
    """Validate an ingest frame and turn it into plain column lists.

    Checked here, identically for both databases: required columns, a tz-aware and complete
    ``collected_at``, text lengths (SQLite would not enforce them), JSON object text in
    ``attributes``/``answers`` (missing values become ``{}``), and response keys repeated
    within the batch.
    """
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"response frame lacks columns: {', '.join(missing)}")
    texts = {name: _text_column(frame[name], name) for name in TEXT_LIMITS}
    keys = frame["response_key"]
    repeated = keys[keys.notna() & keys.duplicated(keep=False)]
    if not repeated.empty:
        sample = ", ".join(map(str, repeated.unique()[:5]))
        raise DuplicateResponseKey(f"response_key repeated within the batch: {sample}")
    return PreparedRows(
        response_key=texts["response_key"],
        customer_id=texts["customer_id"],
        touchpoint=texts["touchpoint"],
        collected_at_utc=utc_text(frame["collected_at"]),
        attributes=_json_column(frame["attributes"], "attributes"),
        answers=_json_column(frame["answers"], "answers"),
    )


def utc_text(values: pd.Series) -> list[str]:
    """Tz-aware timestamps -> UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` strings, vectorised."""
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise ValueError(
            f"collected_at must be tz-aware datetimes (got dtype {values.dtype}); "
            "a naive time would be a guess"
        )
    if values.isna().any():
        raise ValueError("collected_at has missing values")
    utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return np.char.replace(np.datetime_as_string(utc, unit="us"), "T", " ").tolist()


def _text_column(values: pd.Series, name: str) -> list:
    present = values.notna()
    as_text = values.astype(str).astype(object).where(present, None)
    too_long = as_text[present].str.len() > TEXT_LIMITS[name]
    if too_long.any():
        raise ValueError(f"{name} longer than {TEXT_LIMITS[name]} characters in row {too_long.idxmax()}")
    return as_text.tolist()


def _json_column(values: pd.Series, name: str) -> list[str]:
    filled = values.astype(object).where(values.notna(), "{}")
    if pd.api.types.infer_dtype(filled, skipna=False) not in ("string", "empty"):
        raise ValueError(f"{name} must hold JSON object text (json.dumps of a dict), not objects")
    ok = filled.str.startswith("{") & filled.str.endswith("}")
    if not ok.all():
        raise ValueError(
            f"{name} must hold JSON object text (json.dumps of a dict); row {(~ok).idxmax()} does not"
        )
    return filled.tolist()


def build_frame(
    keys: Sequence,
    customers: Sequence,
    touchpoints: Sequence,
    collected: pd.DatetimeIndex | pd.Series,
    attributes: Sequence[str],
    answers: Sequence[str],
) -> pd.DataFrame:
    """Stored columns -> one analysis frame: fixed columns, then attributes, then answers.

    Every attribute and answer key becomes a column. Codes stay strings ("1" is not 1):
    JSON keeps the type it was written with and no dtype inference beyond that runs.
    Questions nobody answered in this slice have no column; callers reindex by the config.

    Names clash rarely (an attribute called ``touchpoint``); the earlier group keeps the
    plain name and the later one is prefixed, ``attributes.touchpoint``. ``frame.attrs``
    lists the final ``attribute_columns`` and ``answer_columns``.
    """
    base = pd.DataFrame(
        {
            "response_id": _strings(keys),
            "customer_id": _strings(customers),
            "touchpoint": _strings(touchpoints),
            "collected_at": pd.Series(collected, dtype="datetime64[us, UTC]").reset_index(drop=True),
        },
        columns=list(BASE_COLUMNS),
    )
    attr_frame = _json_frame(attributes, len(base))
    answer_frame = _json_frame(answers, len(base))
    taken = set(BASE_COLUMNS)
    answer_frame = _rename_clashes(answer_frame, taken, "answers")
    taken |= set(answer_frame.columns)
    attr_frame = _rename_clashes(attr_frame, taken, "attributes")
    frame = pd.concat([base, attr_frame, answer_frame], axis=1)
    frame.attrs["attribute_columns"] = list(attr_frame.columns)
    frame.attrs["answer_columns"] = list(answer_frame.columns)
    return frame


def _strings(values: Sequence) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def _json_frame(texts: Sequence[str], length: int) -> pd.DataFrame:
    if length == 0:
        return pd.DataFrame(index=pd.RangeIndex(0))
    records = json.loads("[" + ",".join(texts) + "]")
    return pd.DataFrame.from_records(records, index=pd.RangeIndex(length))


def _rename_clashes(frame: pd.DataFrame, taken: set[str], group: str) -> pd.DataFrame:
    clashes = {c: f"{group}.{c}" for c in frame.columns if c in taken}
    return frame.rename(columns=clashes) if clashes else frame


def parse_timestamps(values: Sequence, dialect_name: str) -> pd.DatetimeIndex:
    """Stored ``collected_at`` values -> a UTC DatetimeIndex, parsed as one array.

    SQLite hands back SQLAlchemy's UTC text; PostgreSQL hands back aware datetimes.
    """
    if dialect_name == "sqlite":
        return pd.to_datetime(pd.Index(values, dtype=object), format="ISO8601", utc=True)
    return pd.to_datetime(pd.Index(values, dtype=object), utc=True)


def require_aware(moment: datetime) -> datetime:
    """Reject naive bounds early, with a clearer message than the column type gives."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("time bounds must be tz-aware")
    return moment
