"""JSON items (a list of objects) → a DataFrame, with the structural checks every kind needs.

A record kind names its allowed top-level fields; these helpers refuse what does not fit
before any per-row work runs: items that are not objects, unknown fields, and batches
naming so many different fields that the frame itself would be the attack (every distinct
name is a column: see ``core.batch.limits``). Nested objects (a response's ``answers`` and
``attributes``) are checked and expanded into frames of their own the same way.

Type tests run as ``map(type, ...)`` at C speed; the Python work per item only happens on
the error path, to locate the items at fault.
"""

from __future__ import annotations

from collections.abc import Collection
from itertools import islice

import numpy as np
import pandas as pd

from core.batch.errors import BatchError, RowError, errors_at, refuse
from core.batch.limits import MAX_UNKNOWN_NAMES


# Objects whose keys are gathered at a time (set.update at C speed) between two looks at
# how many names there are so far: the set never holds more than one chunk's worth beyond
# the limit, however many distinct names the batch carries.
NAME_CHUNK = 256


def refuse_too_many_names(dicts: list[dict], field: str, what: str, most: int, hint: str, allowed: Collection = frozenset()) -> None:
    """Refuse the whole batch, before any frame is built, when its objects use more than
    ``most`` names outside ``allowed``.

    The names are gathered a chunk of objects at a time and counting stops as soon as
    the limit is passed, so one object with 600,000 keys (or 10,000 objects of 60
    distinct keys each) is refused without building a set of all of them: that set
    alone would cost some 30 MiB for a body the value limit lets through."""
    allowed = allowed if isinstance(allowed, (set, frozenset)) else frozenset(allowed)
    widest = max(map(len, dicts), default=0)
    if widest > len(allowed) + most:  # one object alone has too many
        names = set(islice(next(d for d in dicts if len(d) == widest), len(allowed) + most + 1)) - allowed
        _refuse_names(names, field, what, most, hint, exact=False)
    names: set = set()
    for start in range(0, len(dicts), NAME_CHUNK):
        names.update(*dicts[start : start + NAME_CHUNK])
        if len(names) > len(allowed) + most and len(names - allowed) > most:
            _refuse_names(names - allowed, field, what, most, hint, exact=start + NAME_CHUNK >= len(dicts))
    if len(names - allowed) > most:
        _refuse_names(names - allowed, field, what, most, hint, exact=True)


def _refuse_names(names: set, field: str, what: str, most: int, hint: str, exact: bool) -> None:
    examples = ", ".join(repr(n) for n in sorted(names, key=str)[:5])
    count = f"{len(names)}" if exact else f"more than {most}"
    raise refuse(field, f"the batch uses {count} different {what} (e.g. {examples}); at most {most}: {hint}")


def items_frame(items: list, fields: Collection[str], required: Collection[str], what: str, errors: list[RowError]) -> pd.DataFrame:
    """One column per field the items use, one row per item.

    Refused at once: an item that is not an object (every such item is listed), more than
    MAX_UNKNOWN_NAMES unknown field names, a required field no item has. Appended to
    ``errors`` (the kind carries on checking): each unknown field, on the first item
    using it. A required field missing from some items only is the kind's to report.
    """
    if set(map(type, items)) - {dict}:
        bad = np.fromiter((type(item) is not dict for item in items), dtype=bool, count=len(items))
        raise BatchError(errors_at(bad, what, f"each {_singular(what)} must be an object"), total=int(bad.sum()))
    allowed = set(fields)
    hint = "allowed: " + ", ".join(sorted(allowed))
    refuse_too_many_names(items, what, "unknown fields", MAX_UNKNOWN_NAMES, hint, allowed)
    frame = pd.DataFrame.from_records(items) if items else pd.DataFrame(columns=sorted(required))
    for col in frame.columns:
        if col not in allowed:
            row = int(frame[col].notna().to_numpy().argmax())
            errors.append(RowError(row, str(col), f"unknown field ({hint})"))
    missing = [name for name in required if name not in frame.columns]
    if missing:
        errors.extend(RowError(0, name, "required field is missing") for name in missing)
        raise BatchError(errors)
    return frame


def object_column(frame: pd.DataFrame, column: str, message: str, errors: list[RowError], required: bool) -> list[dict]:
    """The dicts of an object-valued field (a blank optional one counts as ``{}``), and an
    error for each cell that is not an object (or, when ``required``, is missing)."""
    if column not in frame.columns:
        return [{}] * len(frame)
    values = frame[column]
    if set(map(type, values)) == {dict}:
        return values.tolist()  # the common case
    is_dict = values.map(type).eq(dict).to_numpy()
    ok = is_dict if required else is_dict | values.isna().to_numpy()
    errors.extend(errors_at(~ok, column, message))
    return np.where(is_dict, values.to_numpy(dtype=object), _EMPTY).tolist()


def dict_frame(dicts: list[dict], index: pd.Index) -> pd.DataFrame:
    """One column per key of ``dicts`` (missing keys: NaN), rows aligned to ``index``."""
    return pd.DataFrame.from_records(dicts, index=index)


_EMPTY: dict = {}


def _singular(what: str) -> str:
    return what[:-1] if what.endswith("s") else what
