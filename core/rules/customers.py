"""Customers, their typed attributes and their grades (客户分级): the pure model and logic.

The tobacco case (seed 000) grades retailers into nine grades from a monthly or
bi-monthly evaluation of contribution (贡献度), compliance (规范度) and business
capability (经营能力), and serves each grade its own menu of services. A tenant declares
the attributes a customer carries, each typed (so ingest refuses what does not fit and
the CEL checker knows ``customer.contribution`` is a double), and how a grade follows:

- ``score`` bands: a CEL formula gives a score; the first band (highest grade first)
  whose ``min`` the score reaches (inclusive) gives the grade;
- or ordered ``rules``: the first rule whose CEL condition holds gives its grade (rules
  may read ``score`` when a formula is given too).

Grades are ordered as the bands (or rules) list them: first = highest. A customer below
every band, or matched by no rule, is ungraded (grade None). Grades are kept per
evaluation period (``reevaluate``: monthly, bimonthly or quarterly).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

import numpy as np
import pandas as pd

from core.batch.errors import RowError, errors_at
from core.batch.limits import MAX_ID_LENGTH as MAX_ID
from core.rules.expression import Expression
from core.rules.types import BOOL, DOUBLE, INT, STRING, CelType, record

ATTRIBUTE_TYPES: Mapping[str, CelType] = {"number": DOUBLE, "integer": INT, "string": STRING, "boolean": BOOL}
REEVALUATE = ("monthly", "bimonthly", "quarterly")
ID = "customer_id"
_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})


@dataclass(frozen=True)
class Attribute:
    """One declared attribute: ``type`` (number, integer, string, boolean), whether every
    customer must have it, bounds for numbers, the allowed ``values`` of a string."""

    name: str
    type: str
    required: bool = True
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] = ()

    @property
    def cel_type(self) -> CelType:
        return ATTRIBUTE_TYPES[self.type]


@dataclass(frozen=True)
class Band:
    grade: str
    min: float


@dataclass(frozen=True)
class GradeRule:
    grade: str
    when: Expression


@dataclass(frozen=True)
class Grading:
    """How a grade follows from the attributes: ``bands`` over ``score``, or ``rules``."""

    grades: tuple[str, ...]  # highest first
    reevaluate: str
    score: Expression | None = None
    bands: tuple[Band, ...] = ()
    rules: tuple[GradeRule, ...] = ()

    def rank(self, grade: str) -> int:
        """0 for the highest grade; higher numbers are lower grades."""
        return self.grades.index(grade)


@dataclass(frozen=True)
class Grades:
    """The grading of a batch of customers, aligned with its rows: ``score`` (NaN where
    none), ``grade`` (None where ungraded or failed), and the rows that failed."""

    score: np.ndarray
    grade: np.ndarray
    errors: list[RowError] = field(default_factory=list)

    def counts(self, order: tuple[str, ...]) -> dict[str, int]:
        """Customers per grade, highest first, with ``ungraded`` when any is."""
        values = pd.Series(self.grade, dtype=object)
        out = {g: int((values == g).sum()) for g in order}
        ungraded = int(values.isna().sum())
        if ungraded:
            out["ungraded"] = ungraded
        return out


@dataclass(frozen=True)
class CustomerModel:
    """The ``customers`` section: the attributes (in declaration order) and the grading."""

    attributes: Mapping[str, Attribute]
    grading: Grading | None = None

    @property
    def cel_record(self) -> CelType:
        return customer_record(self.attributes)

    def check(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[RowError]]:
        """Typed attributes of a batch of customers (``customer_id`` and one column per
        attribute, cells as text or JSON values): the typed frame (indexed by position,
        ``customer_id`` kept as a column) and every problem by row and column."""
        return check_attributes(self.attributes, frame)

    def grade(self, typed: pd.DataFrame) -> Grades:
        """Scores and grades of checked customers (vectorised; see ``core.rules.vector``)."""
        if self.grading is None:
            raise ValueError("this configuration has no customers.grading")
        return grade(self.grading, typed[list(self.attributes)])


def customer_record(attributes: Mapping[str, Attribute]) -> CelType:
    return record({name: a.cel_type for name, a in attributes.items()})


# --- attributes ---------------------------------------------------------------------------


def check_attributes(attributes: Mapping[str, Attribute], frame: pd.DataFrame) -> tuple[pd.DataFrame, list[RowError]]:
    errors: list[RowError] = []
    frame = frame.reset_index(drop=True)
    unknown = [c for c in frame.columns if c != ID and c not in attributes]
    for name in unknown:
        errors.append(RowError(-1, str(name), f"unknown column (the columns are {ID} and the attributes: {', '.join(attributes) or 'none'})"))
    out = pd.DataFrame(index=frame.index)
    out[ID] = _ids(frame, errors)
    for name, attr in attributes.items():
        if name not in frame.columns:
            if attr.required:
                errors.append(RowError(-1, name, "the required attribute has no column"))
            out[name] = _empty(attr, len(frame))
            continue
        out[name] = _typed(attr, frame[name], errors)
    errors.sort(key=lambda e: (e.row, e.field))
    return out, errors


def _blank(s: pd.Series) -> np.ndarray:
    return (s.isna() | s.map(lambda v: isinstance(v, str) and not v.strip())).to_numpy(dtype=bool)


def _ids(frame: pd.DataFrame, errors: list[RowError]) -> pd.Series:
    if ID not in frame.columns:
        errors.append(RowError(-1, ID, "every customer needs an id: the column is missing"))
        return pd.Series([None] * len(frame), dtype=object)
    s = frame[ID].map(lambda v: v.strip() if isinstance(v, str) else (str(v) if isinstance(v, int) and not isinstance(v, bool) else v))
    blank = _blank(s)
    errors += errors_at(blank, ID, "required")
    bad = ~blank & ~s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    errors += errors_at(bad, ID, "must be text or an integer")
    long = ~blank & ~bad & (s.map(lambda v: len(v) if isinstance(v, str) else 0).to_numpy() > MAX_ID)
    errors += errors_at(long, ID, f"at most {MAX_ID} characters")
    dupes = (s.duplicated(keep="first") & ~pd.Series(blank)).to_numpy(dtype=bool)
    errors += errors_at(dupes, ID, lambda r: f"customer {s[r]!r} appears more than once")
    return s


def _empty(attr: Attribute, n: int) -> pd.Series:
    return pd.Series([None] * n, dtype={"number": "float64", "integer": "Int64", "boolean": "boolean"}.get(attr.type, object))


def _typed(attr: Attribute, s: pd.Series, errors: list[RowError]) -> pd.Series:
    blank = _blank(s)
    if attr.required:
        errors.extend(errors_at(blank, attr.name, "required"))
    if attr.type in ("number", "integer"):
        text = s.map(lambda v: v.strip() if isinstance(v, str) else v)
        is_bool = text.map(lambda v: isinstance(v, bool)).to_numpy(dtype=bool)
        values = pd.to_numeric(text.where(~is_bool, None), errors="coerce")
        bad = ~blank & (values.isna().to_numpy() | is_bool)
        errors.extend(errors_at(bad, attr.name, f"must be {'a number' if attr.type == 'number' else 'an integer'}"))
        arr = values.to_numpy(dtype=np.float64)
        ok = ~blank & ~bad
        special = ok & ~np.isfinite(arr)
        errors.extend(errors_at(special, attr.name, "must be a finite number"))
        ok &= ~special
        if attr.type == "integer":
            fraction = ok & ((arr != np.trunc(arr)) | (np.abs(arr) > 2**53))
            errors.extend(errors_at(fraction, attr.name, "must be an integer (no fraction, at most 2^53)"))
            ok &= ~fraction
        if attr.min is not None:
            low = ok & (arr < attr.min)
            errors.extend(errors_at(low, attr.name, f"must be at least {_num(attr.min)}"))
        if attr.max is not None:
            high = ok & (arr > attr.max)
            errors.extend(errors_at(high, attr.name, f"must be at most {_num(attr.max)}"))
        arr = np.where(ok, arr, np.nan)
        return pd.Series(arr).astype("Int64") if attr.type == "integer" else pd.Series(arr, dtype="float64")
    if attr.type == "boolean":
        def as_bool(v):
            if isinstance(v, bool):
                return v
            if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
                return v.strip().lower() in _TRUE
            return None

        values = s.map(as_bool)
        bad = ~blank & values.isna().to_numpy()
        errors.extend(errors_at(bad, attr.name, "must be true or false"))
        return values.where(~bad & ~blank, None).astype("boolean")
    values = s.map(lambda v: v.strip() if isinstance(v, str) else v)
    bad = ~blank & ~values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    errors.extend(errors_at(bad, attr.name, "must be text"))
    if attr.values:
        allowed = set(attr.values)
        outside = ~blank & ~bad & ~values.isin(allowed).to_numpy()
        errors.extend(errors_at(outside, attr.name, lambda r: f"{values[r]!r} is not one of {', '.join(attr.values)}"))
    return values.where(~blank & ~bad, None).astype(object)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# --- grading ------------------------------------------------------------------------------


def grade(grading: Grading, attributes: pd.DataFrame) -> Grades:
    n = len(attributes)
    errors: list[RowError] = []
    failed = np.zeros(n, dtype=bool)
    score = np.full(n, np.nan)
    if grading.score is not None:
        found: dict[int, str] = {}
        score = np.asarray(grading.score.evaluate_many({"customer": attributes}, errors=found), dtype=np.float64)
        for row, message in found.items():
            errors.append(RowError(row, "score", message))
            failed[row] = True
        special = ~failed & ~np.isfinite(score)
        errors += errors_at(special, "score", lambda r: f"the score formula gave {score[r]}, not a finite number")
        failed |= special
    grades = np.full(n, None, dtype=object)
    if grading.bands:
        mins = np.array([b.min for b in grading.bands][::-1])  # ascending
        names = np.array([b.grade for b in grading.bands][::-1], dtype=object)
        at = np.searchsorted(mins, np.where(failed, -np.inf, score), side="right") - 1
        graded = ~failed & (at >= 0)
        grades[graded] = names[at[graded]]
    else:
        open_ = ~failed
        batch = {"customer": attributes, "score": score} if grading.score is not None else {"customer": attributes}
        for rule in grading.rules:
            if not open_.any():
                break
            found = {}
            holds = rule.when.evaluate_many(batch, errors=found)
            for row, message in found.items():
                if open_[row]:
                    errors.append(RowError(row, f"rules.{rule.grade}", message))
                    failed[row] = True
                    open_[row] = False
            hit = open_ & np.asarray([bool(v) for v in holds] if holds.dtype == object else holds, dtype=bool)
            grades[hit] = rule.grade
            open_ &= ~hit
    errors.sort(key=lambda e: e.row)
    return Grades(score=score, grade=grades, errors=errors)


# --- periods ------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def period_label(reevaluate: str, text: str | None = None, today: date | None = None) -> str:
    """The evaluation period ``text`` names (checked), or the one ``today`` falls in:
    ``2026-03`` (monthly), ``2026-03`` for March–April (bimonthly periods start in odd
    months), ``2026-Q1`` (quarterly). ValueError with the accepted form otherwise."""
    if text is None:
        today = today or date.today()
        if reevaluate == "quarterly":
            return f"{today.year}-Q{(today.month - 1) // 3 + 1}"
        month = today.month if reevaluate == "monthly" else today.month - (today.month - 1) % 2
        return f"{today.year}-{month:02d}"
    if reevaluate == "quarterly":
        m = _QUARTER.match(text)
        if not m:
            raise ValueError(f"{text!r} is not a quarter: write it as 2026-Q1")
        return text
    m = _MONTH.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"{text!r} is not a month: write it as 2026-03")
    if reevaluate == "bimonthly" and int(m.group(2)) % 2 == 0:
        raise ValueError(f"{text!r}: bimonthly periods start in an odd month (2026-01, 2026-03, ...)")
    return text


def period_start(label: str) -> tuple[int, int]:
    """(year, first month) of a stored period label, so that monthly, bimonthly and
    quarterly labels order by time: ``2026-Q2`` → (2026, 4), ``2026-03`` → (2026, 3). As
    text, ``2026-05`` would sort before ``2026-Q1``, and a tenant that changes how often it
    regrades would see a May grade in force in the first quarter."""
    m = _QUARTER.match(label)
    if m:
        return int(m.group(1)), (int(m.group(2)) - 1) * 3 + 1
    m = _MONTH.match(label)
    if m:
        return int(m.group(1)), int(m.group(2))
    raise ValueError(f"{label!r} is not a period label (2026-03 or 2026-Q1)")
