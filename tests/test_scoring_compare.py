"""Margins of every score and period-over-period tests, worked by hand and against scipy.

The small tree: Q (0..10, weight 1), S (sat4, weight 0: A and B satisfied) and R (NPS,
weight 0), so the CSI is Q's score alone and S and R carry the rate and the NPS.

January: Q 6, 8 (scores 60, 80), S A, C (1 of 2 satisfied), R 10, 3 (1 promoter, 1 detractor)
February: Q 7, 9, 8 (70, 90, 80), S A, B, D (2 of 3), R 9, 9, 7 (2 promoters, 1 passive)

* CSI February − January: 80 − 70 = 10. Variances (ddof 1): Feb (−10, 10, 0) → 200/2 = 100,
  Jan (±10) → 200/1 = 200. se² = 100/3 + 200/2 = 133.33, se = 11.547, t = 10 / 11.547 =
  0.8660; Welch–Satterthwaite df = 133.33² / ((33.33)²/2 + 100²/1) = 17777.8 / 10555.6 =
  1.6842; p = 2·P(T₁.₆₈ > 0.866) = 0.4921; margin t₀.₉₇₅(1.6842) × 11.547 = 59.770.
* Satisfaction rate 2/3 − 1/2 = 0.1667; pooled p = 3/5, se₀ = √(0.6·0.4·(1/3 + 1/2)) =
  √0.2 = 0.4472, z = 0.3727, p = 2(1 − Φ(0.3727)) = 0.7094; margin
  1.96·√((2/3)(1/3)/3 + (1/2)(1/2)/2) = 1.96 × 0.44617 = 0.8745.
* NPS 66.67 − 0 = 66.67; per-respondent variances Feb (2/3)(1/3) = 0.2222, Jan
  0.25 + 0.25 + 2·0.25 = 1; se = 100·√(0.2222/3 + 1/2) = 75.768, z = 0.8799,
  p = 0.3789; margin 1.96 × 75.768 = 148.505.
* Margins of the February scores: Q sd 10 → 1.96 × 10 / √3 = 11.3161; rate 2/3 →
  1.96·√((2/9)/3) = 0.5334; NPS var 0.2222 → 196 × √(0.07407) = 196 × 0.27217 = 53.3444.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.model import Indicator, IndicatorSet, Scale
from core.model.standard_scales import SAT4
from core.scoring import ScoringInputError, score

SCALES = {"sat4": SAT4, "ten": Scale("ten", "numeric", min=0, max=10), "nps": Scale("nps", "nps")}


def small() -> IndicatorSet:
    return IndicatorSet(
        "small",
        (Indicator("Q", 1.0, scale="ten"), Indicator("S", 0.0, scale="sat4"), Indicator("R", 0.0, scale="nps")),
        SCALES,
    )


def months() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "collected_at": ["2026-01-05", "2026-01-20", "2026-02-02", "2026-02-10", "2026-02-27"],
            "Q": [6, 8, 7, 9, 8],
            "S": ["A", "C", "A", "B", "D"],
            "R": [10, 3, 9, 9, 7],
        }
    )


def test_period_over_period_worked_by_hand():
    out = score(months(), small(), by=["period"], period="month", compare="previous", min_n=3).to_dict()
    assert out["compare"] == "previous"
    jan, feb = out["groups"]["2026-01"], out["groups"]["2026-02"]
    assert "compare" not in jan and jan["low_n"] is True and feb["low_n"] is False
    c = feb["compare"]
    assert c["with"] == "2026-01"
    assert c["csi"] == {
        "test": "welch_t", "difference": 10.0, "margin_of_error": 59.77, "t": 0.866, "df": 1.6842,
        "p_value": 0.4921, "significant": False, "n": [3, 2], "low_n": True,
    }
    rate = c["nodes"]["S"]["satisfaction_rate"]
    assert (rate["difference"], rate["z"], rate["p_value"], rate["margin_of_error"]) == (0.1667, 0.3727, 0.7094, 0.8745)
    nps = c["nodes"]["R"]["nps"]
    assert (nps["difference"], nps["z"], nps["p_value"], nps["margin_of_error"]) == (66.6667, 0.8799, 0.3789, 148.5046)
    assert c["nodes"]["Q"]["score"] == c["csi"]  # the CSI is Q alone
    q = feb["nodes"]
    assert q["Q"]["margin_of_error"] == 11.3161
    assert (q["S"]["satisfaction_rate"], q["S"]["satisfaction_rate_margin_of_error"]) == (0.6667, 0.5334)
    assert (q["R"]["nps"], q["R"]["nps_margin_of_error"]) == (66.6667, 53.3444)
    named = score(months(), small(), by=["period"], period="month", compare="2026-01").to_dict()
    assert named["groups"]["2026-02"]["compare"] == c | {"csi": c["csi"] | {"low_n": True}} and "compare" not in named["groups"]["2026-01"]


def test_welch_agrees_with_scipy_on_respondent_indices():
    """Complete answers: each respondent's index is Σ global weight × normalised answer,
    and each group's test is scipy's ttest_ind(equal_var=False) on those indices."""
    rng = np.random.default_rng(7)
    n = 400
    iset = IndicatorSet(
        "two",
        (
            Indicator("A", 0.6, children=(Indicator("a1", 0.5, scale="ten"), Indicator("a2", 0.5, scale="sat4"))),
            Indicator("B", 0.4, children=(Indicator("b1", 1.0, scale="ten"),)),
        ),
        SCALES,
    )
    frame = pd.DataFrame(
        {
            "segment": rng.choice(["x", "y"], n),
            "collected_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D"),
            "a1": rng.integers(0, 11, n),
            "a2": rng.choice(list("ABCD"), n),
            "b1": rng.integers(0, 11, n),
        }
    )
    lut = {"A": 100.0, "B": 200 / 3, "C": 100 / 3, "D": 0.0}
    index = 0.3 * frame["a1"] * 10 + 0.3 * frame["a2"].map(lut) + 0.4 * frame["b1"] * 10
    result = score(frame, iset, by=["segment", "period"], period="month", compare="previous")
    checked = 0
    for group in result.groups.values():
        if group.compare is None:
            continue
        other = result.groups[group.compare["with"]]
        mine = index[_rows(frame, group.key)]
        theirs = index[_rows(frame, other.key)]
        expected = stats.ttest_ind(mine, theirs, equal_var=False)
        got = group.compare["csi"]
        assert got["t"] == pytest.approx(expected.statistic, rel=1e-9)
        assert got["p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
        assert got["df"] == pytest.approx(expected.df, rel=1e-9)
        assert got["difference"] == pytest.approx(mine.mean() - theirs.mean(), abs=1e-9)
        assert group.margin_of_error == pytest.approx(1.96 * mine.std(ddof=1) / np.sqrt(len(mine)), rel=1e-9)
        checked += 1
    assert checked == 6  # two segments × months 2..4 compared with the month before


def _rows(frame: pd.DataFrame, key: tuple) -> np.ndarray:
    segment, month = key
    return ((frame["segment"] == segment) & (frame["collected_at"].dt.strftime("%Y-%m") == month)).to_numpy()


def test_margins_with_blanks_equal_numpy_on_each_respondents_own_index():
    """With skipped questions a respondent's index renormalises over what they answered;
    scoring each respondent alone gives that index, and the margins are numpy's."""
    rng = np.random.default_rng(3)
    n = 60
    iset = IndicatorSet(
        "two",
        (
            Indicator("A", 0.6, children=(Indicator("a1", 0.5, scale="ten", touchpoint="web"), Indicator("a2", 0.5, scale="sat4", touchpoint="web"))),
            Indicator("B", 0.4, children=(Indicator("b1", 1.0, scale="ten"),)),
        ),
        SCALES,
    )
    frame = pd.DataFrame({"a1": rng.integers(0, 11, n).astype(float), "a2": rng.choice(list("ABCD"), n).astype(object), "b1": rng.integers(0, 11, n).astype(float)})
    frame.loc[rng.random(n) < 0.3, "a1"] = np.nan
    frame.loc[rng.random(n) < 0.3, "a2"] = None
    frame.loc[rng.random(n) < 0.3, "b1"] = np.nan
    result = score(frame, iset)
    alone = [score(frame.iloc[[i]], iset) for i in range(n)]
    for code, value_of in (("csi", lambda r: r.csi), ("A", lambda r: r.nodes["A"].score), ("web", lambda r: r.touchpoints["web"].score)):
        values = np.array([np.nan if value_of(r) is None else value_of(r) for r in alone])
        values = values[~np.isnan(values)]
        moe = result.margin_of_error if code == "csi" else result.nodes[code].margin_of_error if code == "A" else result.touchpoints[code].margin_of_error
        assert moe == pytest.approx(1.96 * values.std(ddof=1) / np.sqrt(len(values)), rel=1e-9), code


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(compare="previous"), "compare needs `period` among the breakdown keys (by=period)"),
        (dict(by=["period"], period="month", compare="2026Q1"), "compare must be `previous` or a month label such as 2026-03, not '2026Q1'"),
        (dict(by=["period"], period="quarter", compare="2026-13"), "compare must be `previous` or a quarter label such as 2026Q1"),
        (dict(by=["period"], period="year", compare="last"), "compare must be `previous` or a year label such as 2026"),
    ],
)
def test_a_bad_compare_is_refused_naming_compare(kw, message):
    with pytest.raises(ScoringInputError) as info:
        score(months(), small(), **kw)
    assert info.value.field == "compare" and message in str(info.value)


def test_a_named_period_without_responses_compares_nothing():
    out = score(months(), small(), by=["period"], period="month", compare="2025-12").to_dict()
    assert out["compare"] == "2025-12" and all("compare" not in g for g in out["groups"].values())
