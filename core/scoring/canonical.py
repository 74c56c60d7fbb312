"""Canonical answers: one spelling per answer, ready to store and to score.

``canonicalise`` is the gate for uploads: whatever the spreadsheet said (an option code,
its English or Chinese label in any case, a number typed as text, a blank) becomes the
option code, a float or stripped text, and everything that fits no scale is reported with
its row and question instead of being guessed at. ``to_scores`` is the next step for
stored answers: the 0..100 score of each scored question.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.model import IndicatorSet
from core.scoring.answers import encode
from core.scoring.errors import MAX_ERRORS, AnswerErrors, AnswerValidationError


def canonicalise(
    raw: pd.DataFrame, iset: IndicatorSet, max_errors: int = MAX_ERRORS
) -> tuple[pd.DataFrame, AnswerErrors]:
    """Canonical answers for the question columns of ``raw``, and the answers that failed.

    The frame keeps ``raw``'s index and has one column per question of ``iset`` found in
    ``raw`` (questionnaire order; other columns are dropped): ordinal → option code,
    numeric/nps → float, text → stripped string; NaN where not answered or invalid.

    The error list is an ``AnswerErrors``: a list of the first ``max_errors`` errors in
    (row, question) order whose ``total`` attribute counts all of them, so a caller can
    say "and 41,000 more" without the engine building 41,000 objects.
    """
    encoded = encode(raw, iset, lenient=True, max_errors=max_errors)
    data = {}
    for code, col in encoded.columns.items():
        if col.option_index is not None:
            names = np.array([o.code for o in col.scale.options] + [np.nan], dtype=object)
            data[code] = names[col.option_index]
        elif col.values is not None:
            data[code] = col.values
        else:
            data[code] = col.text
    frame = pd.DataFrame(data, index=raw.index, columns=list(encoded.columns))
    return frame, encoded.errors


def to_scores(canon: pd.DataFrame, iset: IndicatorSet) -> pd.DataFrame:
    """0..100 score of every scored question (``iset.scored_questions`` order), NaN = none.

    Questions missing from ``canon`` come out as all-NaN columns so every caller sees the
    same shape. Raises ``AnswerValidationError`` if ``canon`` is not canonical.
    """
    encoded = encode(canon, iset, lenient=False)
    if encoded.errors.total:
        raise AnswerValidationError(encoded.errors)
    data = {}
    for q in iset.scored_questions:
        col = encoded.columns.get(q.code)
        data[q.code] = np.full(len(canon), np.nan) if col is None else col.normalised(q.reverse)
    return pd.DataFrame(data, index=canon.index, columns=[q.code for q in iset.scored_questions], dtype=np.float64)
