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

from core.batch import PreparedRows

BASE_COLUMNS = ("response_id", "customer_id", "touchpoint", "collected_at")


@dataclass(frozen=True)
class WriteColumns:
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


def write_columns(rows: PreparedRows) -> WriteColumns:
    """Prepared responses → plain column lists, converted, not checked again: the record
    kind's ``prepare`` checked every value once (lengths, unstorable characters, complete
    UTC times, JSON object text) and ``PreparedRows`` is the proof."""
    frame = rows.frame
    return WriteColumns(
        response_key=frame["response_key"].tolist(),
        customer_id=frame["customer_id"].tolist(),
        touchpoint=frame["touchpoint"].tolist(),
        collected_at_utc=utc_text(frame["collected_at"]),
        attributes=frame["attributes"].tolist(),
        answers=frame["answers"].tolist(),
    )


def utc_text(values: pd.Series) -> list[str]:
    """UTC timestamps (``datetime64[*, UTC]``) → ``YYYY-MM-DD HH:MM:SS.ffffff`` strings, vectorised."""
    utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return np.char.replace(np.datetime_as_string(utc, unit="us"), "T", " ").tolist()


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
    attr_frame = json_frame(attributes, len(base))
    answer_frame = json_frame(answers, len(base))
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


def json_frame(texts: Sequence[str], length: int) -> pd.DataFrame:
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
