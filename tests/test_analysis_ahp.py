"""Known-answer tests of AHP weights.

Saaty's relative consumption of drinks in the United States (Saaty 2008, "Decision making
with the analytic hierarchy process", Int. J. Services Sciences 1(1), the matrix of 30
participants' judgements): AHP weights coffee 0.177, wine 0.019, tea 0.042, beer 0.116,
soda 0.190, milk 0.129, water 0.327, and consistency ratio 0.022 (also reproduced by the
AHPy package's README with Saaty's random indices).
"""

from __future__ import annotations

import math

import pytest

from core.analysis import AnalysisInputError
from core.analysis.ahp import ahp

DRINKS = ["coffee", "wine", "tea", "beer", "soda", "milk", "water"]
JUDGEMENTS = [
    ["coffee", "wine", 9], ["coffee", "tea", 5], ["coffee", "beer", 2], ["coffee", "soda", 1], ["coffee", "milk", 1],
    ["coffee", "water", "1/2"], ["wine", "tea", "1/3"], ["wine", "beer", "1/9"], ["wine", "soda", "1/9"],
    ["wine", "milk", "1/9"], ["wine", "water", "1/9"], ["tea", "beer", "1/3"], ["tea", "soda", "1/4"],
    ["tea", "milk", "1/3"], ["tea", "water", "1/9"], ["beer", "soda", "1/2"], ["beer", "milk", 1],
    ["beer", "water", "1/3"], ["soda", "milk", 2], ["soda", "water", "1/2"], ["milk", "water", "1/3"],
]


def test_saaty_drinks_example():
    out = ahp(DRINKS, JUDGEMENTS)
    published = {"coffee": 0.177, "wine": 0.019, "tea": 0.042, "beer": 0.116, "soda": 0.190, "milk": 0.129, "water": 0.327}
    assert {k: round(v, 3) for k, v in out["weights"].items()} == published
    assert round(out["cr"], 3) == 0.022
    assert out["ri"] == 1.32 and out["consistent"] is True
    assert out["ci"] == pytest.approx((out["lambda_max"] - 7) / 6)
    assert out["analysis"] == "ahp" and out["method"] == "principal_eigenvector"


def test_a_consistent_matrix_by_hand():
    """a = 2b, b = 2c, a = 4c: weights 4/7, 2/7, 1/7, λmax = 3, CI = CR = 0."""
    out = ahp(["a", "b", "c"], [["a", "b", 2], ["b", "c", 2], ["a", "c", 4]])
    assert out["weights"] == {"a": pytest.approx(4 / 7), "b": pytest.approx(2 / 7), "c": pytest.approx(1 / 7)}
    assert out["lambda_max"] == pytest.approx(3) and out["cr"] == pytest.approx(0, abs=1e-12)


def test_the_most_inconsistent_judgement_is_named():
    """a = 2b, b = 2c, c = 2d (and a = 4c, b = 4d) agree with each other; "d is 8 times as
    important as a" contradicts them (they imply a = 8d): that judgement is named."""
    judgements = [["a", "b", 2], ["b", "c", 2], ["c", "d", 2], ["a", "c", 4], ["b", "d", 4], ["d", "a", 8]]
    out = ahp(["a", "b", "c", "d"], judgements)
    assert out["consistent"] is False and out["cr"] > 0.1
    assert out["most_inconsistent"]["pair"] == ["a", "d"] and out["most_inconsistent"]["judged"] == pytest.approx(1 / 8)


def test_experts_combine_by_the_geometric_mean():
    """Two experts: a/b = 2 and 8 → √16 = 4, so a = 4/5, b = 1/5."""
    out = ahp(["a", "b"], experts=[[["a", "b", 2]], [["a", "b", 8]]])
    assert out["weights"]["a"] == pytest.approx(0.8) and out["experts"] == 2
    assert out["cr"] == 0


@pytest.mark.parametrize(
    "criteria, judgements, field, words",
    [
        (["a", "b", "c"], [["a", "b", 2], ["b", "c", 2]], "judgements", "pairs not judged: a/c"),
        (["a", "b"], [["a", "x", 2]], "judgements.0", "unknown criterion 'x'"),
        (["a", "b"], [["a", "b", 12]], "judgements.0", "outside Saaty's scale"),
        (["a", "b"], [["a", "b", "one/3"]], "judgements.0", "not a number or a fraction"),
        (["a", "b"], [["a", "b", 2], ["b", "a", 3]], "judgements.1", "already compared in judgement 0"),
        (["a", "b"], [["a", "a", 2]], "judgements.0", "not compared with itself"),
        (["a"], [], "criteria", "at least two"),
        (["a", "b"], [["a", "b"]], "judgements.0", "a judgement is [a, b"),
    ],
)
def test_bad_judgements_name_the_judgement(criteria, judgements, field, words):
    with pytest.raises(AnalysisInputError) as err:
        ahp(criteria, judgements)
    assert err.value.field == field and words in err.value.message


def test_weights_sum_to_one():
    assert math.fsum(ahp(DRINKS, JUDGEMENTS)["weights"].values()) == pytest.approx(1.0)
