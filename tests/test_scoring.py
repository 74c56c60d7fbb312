"""Known-answer tests of the scoring engine; every expected number is worked by hand.

The sat4 scale used throughout: A=4 B=3 C=2 D=1 (A and B satisfied), so min 1, max 4 and
an answer normalises to (score − 1) / 3 × 100: A → 100, B → 66.67, C → 33.33, D → 0.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from core.model import Indicator, IndicatorSet, Scale
from core.model.standard_scales import SAT4
from core.scoring import (
    AnswerValidationError,
    ScoringInputError,
    score,
    to_scores,
    weighted_sum_index,
)

NA = None


SCALES = {
    "sat4": SAT4,
    "ten": Scale("ten", "numeric", min=0, max=10),
    "nps": Scale("nps", "nps"),
    "open": Scale("open", "text"),
}


def two_level() -> IndicatorSet:
    """S (0.4): Q1 0.5, Q2 0.5 [sat4]; P (0.6): Q3 0.7 [0..10], Q4 0.3 [sat4], T open.

    Global weights (the source's per-question weights): Q1 0.2, Q2 0.2, Q3 0.42, Q4 0.18.
    """
    return IndicatorSet(
        "two_level",
        (
            Indicator(
                "S",
                0.4,
                children=(
                    Indicator("Q1", 0.5, scale="sat4", touchpoint="store"),
                    Indicator("Q2", 0.5, scale="sat4", touchpoint="store"),
                ),
            ),
            Indicator(
                "P",
                0.6,
                children=(
                    Indicator("Q3", 0.7, scale="ten", touchpoint="delivery"),
                    Indicator("Q4", 0.3, scale="sat4", touchpoint="delivery"),
                    Indicator("T", 0.0, scale="open"),
                ),
            ),
        ),
        SCALES,
    )


def four_respondents() -> pd.DataFrame:
    """r2 skips branch P entirely, r3 skips branch S entirely."""
    return pd.DataFrame(
        {
            "response_id": [1, 2, 3, 4],
            "segment": ["y", "y", "x", "y"],
            "collected_at": ["2026-01-15", "2026-02-03", "2026-03-30", "2026-04-01"],
            "Q1": ["A", "B", "C", NA],
            "Q2": ["B", "B", "D", NA],
            "Q3": [8, 6, NA, 10],
            "Q4": ["C", "A", NA, "B"],
            "T": ["friendly staff", NA, "  ", "late"],
        }
    )


# Respondent indices worked by hand (normalised answers, then the tree):
#   r0: S = (100 + 66.67)/2 = 83.33; P = 0.7·80 + 0.3·33.33 = 66;    0.4·83.33 + 0.6·66 = 72.9333
#   r1: S = (66.67 + 66.67)/2 = 66.67; P = 0.7·60 + 0.3·100 = 72;    0.4·66.67 + 0.6·72 = 69.8667
#   r2: S = (33.33 + 0)/2 = 16.67; P has no data -> weights 0.4/0.4:  index = 16.6667
#   r3: S has no data -> P alone: 0.7·100 + 0.3·66.67 = 90:          index = 90
R = [100 / 3 + 39.6, 80 / 3 + 43.2, 50 / 3, 90.0]


# --- normalisation -----------------------------------------------------------------------
def test_to_scores_normalises_each_kind_and_mirrors_reversed_questions():
    """sat4: A 100, B 66.67, C 33.33, D 0; reversed: 100 − x; 0..10: 7 → 70; nps: 9 → 90."""
    iset = IndicatorSet(
        "norm",
        (
            Indicator("Q", 0.25, scale="sat4"),
            Indicator("R", 0.25, scale="sat4", reverse=True),
            Indicator("N", 0.25, scale="ten"),
            Indicator("P", 0.25, scale="nps"),
            Indicator("T", 0.0, scale="open"),
        ),
        SCALES,
    )
    canon = pd.DataFrame(
        {"Q": ["A", "B", "C", "D", NA], "R": ["A", "B", "C", "D", NA], "N": [7, 0, 10, 2.5, NA], "P": [9, 0, 10, 6, NA]}
    )
    out = to_scores(canon, iset)
    assert list(out.columns) == ["Q", "R", "N", "P"]  # scored questions only, in order
    assert (out.dtypes == np.float64).all()
    np.testing.assert_allclose(out["Q"], [100, 200 / 3, 100 / 3, 0, np.nan])
    np.testing.assert_allclose(out["R"], [0, 100 / 3, 200 / 3, 100, np.nan])
    np.testing.assert_allclose(out["N"], [70, 0, 100, 25, np.nan])
    np.testing.assert_allclose(out["P"], [90, 0, 100, 60, np.nan])


def test_to_scores_gives_absent_questions_as_empty_columns_and_refuses_labels():
    iset = two_level()
    out = to_scores(pd.DataFrame({"Q1": ["A"]}, index=[7]), iset)
    assert list(out.columns) == ["Q1", "Q2", "Q3", "Q4"]
    assert list(out.index) == [7]
    assert out.loc[7, "Q1"] == 100 and out.loc[7, ["Q2", "Q3", "Q4"]].isna().all()
    with pytest.raises(AnswerValidationError) as info:
        to_scores(pd.DataFrame({"Q1": ["Satisfied"]}), iset)  # a label, not a code
    assert info.value.errors[0].field == "Q1"


# --- the tree, renormalisation, the source's method -----------------------------------------
def test_two_level_tree_with_skipped_branches():
    """Question scores are means over those who answered:
    Q1 = (100 + 66.67 + 33.33)/3 = 66.67, Q2 = (66.67 + 66.67 + 0)/3 = 44.44,
    Q3 = (80 + 60 + 100)/3 = 80, Q4 = (33.33 + 100 + 66.67)/3 = 66.67.
    S = 0.5·66.67 + 0.5·44.44 = 55.56; P = 0.7·80 + 0.3·66.67 = 76;
    CSI = 0.4·55.56 + 0.6·76 = 22.22 + 45.6 = 67.8222.
    n: S 3 (r0 r1 r2), P 3 (r0 r1 r3), root 4; the open question T: answered by 2.
    """
    result = score(four_respondents(), two_level())
    assert result.csi == pytest.approx(67.822222222, abs=1e-8)
    assert result.n == 4
    nodes = result.nodes
    assert list(nodes) == ["S", "Q1", "Q2", "P", "Q3", "Q4", "T"]
    assert nodes["S"].score == pytest.approx(500 / 9)
    assert nodes["P"].score == pytest.approx(76.0)
    assert nodes["Q2"].score == pytest.approx(400 / 9)
    assert (nodes["S"].n, nodes["P"].n, nodes["Q1"].n, nodes["Q3"].n) == (3, 3, 3, 3)
    assert (nodes["S"].kind, nodes["S"].parent, nodes["S"].weight) == ("group", None, 0.4)
    assert (nodes["Q4"].kind, nodes["Q4"].parent, nodes["Q4"].weight) == ("question", "P", 0.3)
    assert nodes["T"].score is None and nodes["T"].n == 2 and nodes["T"].kind == "question"


def test_source_weighted_sum_equals_csi_when_everybody_answers_everything():
    """Seed 002 "计算满意度指数": multiply each question's score by its (global) weight and
    sum. With no gaps there is nothing to renormalise, so it must equal the roll-up.

    Answers: Q1 A,B (100, 66.67 → 83.33); Q2 C,C (33.33); Q3 9,5 (90, 50 → 70);
    Q4 D,A (0, 100 → 50).
    Σ = 83.33·0.2 + 33.33·0.2 + 70·0.42 + 50·0.18 = 16.667 + 6.667 + 29.4 + 9 = 61.7333.
    Roll-up: S = (83.33 + 33.33)/2 = 58.33, P = 0.7·70 + 0.3·50 = 64,
    CSI = 0.4·58.33 + 0.6·64 = 23.333 + 38.4 = 61.7333.
    """
    iset = two_level()
    full = pd.DataFrame({"Q1": ["A", "B"], "Q2": ["C", "C"], "Q3": [9, 5], "Q4": ["D", "A"]})
    result = score(full, iset)
    q_scores = {code: result.nodes[code].score for code in ("Q1", "Q2", "Q3", "Q4")}
    assert weighted_sum_index(q_scores, iset) == pytest.approx(61.733333333, abs=1e-8)
    assert weighted_sum_index(q_scores, iset) == pytest.approx(result.csi, abs=1e-12)


def test_weighted_sum_index_refuses_a_missing_question():
    with pytest.raises(ScoringInputError, match="Q4"):
        weighted_sum_index({"Q1": 50.0, "Q2": 50.0, "Q3": 50.0}, two_level())


def test_group_without_data_gives_its_weight_to_its_siblings():
    """Nobody answered Q2: S = Q1 alone (weights 0.5/0.5 → 1); nobody answered branch P:
    the CSI is S alone. Q1 answers A, D → (100 + 0)/2 = 50 → CSI 50."""
    result = score(pd.DataFrame({"Q1": ["A", "D"], "Q2": [NA, NA]}), two_level())
    assert result.nodes["S"].score == pytest.approx(50.0)
    assert result.nodes["P"].score is None and result.nodes["P"].n == 0
    assert result.csi == pytest.approx(50.0)


# --- margin of error -----------------------------------------------------------------------
def test_margin_of_error_from_respondent_indices():
    """Indices (see R above): 72.9333, 69.8667, 16.6667, 90; mean 62.3667;
    deviations 10.567, 7.5, −45.7, 27.633; Σ squares 3019.99; sd = √(3019.99/3) = 31.7280;
    MOE = 1.96 · 31.7280 / √4 = 31.0934."""
    result = score(four_respondents(), two_level())
    assert result.margin_of_error == pytest.approx(31.093427663, abs=1e-8)
    assert result.margin_of_error == pytest.approx(1.96 * statistics.stdev(R) / 2, abs=1e-9)


def test_margin_of_error_needs_two_respondents():
    result = score(pd.DataFrame({"Q1": ["A"]}), two_level())
    assert result.n == 1 and result.csi == pytest.approx(100.0)
    assert result.margin_of_error is None


# --- question statistics -----------------------------------------------------------------------
def test_satisfaction_rate_and_distribution():
    """Q1 answers A, A, B, C, D, blank: satisfied (A, B) 3 of 5 answered → 0.6;
    distribution in option order A 2, B 1, C 1, D 1. Q2 gets only D: rate 0,
    distribution zeros except D. Numeric Q3 has no satisfied options → rate None."""
    frame = pd.DataFrame(
        {"Q1": ["A", "A", "B", "C", "D", NA], "Q2": ["D"] * 6, "Q3": [1, 1, 2, NA, NA, NA]}
    )
    nodes = score(frame, two_level()).nodes
    assert nodes["Q1"].satisfaction_rate == pytest.approx(0.6)
    assert dict(nodes["Q1"].distribution) == {"A": 2, "B": 1, "C": 1, "D": 1}
    assert list(nodes["Q1"].distribution) == ["A", "B", "C", "D"]
    assert nodes["Q2"].satisfaction_rate == 0.0
    assert dict(nodes["Q2"].distribution) == {"A": 0, "B": 0, "C": 0, "D": 6}
    assert nodes["Q3"].satisfaction_rate is None
    assert dict(nodes["Q3"].distribution) == {"1": 2, "2": 1}
    assert dict(nodes["Q4"].distribution) == {"A": 0, "B": 0, "C": 0, "D": 0}  # nobody answered


def test_nps_by_hand():
    """Answers 10 9 8 7 6 0 3 9 10 (+ one blank): 9 answered; promoters (9–10): 4;
    detractors (0–6): 6, 0, 3 → 3; NPS = (4 − 3)/9 · 100 = 11.11.
    Score = mean normalised = (100+90+80+70+60+0+30+90+100)/9 = 620/9 = 68.89."""
    iset = IndicatorSet("nps_only", (Indicator("R", 1.0, scale="nps"),), SCALES)
    frame = pd.DataFrame({"R": [10, 9, 8, 7, 6, 0, 3, 9, 10, NA]})
    result = score(frame, iset)
    node = result.nodes["R"]
    assert node.nps == pytest.approx(100 / 9)
    assert node.score == pytest.approx(620 / 9)
    assert node.n == 9
    assert dict(node.distribution) == {"0": 1, "3": 1, "6": 1, "7": 1, "8": 1, "9": 2, "10": 2}
    assert result.to_dict()["nodes"]["R"]["nps"] == 11.1111


def test_reversed_question_in_the_index():
    """R reversed: A → 0, D → 100. Answers A, D, D → (0 + 100 + 100)/3 = 66.67; the
    satisfaction rate still reads the options (A satisfied): 1/3."""
    iset = IndicatorSet("rev", (Indicator("R", 1.0, scale="sat4", reverse=True),), SCALES)
    result = score(pd.DataFrame({"R": ["A", "D", "D"]}), iset)
    assert result.csi == pytest.approx(200 / 3)
    assert result.nodes["R"].satisfaction_rate == pytest.approx(1 / 3)


def test_touchpoint_scores_use_global_weights_renormalised_within_the_touchpoint():
    """store = Q1, Q2 (global 0.2, 0.2): (0.2·66.67 + 0.2·44.44)/0.4 = 55.56, n 3 (r0 r1 r2).
    delivery = Q3, Q4 (0.42, 0.18): (0.42·80 + 0.18·66.67)/0.6 = (33.6 + 12)/0.6 = 76, n 3.
    With Q2 unanswered, store is Q1 alone."""
    result = score(four_respondents(), two_level())
    assert result.touchpoints["store"].score == pytest.approx(500 / 9)
    assert result.touchpoints["store"].n == 3
    assert result.touchpoints["delivery"].score == pytest.approx(76.0)
    assert result.touchpoints["delivery"].n == 3
    partial = score(pd.DataFrame({"Q1": ["A", "C"]}), two_level())
    assert partial.touchpoints["store"].score == pytest.approx(200 / 3)
    assert partial.touchpoints["delivery"].score is None and partial.touchpoints["delivery"].n == 0


# --- groups --------------------------------------------------------------------------------
def test_groups_by_attribute_renormalise_per_group():
    """segment x = r2 only: S = (33.33 + 0)/2 = 16.67; P has no data, so CSI = S = 16.67
    (n 1, no MOE). segment y = r0 r1 r3: Q1 = (100 + 66.67)/2 = 83.33, Q2 = 66.67,
    S = 75; Q3 = 80, Q4 = 66.67, P = 76; CSI = 0.4·75 + 0.6·76 = 75.6;
    MOE = 1.96 · sd(72.9333, 69.8667, 90) / √3 = 12.2753."""
    result = score(four_respondents(), two_level(), by=["segment"])
    assert result.group_by == ("segment",)
    assert list(result.groups) == ["x", "y"]
    x, y = result.groups["x"], result.groups["y"]
    assert x.csi == pytest.approx(50 / 3) and x.n == 1 and x.margin_of_error is None
    assert x.nodes["P"].score is None and x.nodes["P"].n == 0
    assert y.csi == pytest.approx(75.6) and y.n == 3
    assert y.nodes["S"].score == pytest.approx(75.0) and y.nodes["Q2"].n == 2
    assert y.margin_of_error == pytest.approx(12.275250716, abs=1e-8)
    assert y.margin_of_error == pytest.approx(1.96 * statistics.stdev([R[0], R[1], R[3]]) / math.sqrt(3))
    assert y.nodes["T"].score is None and y.nodes["T"].n == 2
    # The overall result is unchanged by grouping.
    assert result.csi == pytest.approx(score(four_respondents(), two_level()).csi)


def test_groups_by_month_quarter_and_year():
    """Dates 2026-01-15, 02-03, 03-30, 04-01 (+ one undated, r4 answering Q1 = B).
    Quarter 2026Q1 = r0 r1 r2: Q1 = 66.67, Q2 = 44.44, S = 55.56; Q3 = (80+60)/2 = 70,
    Q4 = (33.33+100)/2 = 66.67, P = 0.7·70 + 0.3·66.67 = 69; CSI = 0.4·55.56 + 0.6·69
    = 22.22 + 41.4 = 63.6222. 2026Q2 = r3 alone: 90. Undated → "(missing)": Q1 B = 66.67."""
    frame = pd.concat(
        [four_respondents(), pd.DataFrame({"segment": ["y"], "collected_at": [NA], "Q1": ["B"]})],
        ignore_index=True,
    )
    months = score(frame, two_level(), by=["period"], period="month")
    assert list(months.groups) == ["2026-01", "2026-02", "2026-03", "2026-04", "(missing)"]
    assert months.groups["2026-01"].csi == pytest.approx(R[0])
    assert months.groups["2026-04"].csi == pytest.approx(90.0)
    assert months.groups["(missing)"].csi == pytest.approx(200 / 3)
    assert months.groups["(missing)"].key == (None,)
    quarters = score(frame, two_level(), by=["period"], period="quarter")
    assert list(quarters.groups) == ["2026Q1", "2026Q2", "(missing)"]
    assert quarters.groups["2026Q1"].csi == pytest.approx(63.622222222, abs=1e-8)
    assert quarters.groups["2026Q1"].n == 3
    years = score(frame, two_level(), by="period", period="year")
    assert list(years.groups) == ["2026", "(missing)"]
    assert years.groups["2026"].csi == pytest.approx(67.822222222, abs=1e-8)  # = the 4 respondents


def test_groups_by_two_keys_are_labelled_and_sorted():
    result = score(four_respondents(), two_level(), by=["segment", "period"], period="quarter")
    assert list(result.groups) == ["x | 2026Q1", "y | 2026Q1", "y | 2026Q2"]
    assert result.groups["y | 2026Q2"].key == ("y", "2026Q2")
    assert result.groups["y | 2026Q2"].csi == pytest.approx(90.0)
    # r0 and r1 together, from their question means: Q1 (100 + 66.67)/2 = 83.33, Q2 66.67
    # → S 75; Q3 (80 + 60)/2 = 70, Q4 (33.33 + 100)/2 = 66.67 → P 69; 0.4·75 + 0.6·69 = 71.4
    assert result.groups["y | 2026Q1"].csi == pytest.approx(71.4)


def test_missing_group_values_are_their_own_group():
    frame = four_respondents().assign(segment=["y", NA, "x", np.nan])
    result = score(frame, two_level(), by=["segment"])
    assert list(result.groups) == ["x", "y", "(missing)"]
    assert result.groups["(missing)"].n == 2  # r1 and r3
    assert result.groups["(missing)"].key == (None,)


def test_dates_with_time_zones_keep_their_wall_time():
    frame = pd.DataFrame(
        {"collected_at": ["2026-03-31T23:30:00+08:00", "2026-04-01T00:10:00+08:00"], "Q1": ["A", "D"]}
    )
    result = score(frame, two_level(), by=["period"], period="month")
    assert list(result.groups) == ["2026-03", "2026-04"]


def test_dates_in_mixed_formats_and_offsets():
    """Mixed spellings are all read; several UTC offsets cannot share a wall clock, so they
    are converted to UTC: 2026-04-01 05:00 +08:00 is 2026-03-31 21:00 UTC (March)."""
    spelled = pd.DataFrame({"collected_at": ["2026-01-31", "2026-02-01T10:00:00"], "Q1": ["A", "D"]})
    assert list(score(spelled, two_level(), by=["period"], period="month").groups) == ["2026-01", "2026-02"]
    offsets = pd.DataFrame(
        {"collected_at": ["2026-04-01T05:00:00+08:00", "2026-04-01T05:00:00+01:00"], "Q1": ["A", "D"]}
    )
    result = score(offsets, two_level(), by=["period"], period="month")
    assert {label: g.n for label, g in result.groups.items()} == {"2026-03": 1, "2026-04": 1}


# --- refusals -------------------------------------------------------------------------------
def test_unknown_group_by_column_names_it_and_lists_the_available_ones():
    with pytest.raises(ScoringInputError) as info:
        score(four_respondents(), two_level(), by=["region"])
    message = str(info.value)
    assert "'region'" in message
    assert "segment" in message and "period" in message
    assert "Q1" not in message  # answers are not grouping keys
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "by, period, fragment",
    [
        (["period"], None, "needs period"),
        (["period"], "week", "unknown period"),
        (["segment"], "month", "not in by"),
        (["segment", "segment"], None, "more than once"),
    ],
)
def test_bad_period_requests_are_refused(by, period, fragment):
    with pytest.raises(ScoringInputError, match=fragment):
        score(four_respondents(), two_level(), by=by, period=period)


def test_dates_that_are_not_dates_are_refused():
    frame = four_respondents().assign(collected_at=["2026-01-01", "soon", NA, "2026-02-01"])
    with pytest.raises(ScoringInputError, match="row 1"):
        score(frame, two_level(), by=["period"], period="month")


def test_invalid_answers_raise_with_row_and_field():
    frame = four_respondents()
    frame.loc[1, "Q4"] = "Z"
    frame.loc[3, "Q3"] = 11
    with pytest.raises(AnswerValidationError) as info:
        score(frame, two_level())
    errors = info.value.errors
    assert [(e.row, e.field, e.value) for e in errors] == [(1, "Q4", "Z"), (3, "Q3", "11")]
    assert errors[0].reason == "unknown option 'Z' for scale sat4 (expected one of A, B, C, D or their labels)"
    assert errors[1].reason == "value 11 is outside the scale 0..10"
    assert info.value.total == 2


def test_canonical_input_accepts_codes_only():
    frame = pd.DataFrame({"Q1": ["Satisfied", "A"]})
    assert score(frame, two_level()).csi == pytest.approx(100.0)  # uploads may use labels
    with pytest.raises(AnswerValidationError) as info:
        score(frame, two_level(), canonical=True)
    error = info.value.errors[0]
    assert (error.row, error.field, error.value) == (0, "Q1", "Satisfied")
    assert error.reason == (
        "unknown option 'Satisfied' for scale sat4 (expected one of A, B, C, D; canonical answers are option codes)"
    )


# --- empty input and JSON output ------------------------------------------------------------
def test_empty_input():
    empty = pd.DataFrame({"segment": pd.Series([], dtype=object), "Q1": pd.Series([], dtype=object)})
    result = score(empty, two_level())
    assert (result.n, result.csi, result.margin_of_error) == (0, None, None)
    assert all(node.score is None and node.n == 0 for node in result.nodes.values())
    assert dict(result.nodes["Q1"].distribution) == {"A": 0, "B": 0, "C": 0, "D": 0}
    assert result.nodes["Q1"].satisfaction_rate is None
    grouped = score(empty, two_level(), by=["segment"])
    assert grouped.groups == {} and grouped.to_dict()["groups"] == {}
    assert score(pd.DataFrame(), two_level()).to_dict()["csi"] is None


def test_to_dict_shape_and_rounding():
    """Margins by hand (1.96 × sd(ddof 1) / √n):

    * S: respondent S-indices r1 (100 + 66.67)/2 = 83.33, r2 66.67, r3 (33.33 + 0)/2 = 16.67,
      mean 55.56, deviations 27.78, 11.11, −38.89, Σd² = 2407.4, sd = √1203.7 = 34.69,
      margin 1.96 × 34.69 / √3 = 39.2604; the touchpoint store has the same indices;
    * Q1: answers 100, 66.67, 33.33, sd 33.33, margin 1.96 × 33.333 / 1.73205 = 37.7202; its
      satisfaction rate 2/3, margin 1.96 × √(2/27) = 1.96 × 0.27217 = 0.5334;
    * delivery (Q3 0.42, Q4 0.18): r1 (0.42·80 + 0.18·33.33)/0.6 = 66, r2 (25.2 + 18)/0.6 = 72,
      r4 (42 + 12)/0.6 = 90; mean 76, Σd² = 100 + 16 + 196 = 312, sd = √156 = 12.49,
      margin 1.96 × 12.49 / 1.73205 = 14.1338; P within group y has the same indices; Q1 in y:
      100 and 66.67, sd 23.57, margin 1.96 × 23.57 / √2 = 32.6667, rate 2/2 with margin 0.
    """
    out = score(four_respondents(), two_level(), by=["segment"]).to_dict()
    assert out["indicator_set"] == "two_level"
    assert out["csi"] == 67.8222 and out["n"] == 4 and out["margin_of_error"] == 31.0934
    assert out["low_n"] is True and out["min_n"] == 30
    assert out["nodes"]["S"] == {"score": 55.5556, "n": 3, "margin_of_error": 39.2604, "low_n": True, "weight": 0.4, "parent": None, "kind": "group"}
    assert out["nodes"]["Q1"] == {
        "score": 66.6667,
        "n": 3,
        "margin_of_error": 37.7202,
        "low_n": True,
        "weight": 0.5,
        "parent": "S",
        "kind": "question",
        "satisfaction_rate": 0.6667,
        "satisfaction_rate_margin_of_error": 0.5334,
        "distribution": {"A": 1, "B": 1, "C": 1, "D": 0},
    }
    assert "nps" not in out["nodes"]["Q1"]
    assert out["nodes"]["T"] == {
        "score": None, "n": 2, "margin_of_error": None, "low_n": True, "weight": 0.0, "parent": "P", "kind": "question",
        "satisfaction_rate": None, "satisfaction_rate_margin_of_error": None, "distribution": None,
    }
    assert out["touchpoints"] == {
        "store": {"score": 55.5556, "n": 3, "margin_of_error": 39.2604, "low_n": True},
        "delivery": {"score": 76.0, "n": 3, "margin_of_error": 14.1338, "low_n": True},
    }
    assert out["group_by"] == ["segment"]
    assert out["groups"]["x"]["csi"] == 16.6667 and out["groups"]["x"]["margin_of_error"] is None
    assert out["groups"]["y"]["nodes"]["P"] == {"score": 76.0, "n": 3, "margin_of_error": 14.1338, "low_n": True}
    assert out["groups"]["y"]["nodes"]["Q1"] == {
        "score": 83.3333, "n": 2, "margin_of_error": 32.6667, "low_n": True, "satisfaction_rate": 1.0, "satisfaction_rate_margin_of_error": 0.0,
    }
    assert score(four_respondents(), two_level(), min_n=2).to_dict()["nodes"]["Q1"]["low_n"] is False
    assert "group_by" not in score(four_respondents(), two_level()).to_dict()
