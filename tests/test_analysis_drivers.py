"""Known-answer tests of the driver analysis: importances against published results.

* Relative weights (Johnson 2000) on R's ``mtcars``, mpg ~ cyl + disp + hp + wt: the rwa
  package's "Regression methods" vignette (Martin Chan, rwa for R) prints
  Raw.RelWeight cyl 0.2096904, disp 0.1883043, hp 0.1799590, wt 0.2706812 (R² 0.8486).
* Shapley values = general dominance on R's ``attitude``, rating ~ all six: the R package
  dominanceanalysis README (Bustos Navarrete) prints the average contributions complaints
  0.371, learning 0.156, raises 0.120, privileges 0.051, advance 0.028, critical 0.007,
  and the full model's fit 0.733.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analysis import AnalysisInputError
from core.analysis.drivers import drivers
from core.analysis.importance import relative_weights
from core.analysis.ipa import quadrants
from core.analysis.shapley import exact, sampled

REF = Path(__file__).resolve().parent / "data" / "reference"
MTCARS = pd.read_csv(REF / "mtcars.csv")
ATTITUDE = pd.read_csv(REF / "attitude.csv")
ATT_DRIVERS = ["complaints", "privileges", "learning", "raises", "critical", "advance"]


def by_code(result: dict) -> dict:
    return {d["code"]: d for d in result["drivers"]}


def test_relative_weights_match_the_rwa_vignette_on_mtcars():
    out = drivers(MTCARS, "mpg", ["cyl", "disp", "hp", "wt"], method="relative_weights", min_n=10)
    got = {c: d["importance"] for c, d in by_code(out).items()}
    published = {"cyl": 0.2096904, "disp": 0.1883043, "hp": 0.1799590, "wt": 0.2706812}
    for code, value in published.items():
        assert got[code] == pytest.approx(value, abs=5e-8)
    assert out["r2"] == pytest.approx(0.8486348, abs=5e-8)
    assert sum(got.values()) == pytest.approx(out["r2"], abs=1e-12)
    # rescaled weights (the vignette's Rescaled.RelWeight, %): wt 31.89607, cyl 24.70914
    assert by_code(out)["wt"]["share"] * 100 == pytest.approx(31.89607, abs=5e-6)
    assert by_code(out)["cyl"]["share"] * 100 == pytest.approx(24.70914, abs=5e-6)
    assert out["method"] == "relative_weights" and out["analysis"] == "drivers" and out["n"] == 32


def test_shapley_equals_general_dominance_of_dominanceanalysis_on_attitude():
    out = drivers(ATTITUDE, "rating", ATT_DRIVERS, method="shapley", min_n=10)
    got = {c: d["importance"] for c, d in by_code(out).items()}
    published = {"complaints": 0.371, "learning": 0.156, "raises": 0.120, "privileges": 0.051, "advance": 0.028, "critical": 0.007}
    for code, value in published.items():
        assert round(got[code], 3) == value
    assert round(out["r2"], 3) == 0.733
    assert sum(got.values()) == pytest.approx(out["r2"], abs=1e-12)
    assert out["computation"] == {"shapley": "exact", "subsets": 64}


def test_shapley_by_hand_on_two_drivers():
    """Two drivers, r(x1,x2)=0.5, r(y,x1)=0.6, r(y,x2)=0.3. R²({1}) = .36, R²({2}) = .09,
    R²({1,2}) = (.36 + .09 − 2·.5·.6·.3)/(1 − .25) = .27/.75 = .36. Shapley:
    x1 = ½(.36) + ½(.36 − .09) = .315, x2 = ½(.09) + ½(.36 − .36) = .045."""
    rxx = np.array([[1, 0.5], [0.5, 1]])
    rxy = np.array([0.6, 0.3])
    assert exact(rxx, rxy) == pytest.approx([0.315, 0.045], abs=1e-12)


def test_sampled_shapley_converges_to_the_exact_values_and_sums_to_r2():
    r = ATTITUDE.corr().to_numpy()
    rxx, rxy = r[1:, 1:], r[1:, 0]
    want = exact(rxx, rxy)
    got, se = sampled(rxx, rxy, samples=20000, seed=7)
    assert got.sum() == pytest.approx(want.sum(), abs=1e-9)  # every order's gains sum to R²
    assert np.all(np.abs(got - want) <= 5 * se + 1e-9)
    again, _ = sampled(rxx, rxy, samples=20000, seed=7)
    assert np.array_equal(got, again)  # seeded


def test_many_drivers_are_sampled_not_enumerated():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 18))
    y = x @ np.linspace(1, 0.1, 18) + rng.normal(size=400)
    frame = pd.DataFrame(x, columns=[f"d{i}" for i in range(18)]).assign(y=y)
    out = drivers(frame, "y", [f"d{i}" for i in range(18)], method="shapley", samples=2000, seed=1)
    assert out["computation"]["shapley"] == "sampled" and out["computation"]["orders"] == 2000
    assert sum(d["importance"] for d in out["drivers"]) == pytest.approx(out["r2"], abs=1e-9)
    assert all(d["standard_error"] > 0 for d in out["drivers"])


def test_relative_weights_of_uncorrelated_drivers_are_their_squared_correlations():
    """With Rxx = I, Λ = I and β = rxy, so ε_j = r_j²."""
    assert relative_weights(np.eye(3), np.array([0.5, 0.3, 0.1])) == pytest.approx([0.25, 0.09, 0.01])


def test_correlation_method_shares_squared_correlations():
    out = drivers(MTCARS, "mpg", ["cyl", "disp", "hp", "wt"], method="correlation", min_n=10)
    r = MTCARS.corr()["mpg"]
    sq = r[["cyl", "disp", "hp", "wt"]] ** 2
    for code, d in by_code(out).items():
        assert d["share"] == pytest.approx(sq[code] / sq.sum(), abs=1e-12)


def test_stated_importance_is_normalised_and_placed_in_quadrants():
    out = drivers(MTCARS, "mpg", ["cyl", "hp"], method="stated", stated={"cyl": 3, "hp": 1}, min_n=10)
    assert by_code(out)["cyl"]["share"] == pytest.approx(0.75)
    assert by_code(out)["hp"]["share"] == pytest.approx(0.25)


def test_ipa_quadrants_and_priority_by_hand():
    """Shares .4 .3 .2 .1 (mean .25), scores 50 80 60 90 (mean 70): a high/low → concentrate,
    b high/high → keep up, c low/low → low priority, d low/high → overkill. Priority:
    a, b, c, d (quadrant order). With median splits the cut points are .25 and 70 too."""
    q, p, cuts = quadrants(np.array([0.4, 0.3, 0.2, 0.1]), np.array([50.0, 80, 60, 90]), "mean")
    assert q == ["concentrate_here", "keep_up", "low_priority", "possible_overkill"]
    assert p == [1, 2, 3, 4]
    assert cuts == {"split": "mean", "importance": pytest.approx(0.25), "score": pytest.approx(70.0)}
    q, _, cuts = quadrants(np.array([0.4, 0.3, 0.2, 0.1]), np.array([50.0, 80, 60, 95]), "median")
    assert cuts["score"] == pytest.approx(70.0) and q[3] == "possible_overkill"


def test_priority_within_a_quadrant_follows_improvement_potential():
    """Both high importance, low score: a .30 × (100 − 40) = 18, b .35 × (100 − 50) = 17.5."""
    q, p, _ = quadrants(np.array([0.30, 0.35, 0.2, 0.15]), np.array([40.0, 50, 90, 95]), "mean")
    assert q[:2] == ["concentrate_here", "concentrate_here"] and p[:2] == [1, 2]


def test_bootstrap_intervals_are_seeded_and_contain_the_estimate():
    kw = dict(method="relative_weights", bootstrap=200, seed=11, min_n=10)
    one = drivers(ATTITUDE, "rating", ATT_DRIVERS, **kw)
    two = drivers(ATTITUDE, "rating", ATT_DRIVERS, **kw)
    assert one == two
    for d in one["drivers"]:
        lo, hi = d["ci"]
        assert lo <= d["importance"] <= hi
    top = max(one["drivers"], key=lambda d: d["importance"])
    assert top["code"] == "complaints" and top["next"] == "learning"
    assert isinstance(top["differs_from_next"], bool)
    assert one["bootstrap"] == {"resamples": 200, "seed": 11, "interval": "95% percentile"}


def test_listwise_and_pairwise_deletion_are_reported():
    frame = ATTITUDE.copy()
    frame.loc[[0, 1, 2], "learning"] = np.nan
    frame.loc[[3, 4], "raises"] = np.nan
    listwise = drivers(frame, "rating", ATT_DRIVERS, min_n=10)
    pairwise = drivers(frame, "rating", ATT_DRIVERS, missing="pairwise", min_n=10)
    assert listwise["missing"] == "listwise" and listwise["n"] == 25
    assert pairwise["missing"] == "pairwise" and pairwise["n"] == 25  # learning & raises together
    assert by_code(listwise)["learning"]["n"] == 27  # a driver's score uses all its answers
    assert listwise["r2"] != pytest.approx(pairwise["r2"])


def test_small_samples_are_flagged_low_n():
    out = drivers(ATTITUDE, "rating", ATT_DRIVERS)  # 30 rows, min_n 30: not low
    assert out["low_n"] is False
    out = drivers(ATTITUDE.head(20), "rating", ATT_DRIVERS)
    assert out["low_n"] is True and all(d["low_n"] for d in out["drivers"])


@pytest.mark.parametrize(
    "kwargs, field, words",
    [
        ({"target": "nope", "drivers": ["cyl"]}, "target", "no such column: nope"),
        ({"target": "mpg", "drivers": ["cyl", "gear"]}, "drivers", "no such column: gear"),
        ({"target": "mpg", "drivers": ["mpg", "cyl"]}, "drivers", "cannot also be a driver"),
        ({"target": "mpg", "drivers": ["cyl"], "method": "magic"}, "method", "unknown method 'magic'"),
        ({"target": "mpg", "drivers": ["cyl"], "missing": "some"}, "missing", "unknown missing-data rule"),
        ({"target": "mpg", "drivers": ["cyl"], "split": "mode"}, "split", "unknown split point"),
        ({"target": "mpg", "drivers": ["cyl"], "bootstrap": -1}, "bootstrap", "whole number"),
        ({"target": "mpg", "drivers": ["cyl", "hp"], "method": "stated", "stated": {"cyl": 1}}, "stated", "hp"),
    ],
)
def test_bad_requests_name_the_field(kwargs, field, words):
    with pytest.raises(AnalysisInputError) as err:
        drivers(MTCARS, **kwargs)
    assert err.value.field == field and words in err.value.message


def test_constant_and_collinear_drivers_are_refused_by_name():
    frame = MTCARS.assign(flat=1.0, cyl2=MTCARS["cyl"] * 2)
    with pytest.raises(AnalysisInputError, match="flat"):
        drivers(frame, "mpg", ["cyl", "flat"])
    with pytest.raises(AnalysisInputError, match="cyl, cyl2 are perfectly collinear"):
        drivers(frame, "mpg", ["cyl", "cyl2", "hp"])
