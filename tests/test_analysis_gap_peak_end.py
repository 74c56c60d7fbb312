"""Known-answer tests of the expectation gap and the peak-end comparison (worked by hand)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.analysis import AnalysisInputError
from core.analysis.gap import expectation_gap
from core.analysis.peak_end import peak_end


def test_paired_gap_by_hand():
    """Experience 80 60 100 40, expectation 60 60 80 60 → gaps 20 0 20 −20: mean 5,
    s = √((15² + 5² + 15² + 25²)/3) = √(1100/3) = 19.149, MOE = 1.96·19.149/2 = 18.766."""
    scores = pd.DataFrame({"svc": [80, 60, 100, 40.0], "svc_exp": [60, 60, 80, 60.0]})
    out = expectation_gap(scores, {"svc": "svc_exp"}, min_n=2)
    g = out["indicators"]["svc"]
    assert g["gap"] == pytest.approx(5.0) and g["n"] == 4
    assert g["margin_of_error"] == pytest.approx(1.96 * math.sqrt(1100 / 3) / 2)
    assert g["significant"] is False and g["low_n"] is False
    assert g["experience"] == pytest.approx(70.0) and g["expectation"] == pytest.approx(65.0)
    assert out["analysis"] == "expectation_gap" and out["method"] == "paired_difference"


def test_gap_per_touchpoint_and_segment():
    """Touchpoint 'handover' has a (gaps −10, −30) and b (gaps −20, blank): respondent means
    −15 and −30, touchpoint gap −22.5. Segment x is row 0 only."""
    scores = pd.DataFrame({"a": [50, 40.0], "a_e": [60, 70.0], "b": [60, np.nan], "b_e": [80, 90.0], "seg": ["x", "y"]})
    out = expectation_gap(scores, {"a": "a_e", "b": "b_e"}, {"a": "handover", "b": "handover"}, segment="seg", min_n=1)
    assert out["touchpoints"]["handover"]["gap"] == pytest.approx(-22.5)
    assert out["touchpoints"]["handover"]["n"] == 2
    assert out["indicators"]["b"]["n"] == 1 and out["indicators"]["b"]["margin_of_error"] is None
    assert out["segments"]["x"]["a"]["gap"] == pytest.approx(-10) and out["segments"]["y"]["a"]["gap"] == pytest.approx(-30)


def test_gap_errors_name_the_field():
    with pytest.raises(AnalysisInputError) as err:
        expectation_gap(pd.DataFrame({"a": [1.0]}), {"a": "a_e"})
    assert err.value.field == "expectation_of" and "a_e" in err.value.message
    with pytest.raises(AnalysisInputError, match="no question is marked"):
        expectation_gap(pd.DataFrame({"a": [1.0]}), {})


def test_peak_end_by_hand():
    """Stages sign (peak), handover (peak), service (end); respondent scores:
         sign  handover  service  overall
    r1    90     70        40       50     prediction ((90+70)/2 + 40)/2 = 60, mean 66.67
    r2    60     80        90       85     prediction (70 + 90)/2 = 80,          mean 76.67
    r3    70     70        60       62     prediction (70 + 60)/2 = 65,          mean 66.67
    MAE prediction (10 + 5 + 3)/3 = 6; MAE mean (16.67 + 8.33 + 4.67)/3 = 9.89."""
    scores = pd.DataFrame({
        "s1": [90, 60, 70.0], "h1": [70, 80, 70.0], "p1": [40, 90, 50.0], "p2": [40, 90, 70.0], "overall": [50, 85, 62.0],
    })
    out = peak_end(scores, {"sign": ["s1"], "handover": ["h1"], "service": ["p1", "p2"]}, ["sign", "handover"], "service", "overall", min_n=3)
    pe, mean = out["peak_end_prediction"], out["stage_mean"]
    assert pe["mean"] == pytest.approx((60 + 80 + 65) / 3)
    assert pe["mean_absolute_error"] == pytest.approx(6.0)
    assert mean["mean_absolute_error"] == pytest.approx((50 / 3 + 25 / 3 + 14 / 3) / 3)
    want_r = np.corrcoef([60, 80, 65], [50, 85, 62])[0, 1]
    assert pe["correlation"] == pytest.approx(want_r)
    assert out["stages"]["service"] == pytest.approx((40 + 90 + 60) / 3)
    assert out["n"] == 3 and out["analysis"] == "peak_end"


def test_peak_end_errors_name_the_field():
    scores = pd.DataFrame({"a": [1.0], "b": [2.0], "o": [3.0]})
    with pytest.raises(AnalysisInputError, match="no stage is marked"):
        peak_end(scores, {"x": ["a"], "y": ["b"]}, [], "y", "o")
    with pytest.raises(AnalysisInputError, match="stage 'z' has no questions"):
        peak_end(scores, {"x": ["a"], "y": ["b"]}, ["x"], "z", "o")
    with pytest.raises(AnalysisInputError) as err:
        peak_end(scores, {"x": ["a"], "y": ["nope"]}, ["x"], "y", "o")
    assert err.value.field == "stages.y"
