"""Rolling question scores up the indicator tree, for any number of rows at once.

The same roll-up serves every level of aggregation: a row can be one group of responses
(its question scores are means) or one respondent (its question scores are that person's
normalised answers). Each group's score is the weighted mean of the children that have
data, weights renormalised over those children, so a skipped question or a skipped branch
neither counts as zero nor shifts weight onto an arbitrary sibling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from core.model import IndicatorSet
from core.scoring.errors import ScoringInputError


@dataclass(frozen=True)
class Step:
    """One group of the tree: its scored children and their weights (root: code None)."""

    code: str | None
    children: tuple[str, ...]
    weights: np.ndarray


@dataclass(frozen=True)
class TreePlan:
    """The scored part of an indicator set, flattened into steps run bottom-up."""

    questions: tuple[str, ...]
    steps: tuple[Step, ...]

    @classmethod
    def of(cls, iset: IndicatorSet) -> "TreePlan":
        steps = []
        for group in iset.groups_bottom_up():
            kids = iset.scored_children(group)
            steps.append(
                Step(
                    None if group is None else group.code,
                    tuple(k.code for k in kids),
                    np.array([k.weight for k in kids], dtype=np.float64),
                )
            )
        return cls(tuple(q.code for q in iset.scored_questions), tuple(steps))


def rollup(plan: TreePlan, leaves: Mapping[str, np.ndarray]) -> dict[str | None, np.ndarray]:
    """Scores of every group (and the root, key None) from the question scores.

    ``leaves`` maps each scored question to an array of scores over the same rows
    (NaN = no data in that row). Returns the leaves too, so callers look up any node.
    """
    scores: dict[str | None, np.ndarray] = dict(leaves)
    for step in plan.steps:
        kids = np.column_stack([scores[c] for c in step.children])
        has = ~np.isnan(kids)
        num = np.where(has, kids, 0.0) @ step.weights
        den = has @ step.weights
        out = np.full(num.shape, np.nan)
        np.divide(num, den, out=out, where=den > 0)
        scores[step.code] = out
    return scores


def answered_beneath(plan: TreePlan, answered: Mapping[str, np.ndarray]) -> dict[str | None, np.ndarray]:
    """For every node, whether each row has at least one scored answer beneath it.

    Kept apart from ``rollup`` because a child with weight 0 has data (it counts in n)
    while adding nothing to the score.
    """
    out: dict[str | None, np.ndarray] = dict(answered)
    for step in plan.steps:
        acc = out[step.children[0]].copy()
        for c in step.children[1:]:
            acc |= out[c]
        out[step.code] = acc
    return out


def weighted_sum_index(question_scores: Mapping[str, float], iset: IndicatorSet) -> float:
    """The source's method: Σ question score × global weight (root-to-question product).

    Valid only when every scored question has a score; it then equals the CSI from the
    roll-up, since no renormalisation happens. Refuses a missing score rather than
    silently counting it as zero.
    """
    total = 0.0
    missing = []
    for code, w in iset.global_weights().items():
        value = question_scores.get(code)
        if value is None or not math.isfinite(float(value)):
            missing.append(code)
            continue
        total += float(value) * w
    if missing:
        raise ScoringInputError(
            "the weighted-sum index needs a score for every scored question; missing: " + ", ".join(missing)
        )
    return total
