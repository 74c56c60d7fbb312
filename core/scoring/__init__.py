"""Scoring: from answers to the customer-satisfaction index (CSI) and its breakdowns.

Pure pandas/numpy; no web framework and no database. Entry points:

* ``canonicalise`` turns uploaded cells (codes, labels, numbers as text) into canonical
  answers and lists every answer that does not fit its scale;
* ``to_scores`` turns canonical answers into 0..100 scores per scored question;
* ``score`` computes the CSI, the tree, touchpoints and per-group results;
* ``weighted_sum_index`` is the source cases' Σ score × weight, kept as a cross-check.
"""

from core.scoring.canonical import canonicalise, to_scores
from core.scoring.engine import score
from core.scoring.errors import (
    MAX_ERRORS,
    AnswerError,
    AnswerErrors,
    AnswerValidationError,
    ScoringInputError,
)
from core.scoring.groups import MISSING, PERIODS
from core.scoring.result import GroupScore, NodeScore, NodeValue, ScoreResult
from core.scoring.tree import weighted_sum_index

__all__ = [
    "MAX_ERRORS",
    "MISSING",
    "PERIODS",
    "AnswerError",
    "AnswerErrors",
    "AnswerValidationError",
    "GroupScore",
    "NodeScore",
    "NodeValue",
    "ScoreResult",
    "ScoringInputError",
    "canonicalise",
    "score",
    "to_scores",
    "weighted_sum_index",
]
