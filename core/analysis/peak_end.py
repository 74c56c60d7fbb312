"""Peak-end: does the overall score follow the peak and the end of the journey, or the mean?

The real-estate case claims overall satisfaction with a delivered home is close to the
peak-end prediction (Kahneman's peak-end rule) rather than to the average of the stages.
Stages marked ``peak_end: peak`` (several are averaged) and the stage marked
``peak_end: end`` give, per respondent, the prediction (peak + end) / 2, beside the plain
mean of all stage scores; both are compared with the observed overall question across the
respondents who have all three: their means, the Pearson correlation of each with the
observed score, and the mean absolute error, so the claim can be tested on the tenant's
own data. A stage's score is the respondent's mean over the stage's questions answered.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from core.analysis.errors import AnalysisInputError
from core.analysis.significance import DEFAULT_MIN_N, mean_summary


def _stage_scores(scores: pd.DataFrame, questions: Sequence[str]) -> np.ndarray:
    block = scores[list(questions)].to_numpy(dtype=float)
    answered = ~np.isnan(block)
    return np.where(answered.any(axis=1), np.nansum(block, axis=1) / np.maximum(answered.sum(axis=1), 1), np.nan)


def _compare(predicted: np.ndarray, observed: np.ndarray, min_n: int) -> dict:
    s = mean_summary(predicted, min_n)
    out = {"mean": s["mean"], "margin_of_error": s["margin_of_error"], "correlation": None, "p_value": None,
           "mean_absolute_error": float(np.mean(np.abs(predicted - observed))) if len(observed) else None}
    if len(observed) >= 3 and np.std(predicted) > 0 and np.std(observed) > 0:
        from scipy import stats  # on first use: scipy.stats costs an API worker about 60 MB

        r, p = stats.pearsonr(predicted, observed)
        out.update(correlation=float(r), p_value=float(p))
    return out


def peak_end(
    scores: pd.DataFrame,
    stages: Mapping[str, Sequence[str]],
    peak: Sequence[str],
    end: str,
    overall: str,
    min_n: int = DEFAULT_MIN_N,
) -> dict:
    """The peak-end prediction and the plain mean of ``stages`` against ``overall``."""
    if not stages:
        raise AnalysisInputError("stages", "no stages with questions to compare")
    peak = list(peak)
    if not peak:
        raise AnalysisInputError("peak_end", "no stage is marked `peak_end: peak`")
    for name in [*peak, end]:
        if name not in stages:
            raise AnalysisInputError("peak_end", f"stage {name!r} has no questions; stages: {', '.join(stages)}")
    if end in peak:
        raise AnalysisInputError("peak_end", f"stage {end!r} cannot be both the peak and the end")
    for stage, questions in stages.items():
        absent = [q for q in questions if q not in scores.columns]
        if absent:
            raise AnalysisInputError(f"stages.{stage}", f"no such question column: {', '.join(absent)}")
    if overall not in scores.columns:
        raise AnalysisInputError("overall", f"no such question column: {overall}")
    per_stage = {name: _stage_scores(scores, qs) for name, qs in stages.items()}
    peak_score = np.nanmean(np.column_stack([per_stage[p] for p in peak]), axis=1) if len(peak) > 1 else per_stage[peak[0]]
    prediction = (peak_score + per_stage[end]) / 2
    plain = np.mean(np.column_stack(list(per_stage.values())), axis=1)  # NaN unless every stage is scored
    observed = scores[overall].to_numpy(dtype=float)
    ok = ~np.isnan(prediction) & ~np.isnan(plain) & ~np.isnan(observed)
    n = int(ok.sum())
    obs = mean_summary(observed[ok], min_n)
    return {
        "analysis": "peak_end",
        "method": "peak_end_rule",
        "peak": peak,
        "end": end,
        "overall": overall,
        "n": n,
        "low_n": n < min_n,
        "stages": {name: mean_summary(v[ok], min_n)["mean"] for name, v in per_stage.items()},
        "observed": {"mean": obs["mean"], "margin_of_error": obs["margin_of_error"]},
        "peak_end_prediction": _compare(prediction[ok], observed[ok], min_n),
        "stage_mean": _compare(plain[ok], observed[ok], min_n),
    }
