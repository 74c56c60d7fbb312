"""Known-answer tests of the KANO classification.

The evaluation table is Berger et al. (1993), "Kano's methods for understanding
customer-defined quality", Center for Quality Management Journal 2(4), Table (the 5 × 5
functional × dysfunctional grid); Better/Worse are the customer-satisfaction coefficients
of the same paper (after Timko): Better = (A+O)/(A+O+M+I), Worse = −(O+M)/(A+O+M+I).
Counts below are worked by hand.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from core.analysis import AnalysisInputError
from core.analysis.kano import ANSWERS, classify, kano, service_menu

# Berger et al. 1993, row = functional answer, column = dysfunctional answer.
BERGER = {
    "like": "QAAAO",
    "must_be": "RIIIM",
    "neutral": "RIIIM",
    "live_with": "RIIIM",
    "dislike": "RRRRQ",
}
CLASSES = "AOMIRQ"


def test_every_cell_of_the_evaluation_table():
    pairs = list(itertools.product(ANSWERS, ANSWERS))
    got = classify(pd.Series([f for f, _ in pairs]), pd.Series([d for _, d in pairs]))
    want = [CLASSES.index(BERGER[f][ANSWERS.index(d)]) for f, d in pairs]
    assert got.tolist() == want


def frame_of(pairs: list[tuple[str, str, int]], segment=None) -> pd.DataFrame:
    rows = [(f, d) for f, d, k in pairs for _ in range(k)]
    out = pd.DataFrame(rows, columns=["app_f", "app_d"])
    if segment is not None:
        out["region"] = segment
    return out


def test_counts_category_better_worse_by_hand():
    """10 × (like, dislike) = O, 6 × (like, neutral) = A, 3 × (neutral, dislike) = M,
    1 × (neutral, neutral) = I, 1 × (dislike, like) = R, 1 × (like, like) = Q, 1 blank.
    Category O (10). Better = (6+10)/(6+10+3+1) = 0.8; Worse = −(10+3)/20 = −0.65."""
    frame = frame_of([("like", "dislike", 10), ("like", "neutral", 6), ("neutral", "dislike", 3),
                      ("neutral", "neutral", 1), ("dislike", "like", 1), ("like", "like", 1)])
    frame.loc[len(frame)] = ["like", None]
    out = kano(frame, [{"code": "service_app", "functional": "app_f", "dysfunctional": "app_d"}])
    f = out["features"]["service_app"]
    assert f["counts"] == {"A": 6, "O": 10, "M": 3, "I": 1, "R": 1, "Q": 1}
    assert f["n"] == 22 and f["category"] == "O" and f["ties"] == []
    assert f["better"] == pytest.approx(0.8) and f["worse"] == pytest.approx(-0.65)
    assert f["shares"]["O"] == pytest.approx(10 / 22) and f["low_n"] is True
    assert out["analysis"] == "kano" and out["method"] == "berger_1993"


def test_ties_are_reported_not_broken():
    frame = frame_of([("like", "neutral", 4), ("neutral", "dislike", 4), ("neutral", "neutral", 1)])
    f = kano(frame, [{"code": "x", "functional": "app_f", "dysfunctional": "app_d"}])["features"]["x"]
    assert f["category"] is None and f["ties"] == ["A", "M"]


def test_per_segment():
    north = frame_of([("like", "neutral", 3)], "north")
    south = frame_of([("neutral", "dislike", 2)], "south")
    out = kano(pd.concat([north, south], ignore_index=True), [{"code": "x", "functional": "app_f", "dysfunctional": "app_d"}], segment="region")
    seg = out["features"]["x"]["segments"]
    assert seg["north"]["category"] == "A" and seg["north"]["better"] == 1.0 and seg["north"]["worse"] == 0.0
    assert seg["south"]["category"] == "M" and seg["south"]["better"] == 0.0 and seg["south"]["worse"] == -1.0


def test_service_menu_from_categories():
    frame = pd.DataFrame({"a_f": ["like"] * 3, "a_d": ["neutral"] * 3, "b_f": ["neutral"] * 3, "b_d": ["dislike"] * 3,
                          "c_f": ["like"] * 3, "c_d": ["dislike"] * 3, "d_f": ["neutral"] * 3, "d_d": ["neutral"] * 3})
    features = [{"code": c, "functional": f"{c}_f", "dysfunctional": f"{c}_d"} for c in "abcd"]
    menu = service_menu(kano(frame, features))
    assert menu == {"service_menu": {"basic": ["b"], "expected": ["c"], "delight": ["a"]}, "left_out": ["d"]}


def test_bad_answers_and_columns_name_the_field():
    frame = pd.DataFrame({"app_f": ["like", "love it"], "app_d": ["dislike", "dislike"]})
    with pytest.raises(AnalysisInputError) as err:
        kano(frame, [{"code": "x", "functional": "app_f", "dysfunctional": "app_d"}])
    assert err.value.field == "features.0.functional" and "love it" in err.value.message
    with pytest.raises(AnalysisInputError) as err:
        kano(frame, [{"code": "x", "functional": "app_f", "dysfunctional": "nope"}])
    assert err.value.field == "features.0.dysfunctional"
    with pytest.raises(AnalysisInputError, match="no such column: region"):
        kano(frame, [{"code": "x", "functional": "app_f", "dysfunctional": "app_d"}], segment="region")


def test_a_large_survey_is_classified_in_one_pass():
    rng = np.random.default_rng(0)
    n = 200_000
    frame = pd.DataFrame({"f": rng.choice(ANSWERS, n), "d": rng.choice(ANSWERS, n)})
    f = kano(frame, [{"code": "x", "functional": "f", "dysfunctional": "d"}])["features"]["x"]
    # uniform answers: I takes 9 of 25 cells, R 7, A 3, M 3, Q 2, O 1
    assert f["category"] == "I" and f["shares"]["I"] == pytest.approx(9 / 25, abs=0.005)
