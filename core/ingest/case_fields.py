"""What the case kinds share: case and event codes, required text, attribute objects.

Case and event attributes keep their JSON types (text, numbers, booleans), because the
conditions written over them compare numbers as numbers (``case.attributes.amount > 100``);
lists and objects are refused. Everything is checked column by column.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.batch import RowError, errors_at
from core.batch import records, text
from core.batch.limits import MAX_ATTRIBUTE_LENGTH, MAX_ATTRIBUTES, MAX_CODE_LENGTH

# Case and event types are codes: the words conditions name (``"complained" in case.events``).
CODE_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.:-]*"
CODE_HINT = f"a code of 1-{MAX_CODE_LENGTH} letters, digits, _ . : - (not starting with . : -)"
_SCALAR_DTYPES = {"string", "empty", "integer", "floating", "mixed-integer-float", "boolean"}


def required_text(frame: pd.DataFrame, column: str, limit: int, errors: list[RowError]) -> pd.Series:
    """A text column every row must have (None where it is missing or bad)."""
    values = text.optional_text(frame, column, errors)
    errors.extend(errors_at(values.isna().to_numpy(), column, "required field is missing"))
    text.check_text(values, column, limit, errors)
    return values


def code_column(values: pd.Series, field: str, errors: list[RowError]) -> None:
    """Refuse values (text or None) that are not codes."""
    present = values.notna().to_numpy()
    ok = values.astype(object).where(values.notna(), "").astype(str).str.fullmatch(CODE_PATTERN).to_numpy()
    too_long = values.str.len().to_numpy(dtype=float, na_value=0) > MAX_CODE_LENGTH
    errors.extend(errors_at(present & (~ok | too_long), field, lambda r: f"{values.iloc[r]!r} is not {CODE_HINT}"))


@dataclass(frozen=True)
class Attributes:
    """A batch's attributes: one object per row as sent, and the same as a frame (one
    column per name) for the column-wise checks."""

    dicts: list[dict]
    frame: pd.DataFrame


def attributes_of_items(items: pd.DataFrame, errors: list[RowError]) -> Attributes:
    """The ``attributes`` objects of JSON items."""
    dicts = records.object_column(items, "attributes", "must be an object of name → value", errors, required=False)
    records.refuse_too_many_names(dicts, "attributes", "attribute names", MAX_ATTRIBUTES, "name fewer attributes per batch")
    return Attributes(dicts, records.dict_frame(dicts, items.index))


def attributes_of_frame(frame: pd.DataFrame) -> Attributes:
    """CSV attribute columns (text cells; a blank cell is no attribute on that row)."""
    rows = frame.to_dict("records") if len(frame.columns) else [{}] * len(frame)
    return Attributes([{k: v for k, v in row.items() if isinstance(v, str)} for row in rows], frame)


def attribute_json(attributes: Attributes, errors: list[RowError]) -> list[str]:
    """Check attribute values (scalars, finite numbers, text within its limit), then write
    each row's object as sent, names with null (or NaN) values left out. The numbers keep their
    type (1 stays 1, 1.5 stays 1.5), which a frame's float columns would not."""
    attrs = attributes.frame
    n = len(attrs)
    if len(attrs.columns) > MAX_ATTRIBUTES:
        errors.append(RowError(-1, "attributes", f"{len(attrs.columns)} different attribute names; at most {MAX_ATTRIBUTES} per batch"))
        return ["{}"] * n
    text.check_names(attrs.columns, "attributes", "attribute names", errors)
    for col in attrs.columns:
        s = attrs[col]
        field = f"attributes.{col}"
        if pd.api.types.infer_dtype(s, skipna=True) not in _SCALAR_DTYPES:
            bad = s.map(lambda v: isinstance(v, (list, dict, tuple, set)), na_action="ignore").fillna(False).astype(bool).to_numpy()
            errors.extend(errors_at(bad, field, "must be a single value (text, a number or a boolean)"))
        strings = s.map(lambda v: v if isinstance(v, str) else None) if s.dtype == object else pd.Series([None] * n, index=s.index, dtype=object)
        text.check_text(strings, field, MAX_ATTRIBUTE_LENGTH, errors)
        if s.dtype.kind == "f":
            infinite = np.isinf(s.to_numpy())
        elif s.dtype == object:
            infinite = s.map(lambda v: isinstance(v, float) and math.isinf(v), na_action="ignore").fillna(False).astype(bool).to_numpy()
        else:
            infinite = np.zeros(n, dtype=bool)
        errors.extend(errors_at(infinite, field, "must be a finite number"))
    if errors:
        return ["{}"] * n
    return [json.dumps({k: v for k, v in d.items() if v is not None and v == v}, ensure_ascii=False, separators=(",", ":")) for d in attributes.dicts]
