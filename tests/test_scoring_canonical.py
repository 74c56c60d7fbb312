"""canonicalise: every accepted spelling becomes one canonical answer; the rest is located."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.model import Indicator, IndicatorSet, Scale, ScaleOption
from core.model.standard_scales import SAT4
from core.scoring import AnswerError, canonicalise, score

NA = None


def questionnaire() -> IndicatorSet:
    """Q sat4 (A..D), K five-point coded 1..5, N numeric 0..10, P nps, T open text."""
    five = Scale("five", "ordinal", tuple(ScaleOption(str(i), i, f"level {i}") for i in range(1, 6)))
    scales = {
        "sat4": SAT4,
        "five": five,
        "ten": Scale("ten", "numeric", min=0, max=10),
        "nps": Scale("nps", "nps"),
        "open": Scale("open", "text"),
    }
    return IndicatorSet(
        "canon",
        (
            Indicator("Q", 0.25, scale="sat4"),
            Indicator("K", 0.25, scale="five"),
            Indicator("N", 0.25, scale="ten"),
            Indicator("P", 0.25, scale="nps"),
            Indicator("T", 0.0, scale="open"),
        ),
        scales,
    )


def test_every_spelling_of_an_option_becomes_its_code():
    raw = pd.DataFrame(
        {"Q": ["A", "b", " Satisfied ", "FAIRLY DISSATISFIED", "不满意", "比较满意", "", "   ", NA, np.nan]}
    )
    canon, errors = canonicalise(raw, questionnaire())
    assert errors == []
    assert canon["Q"].tolist()[:6] == ["A", "B", "A", "C", "D", "B"]
    assert canon["Q"].iloc[6:].isna().all()  # "", whitespace, None, NaN = not answered


def test_numbers_read_from_a_spreadsheet_match_numeric_option_codes():
    """K is coded "1".."5"; a column read as floats (2.0, NaN) still means option "2"."""
    canon, errors = canonicalise(pd.DataFrame({"K": [2.0, np.nan, 5, "3", " 4 "]}), questionnaire())
    assert errors == []
    assert canon["K"].iloc[[0, 2, 3, 4]].tolist() == ["2", "5", "3", "4"]
    assert pd.isna(canon["K"].iloc[1])


def test_numbers_and_text():
    raw = pd.DataFrame(
        {
            "N": ["7", " 7.5 ", 0, 10.0, "", NA],
            "P": [9, "10", "0", 6.0, NA, "  "],
            "T": ["  great  ", "", "   ", NA, 42, "ok"],
        }
    )
    canon, errors = canonicalise(raw, questionnaire())
    assert errors == []
    np.testing.assert_array_equal(canon["N"].to_numpy(), [7.0, 7.5, 0.0, 10.0, np.nan, np.nan])
    np.testing.assert_array_equal(canon["P"].to_numpy(), [9.0, 10.0, 0.0, 6.0, np.nan, np.nan])
    assert canon["N"].dtype == np.float64 and canon["P"].dtype == np.float64
    assert canon["T"].iloc[0] == "great" and canon["T"].iloc[4] == "42" and canon["T"].iloc[5] == "ok"
    assert canon["T"].iloc[1:4].isna().all()


def test_keeps_the_index_drops_other_columns_and_uses_questionnaire_order():
    raw = pd.DataFrame({"note": ["x", "y"], "N": [1, 2], "Q": ["A", "B"]}, index=[10, 20])
    canon, _ = canonicalise(raw, questionnaire())
    assert list(canon.columns) == ["Q", "N"]
    assert list(canon.index) == [10, 20]


def test_errors_are_located_by_position_and_question():
    """Rows are positions (0-based) whatever the index; errors come in row, then
    questionnaire, order; the bad cell is left blank in the canonical frame."""
    raw = pd.DataFrame(
        {
            "Q": ["A", "Z", "B", "A"],
            "N": [5, "x", 11, -1],
            "P": [9, 7.5, 10, 12],
        },
        index=[100, 101, 102, 103],
    )
    canon, errors = canonicalise(raw, questionnaire())
    assert errors == [
        AnswerError(1, "Q", "Z", "unknown option 'Z' for scale sat4 (expected one of A, B, C, D or their labels)"),
        AnswerError(1, "N", "x", "'x' is not a number (scale ten expects 0..10)"),
        AnswerError(1, "P", "7.5", "value 7.5 is not a whole number (nps answers are whole numbers 0..10)"),
        AnswerError(2, "N", "11", "value 11 is outside the scale 0..10"),
        AnswerError(3, "N", "-1", "value -1 is outside the scale 0..10"),
        AnswerError(3, "P", "12", "value 12 is outside the scale 0..10"),
    ]
    assert errors.total == 6 and not errors.truncated
    assert pd.isna(canon.loc[101, "Q"]) and pd.isna(canon.loc[102, "N"]) and canon.loc[100, "N"] == 5.0


def test_error_list_is_capped_but_the_total_is_counted():
    raw = pd.DataFrame({"Q": ["Z"] * 2500, "N": [99] * 2500})
    _, errors = canonicalise(raw, questionnaire())
    assert len(errors) == 1000 and errors.total == 5000 and errors.truncated
    assert (errors[0].row, errors[0].field, errors[1].row, errors[1].field) == (0, "Q", 0, "N")
    _, few = canonicalise(raw, questionnaire(), max_errors=3)
    assert [(e.row, e.field) for e in few] == [(0, "Q"), (0, "N"), (1, "Q")] and few.total == 5000


def test_categorical_columns_are_resolved_per_category():
    raw = pd.DataFrame({"Q": pd.Categorical(["Satisfied", "D", NA, "nope", "D"])})
    canon, errors = canonicalise(raw, questionnaire())
    assert canon["Q"].tolist()[:2] == ["A", "D"] and canon["Q"].iloc[4] == "D"
    assert [(e.row, e.field, e.value) for e in errors] == [(3, "Q", "nope")]


def test_canonical_output_scores_like_the_raw_upload():
    """Canonicalising first and scoring the canonical frame gives the same CSI.
    Q: Satisfied (100), C (33.33) → 66.67; N: "5" → 50; P: 8 → 80; K absent.
    Root weights 0.25 each over Q, N, P (K has no data): (66.67 + 50 + 80)/3 = 65.56."""
    raw = pd.DataFrame({"Q": ["Satisfied", "c"], "N": ["5", NA], "P": [NA, 8], "T": ["hi", NA]})
    canon, errors = canonicalise(raw, questionnaire())
    assert errors == []
    expected = (200 / 3 + 50 + 80) / 3
    assert score(raw, questionnaire()).csi == pytest.approx(expected)
    assert score(canon, questionnaire(), canonical=True).csi == pytest.approx(expected)
