"""What a scoring run returns: typed for Python callers, ``to_dict`` for JSON.

Missing scores are ``None`` (never NaN) already in the objects, so Python callers and the
JSON output agree on what "no data" looks like. ``to_dict`` only rounds floats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

DECIMALS = 4


@dataclass(frozen=True)
class NodeValue:
    """A score (0..100, None = no data) and how many responses it rests on."""

    score: float | None
    n: int

    def to_dict(self) -> dict:
        return {"score": _round(self.score), "n": self.n}


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
    satisfaction_rate: float | None = None
    nps: float | None = None
    distribution: Mapping[str, int] | None = None
    is_nps: bool = False

    def to_dict(self) -> dict:
        out = {
            "score": _round(self.score),
            "n": self.n,
            "weight": _round(self.weight),
            "parent": self.parent,
            "kind": self.kind,
        }
        if self.kind == "question":
            out["satisfaction_rate"] = _round(self.satisfaction_rate)
            if self.is_nps:
                out["nps"] = _round(self.nps)
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

    def to_dict(self) -> dict:
        return {
            "csi": _round(self.csi),
            "n": self.n,
            "margin_of_error": _round(self.margin_of_error),
            "nodes": {code: v.to_dict() for code, v in self.nodes.items()},
        }


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

    def to_dict(self) -> dict:
        out = {
            "indicator_set": self.indicator_set,
            "csi": _round(self.csi),
            "n": self.n,
            "margin_of_error": _round(self.margin_of_error),
            "nodes": {code: node.to_dict() for code, node in self.nodes.items()},
            "touchpoints": {code: tp.to_dict() for code, tp in self.touchpoints.items()},
        }
        if self.group_by:
            out["group_by"] = list(self.group_by)
            out["groups"] = {label: g.to_dict() for label, g in self.groups.items()}
        return out


def clean(x) -> float | None:
    """A float, or None for NaN/inf/None: the one spelling of "no value"."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, DECIMALS)
