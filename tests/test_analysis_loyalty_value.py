"""Known-answer tests of the loyalty matrix, tiers, transactional loyalty and customer value
(every figure worked by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.analysis import AnalysisInputError
from core.analysis.customer_value import customer_value
from core.analysis.loyalty import loyalty_composite, loyalty_matrix, tiers, transactional_loyalty


def test_matrix_cells_by_hand():
    """Thresholds 75/75: (90,80) apostle, (80,40) mercenary, (75,75) apostle (at the cut is
    high), (30,90) hostage, (20,10) destroyer, (NaN,50) not counted."""
    sat = pd.Series([90, 80, 75, 30, 20, np.nan])
    loy = pd.Series([80, 40, 75, 90, 10, 50])
    out = loyalty_matrix(sat, loy, segments=pd.Series(["n", "n", "s", "s", "s", "s"]), min_n=1)
    assert out["n"] == 5
    assert {c: v["count"] for c, v in out["cells"].items()} == {"apostle": 2, "mercenary": 1, "hostage": 1, "destroyer": 1}
    assert out["cells"]["apostle"]["share"] == pytest.approx(0.4)
    assert out["segments"]["s"]["cells"]["hostage"]["count"] == 1 and out["segments"]["n"]["n"] == 2
    assert out["analysis"] == "loyalty_matrix"


def test_tiers_by_hand():
    """4 answers of 'sat' 100 75 50 0 → 2 satisfied: rate 0.5, MOE 1.96·√(.25/4) = 0.49."""
    scores = pd.DataFrame({"sat": [100, 75, 50, 0.0], "again": [100, 100, 100, np.nan]})
    out = tiers(scores, {"satisfied": "sat", "buy_again": "again"}, min_n=30)
    assert out["tiers"]["satisfied"]["rate"] == 0.5 and out["tiers"]["satisfied"]["margin_of_error"] == pytest.approx(0.49)
    assert out["tiers"]["buy_again"]["rate"] == 1.0 and out["tiers"]["buy_again"]["n"] == 3
    assert out["tiers"]["satisfied"]["low_n"] is True
    with pytest.raises(AnalysisInputError) as err:
        tiers(scores, {"delighted": "sat"})
    assert err.value.field == "tiers.delighted"


def test_transactional_loyalty_by_hand():
    """As of 2026-03-01. a: 3 purchases (Jan 1, Feb 1, Feb 25; 100 each), b: 1 (Feb 20, 50),
    c: 2 (Jan 10, Jan 20; 20 each). Recency days a 4, b 9, c 40 → scores 100, 50, 0;
    frequency 3, 1, 2 → 100, 0, 50; lifetime 59, 9, 50 → 100, 0, 50. Share of wallet
    a 300/600 .5, b 50/50 1, c 40/400 .1 → 50, 100, 0. Equal weights: a 87.5, b 37.5, c 25."""
    purchases = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "c", "c"],
        "purchased_at": ["2026-01-01", "2026-02-01", "2026-02-25", "2026-02-20", "2026-01-10", "2026-01-20"],
        "amount": [100, 100, 100, 50, 20, 20],
    })
    out = transactional_loyalty(purchases, "2026-03-01", category_spend=pd.Series({"a": 600, "b": 50, "c": 400}))
    assert out["recency_days"].tolist() == [4, 9, 40]
    assert out["recency_score"].tolist() == [100, 50, 0]
    assert out["share_of_wallet"].tolist() == pytest.approx([0.5, 1.0, 0.1])
    assert out["transactional"].tolist() == pytest.approx([87.5, 37.5, 25.0])
    # without category spend, share of wallet is left out and the weights renormalise
    out = transactional_loyalty(purchases, "2026-03-01")
    assert out["transactional"].tolist() == pytest.approx([100.0, 50 / 3, 100 / 3])
    with pytest.raises(AnalysisInputError) as err:
        transactional_loyalty(purchases, "2026-03-01", weights={"monetary": 1})
    assert err.value.field == "weights.monetary"


def test_loyalty_composite_renormalises_over_present_parts():
    out = loyalty_composite(pd.Series([80.0, np.nan]), pd.Series([60.0, 40.0]), {"transactional": 3, "emotional": 1})
    assert out.tolist() == pytest.approx([75.0, 40.0])


def test_customer_value_by_hand():
    """Revenue a 500, b 300, c 100, d 60, e 40 (total 1000): cumulative 0.5, 0.8, 0.9, 0.96,
    1.0 → A a b, B c, C d e. Top 20 % = 1 customer = 0.5 of revenue. Revenue scores
    100 75 50 25 0; with 'credit' 0 0 100 100 100 and equal weights the values are
    50 37.5 75 62.5 50 → ranked c, d, a, e, b (ties by revenue order)."""
    revenue = pd.Series({"a": 500, "b": 300, "c": 100, "d": 60, "e": 40})
    credit = pd.DataFrame({"credit": [0, 0, 100, 100, 100]}, index=list("abcde"))
    out = customer_value(revenue, credit)
    assert out["classes"]["A"] == {"customers": 2, "revenue_share": pytest.approx(0.8)}
    assert out["classes"]["B"]["customers"] == 1 and out["classes"]["C"]["customers"] == 2
    assert out["top_20_percent"] == {"customers": 1, "revenue_share": pytest.approx(0.5)}
    assert [r["customer_id"] for r in out["ranked"]] == ["c", "d", "a", "e", "b"]
    assert out["ranked"][0]["value"] == pytest.approx(75.0) and out["ranked"][0]["class"] == "B"
    assert out["ranked"][0]["components"] == {"credit": 100.0, "revenue": 50.0}
    top = customer_value(revenue, top_n=2)
    assert [r["class"] for r in top["ranked"]] == ["A", "A", None, None, None]


def test_customer_value_errors_name_the_field():
    revenue = pd.Series({"a": 5.0, "b": 1.0})
    for kwargs, field in [({"cutoffs": [0.9, 0.8]}, "cutoffs"), ({"top_n": 0}, "top_n"), ({"weights": {"tolerance": 1}}, "weights.tolerance")]:
        with pytest.raises(AnalysisInputError) as err:
            customer_value(revenue, **kwargs)
        assert err.value.field == field
    with pytest.raises(AnalysisInputError, match="negative revenue for b"):
        customer_value(pd.Series({"a": 5.0, "b": -1.0}))


def test_stability_ranks_the_coefficient_of_variation_of_the_gaps():
    """A buys every 30 days (gaps 30, 30, 30: CV 0); B's gaps are 1 and 59 days (mean 30,
    population sd 29: CV 0.967); E's 10 and 30 (mean 20, sd 10: CV 0.5); C has two
    purchases, one gap, so no stability. Steadier is better: A 100, E 50, B 0."""
    from core.analysis.loyalty import purchase_stability

    days = {"A": [0, 30, 60, 90], "B": [0, 1, 60], "E": [0, 10, 40], "C": [0, 5]}
    rows = [(c, pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(days=d)) for c, ds in days.items() for d in ds]
    purchases = pd.DataFrame(rows, columns=["customer_id", "purchased_at"]).assign(amount=1.0)
    assert purchase_stability(purchases).to_dict() == {"A": 100.0, "B": 0.0, "E": 50.0}


def test_category_spend_is_the_latest_given_and_emotional_loyalty_the_mean_of_response_means():
    from core.analysis.loyalty import category_spend, emotional_loyalty

    when = pd.to_datetime(["2026-01-01", "2026-03-01", "2026-02-01", "2026-01-01"], utc=True)
    purchases = pd.DataFrame({"customer_id": ["A", "A", "A", "B"], "purchased_at": when, "amount": 1.0, "category_spend": [100.0, 300.0, 200.0, float("nan")]})
    assert category_spend(purchases).to_dict() == {"A": 300.0}  # March's figure restates January's and February's; B gave none
    scores = pd.DataFrame({"premium": [80.0, 60.0, 40.0, 90.0], "recommend": [100.0, 80.0, None, 70.0]})
    # A: (80+100)/2 = 90; B: (60+80)/2 = 70 and 40 (recommend blank) → 55; the fourth response has no customer id
    assert emotional_loyalty(scores, pd.Series(["A", "B", "B", None]), ["premium", "recommend"]).to_dict() == {"A": 90.0, "B": 55.0}
