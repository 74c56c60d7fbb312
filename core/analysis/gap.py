"""Expectation gap: satisfaction as experience − expectation, per indicator, touchpoint, segment.

The source cases define satisfaction as the gap between what a customer experienced and
what they expected. A question marked ``expectation_of: <experience question>`` pairs with
that experience question; both are on 0..100 scores, and the gap is taken per respondent
(paired), so its margin of error is that of the mean of paired differences,
1.96 · s_d / √n, and the gap is called significant when it exceeds its margin. A
touchpoint's gap is each respondent's mean gap over the touchpoint's pairs they answered.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from core.analysis.errors import AnalysisInputError
from core.analysis.significance import DEFAULT_MIN_N, mean_summary


def _summary(diff: np.ndarray, min_n: int, experience=None, expectation=None) -> dict:
    s = mean_summary(diff, min_n)
    out = {"gap": s["mean"], "n": s["n"], "margin_of_error": s["margin_of_error"], "low_n": s["low_n"],
           "significant": bool(s["margin_of_error"] is not None and abs(s["mean"]) > s["margin_of_error"])}
    if experience is not None:
        both = ~np.isnan(diff)
        out["experience"] = float(experience[both].mean()) if both.any() else None
        out["expectation"] = float(expectation[both].mean()) if both.any() else None
    return out


def expectation_gap(
    scores: pd.DataFrame,
    pairs: Mapping[str, str],
    touchpoints: Mapping[str, str] | None = None,
    segment: str | None = None,
    min_n: int = DEFAULT_MIN_N,
) -> dict:
    """Gaps of ``pairs`` (experience question → its expectation question) in ``scores``."""
    if not pairs:
        raise AnalysisInputError("expectation_of", "no question is marked `expectation_of`; there is no gap to report")
    for experience, expectation in pairs.items():
        for code in (experience, expectation):
            if code not in scores.columns:
                raise AnalysisInputError("expectation_of", f"no such question column: {code}")
    if segment is not None and segment not in scores.columns:
        raise AnalysisInputError("segment", f"no such column: {segment}")
    diffs = pd.DataFrame({e: scores[e].astype(float) - scores[x].astype(float) for e, x in pairs.items()}, index=scores.index)
    out: dict = {"analysis": "expectation_gap", "method": "paired_difference", "indicators": {}, "touchpoints": {}}
    for experience, expectation in pairs.items():
        out["indicators"][experience] = {
            "expectation_question": expectation,
            **_summary(diffs[experience].to_numpy(), min_n, scores[experience].to_numpy(float), scores[expectation].to_numpy(float)),
        }
    by_touchpoint: dict[str, list[str]] = {}
    for experience in pairs:
        tp = (touchpoints or {}).get(experience)
        if tp:
            by_touchpoint.setdefault(tp, []).append(experience)
    for tp, codes in by_touchpoint.items():
        block = diffs[codes].to_numpy()
        answered = ~np.isnan(block)
        per_respondent = np.where(answered.any(axis=1), np.nansum(block, axis=1) / np.maximum(answered.sum(axis=1), 1), np.nan)
        out["touchpoints"][tp] = {"indicators": codes, **_summary(per_respondent, min_n)}
    if segment is not None:
        labels = scores[segment].astype("string").fillna("(blank)").to_numpy()
        out["segments"] = {
            str(v): {e: _summary(diffs[e].to_numpy()[labels == v], min_n) for e in pairs} for v in pd.unique(labels)
        }
    return out
