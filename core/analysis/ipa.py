"""Importance × performance analysis (IPA) and the ranked priority list.

Martilla & James (1977) place each indicator by its importance (here: its share of the
explained R²) and its performance (its 0..100 score), split at a named point of each axis
(the ``mean`` or the ``median`` of the indicators, configurable), giving four quadrants:

=====================  =================  ===================================
quadrant               importance, score  what to do
=====================  =================  ===================================
``concentrate_here``   high, low          priority improvement (优先改进指标)
``keep_up``            high, high         keep up the good work
``low_priority``       low, low           low priority
``possible_overkill``  low, high          possible overkill
=====================  =================  ===================================

An indicator exactly at a split point counts as high. The priority list puts high
importance and low satisfaction first, as the real-estate case does: by quadrant in the
order above, then by improvement potential share × (100 − score), largest first.
"""

from __future__ import annotations

import numpy as np

from core.analysis.errors import AnalysisInputError

SPLITS = ("mean", "median")
QUADRANTS = ("concentrate_here", "keep_up", "low_priority", "possible_overkill")


def split_point(values: np.ndarray, how: str) -> float:
    if how == "mean":
        return float(np.mean(values))
    if how == "median":
        return float(np.median(values))
    raise AnalysisInputError("split", f"unknown split point {how!r}; one of {', '.join(SPLITS)}")


def quadrants(share: np.ndarray, score: np.ndarray, split: str = "mean") -> tuple[list[str], list[int], dict]:
    """Each indicator's quadrant and priority rank (1 = fix first), and the split points used.

    Indicators without a score (no answers) get no quadrant and rank last.
    """
    share = np.asarray(share, dtype=float)
    score = np.asarray(score, dtype=float)
    known = ~np.isnan(score)
    if not known.any():
        return [None] * len(share), list(range(1, len(share) + 1)), {"split": split, "importance": None, "score": None}
    imp_cut = split_point(share[known], split)
    score_cut = split_point(score[known], split)
    high_imp = share >= imp_cut
    high_score = score >= score_cut
    names = np.where(high_imp, np.where(high_score, "keep_up", "concentrate_here"), np.where(high_score, "possible_overkill", "low_priority"))
    quadrant = [str(q) if k else None for q, k in zip(names, known)]
    order_of = {q: i for i, q in enumerate(QUADRANTS)}
    potential = share * (100.0 - np.where(known, score, 100.0))
    keys = [(order_of.get(q, len(QUADRANTS)), -p, i) for i, (q, p) in enumerate(zip(quadrant, potential))]
    ranked = sorted(range(len(keys)), key=lambda i: keys[i])
    priority = [0] * len(keys)
    for rank, i in enumerate(ranked, start=1):
        priority[i] = rank
    return quadrant, priority, {"split": split, "importance": imp_cut, "score": score_cut}
