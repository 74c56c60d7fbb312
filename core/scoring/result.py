"""What a scoring run returns: typed for Python callers, ``to_dict`` for JSON.

Missing scores are ``None`` (never NaN) already in the objects, so Python callers and the
JSON output agree on what "no data" looks like. ``to_dict`` only rounds floats.

Every score carries ``n``, its 95 % ``margin_of_error`` and ``low_n`` (n below the
run's ``min_n``); a satisfaction rate and an NPS carry their own margins. What the tests
of differences need beyond that (respondents, their variance, the counts behind rates) is
kept in ``Spread``, which is not part of the JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

DECIMALS = 4


@dataclass(frozen=True)
class Spread:
    """Behind one score: the respondents with a value (``count``), the variance of their
    values (ddof 1; None below 2), and for a question the counts behind its rates: answers
    among the satisfied options, promoters and detractors (None where they do not apply)."""

    count: int
    variance: float | None
    satisfied: int | None = None
    promoters: int | None = None
    detractors: int | None = None


@dataclass(frozen=True)
class NodeValue:
    """A score (0..100, None = no data), how many responses it rests on, its margin of
    error and whether n is below the minimum; for a question within a group, also its
    satisfaction rate (when the scale marks satisfied options) and NPS (NPS scales)."""

    score: float | None
    n: int
    margin_of_error: float | None = None
    low_n: bool = True
    satisfaction_rate: float | None = None
    satisfaction_rate_margin_of_error: float | None = None
    nps: float | None = None
    nps_margin_of_error: float | None = None
    has_rate: bool = False
    is_nps: bool = False
    spread: Spread | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        out = {"score": _round(self.score), "n": self.n, "margin_of_error": _round(self.margin_of_error), "low_n": self.low_n}
        if self.has_rate:
            out["satisfaction_rate"] = _round(self.satisfaction_rate)
            out["satisfaction_rate_margin_of_error"] = _round(self.satisfaction_rate_margin_of_error)
        if self.is_nps:
            out["nps"] = _round(self.nps)
            out["nps_margin_of_error"] = _round(self.nps_margin_of_error)
        return out


@dataclass(frozen=True)
class NodeScore:
    """A node of the indicator tree as scored over all responses.

    For questions also: ``satisfaction_rate`` (share 0..1 of answers among the scale's
    satisfied options; None when the scale marks none or nobody answered), ``nps``
    (−100..100, nps questions only) and ``distribution`` (answers per option code in option
    order; per distinct value for numeric and nps; None for open questions).
    """

    code: str
    kind: str  # "group" | "question"
    parent: str | None
    weight: float
    score: float | None
    n: int
    margin_of_error: float | None = None
    low_n: bool = True
    satisfaction_rate: float | None = None
    satisfaction_rate_margin_of_error: float | None = None
    nps: float | None = None
    nps_margin_of_error: float | None = None
    distribution: Mapping[str, int] | None = None
    is_nps: bool = False

    def to_dict(self) -> dict:
        out = {
            "score": _round(self.score),
            "n": self.n,
            "margin_of_error": _round(self.margin_of_error),
            "low_n": self.low_n,
            "weight": _round(self.weight),
            "parent": self.parent,
            "kind": self.kind,
        }
        if self.kind == "question":
            out["satisfaction_rate"] = _round(self.satisfaction_rate)
            out["satisfaction_rate_margin_of_error"] = _round(self.satisfaction_rate_margin_of_error)
            if self.is_nps:
                out["nps"] = _round(self.nps)
                out["nps_margin_of_error"] = _round(self.nps_margin_of_error)
            out["distribution"] = None if self.distribution is None else dict(self.distribution)
        return out


@dataclass(frozen=True)
class GroupScore:
    """The index of one group of responses (e.g. segment "vip" in 2026-03)."""

    label: str
    key: tuple  # the raw key values, None where missing
    csi: float | None
    n: int
    margin_of_error: float | None
    nodes: Mapping[str, NodeValue]
    low_n: bool = True
    spread: Spread | None = field(default=None, repr=False, compare=False)
    compare: Mapping | None = None  # with ``compare``: this group against another period

    def to_dict(self) -> dict:
        out = {
            "csi": _round(self.csi),
            "n": self.n,
            "margin_of_error": _round(self.margin_of_error),
            "low_n": self.low_n,
            "nodes": {code: v.to_dict() for code, v in self.nodes.items()},
        }
        if self.compare is not None:
            out["compare"] = rounded(self.compare)
        return out


@dataclass(frozen=True)
class ScoreResult:
    """Scores of one indicator set over a set of responses, optionally split into groups."""

    indicator_set: str
    csi: float | None
    n: int
    margin_of_error: float | None
    nodes: Mapping[str, NodeScore]
    touchpoints: Mapping[str, NodeValue]
    group_by: tuple[str, ...] = ()
    groups: Mapping[str, GroupScore] = field(default_factory=dict)
    min_n: int = 30
    low_n: bool = True
    compare: str | None = None  # "previous" or a period label, when groups are compared

    def to_dict(self) -> dict:
        out = {
            "indicator_set": self.indicator_set,
            "csi": _round(self.csi),
            "n": self.n,
            "margin_of_error": _round(self.margin_of_error),
            "low_n": self.low_n,
            "min_n": self.min_n,
            "nodes": {code: node.to_dict() for code, node in self.nodes.items()},
            "touchpoints": {code: tp.to_dict() for code, tp in self.touchpoints.items()},
        }
        if self.group_by:
            out["group_by"] = list(self.group_by)
            out["groups"] = {label: g.to_dict() for label, g in self.groups.items()}
            if self.compare is not None:
                out["compare"] = self.compare
        return out


def clean(x) -> float | None:
    """A float, or None for NaN/inf/None: the one spelling of "no value"."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, DECIMALS)


def rounded(value):
    """``value`` with every float rounded as scores are (lists and mappings walked)."""
    if isinstance(value, float):
        return _round(clean(value))
    if isinstance(value, Mapping):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v) for v in value]
    return value
