"""Customer value: revenue ranking (A/B/C, the 80/20 share) combined with non-monetary value.

Source case 003 identifies big customers by revenue ranking combined with what revenue
does not show (loyalty, stable purchasing, tolerance, feedback, referrals, credit):

* customers are ranked by revenue; class A holds the customers whose cumulative revenue
  share (the customer's own revenue included) stays within the first cut-off (default
  0.8), B within the second (0.95), C the rest — the first customer is always A. With
  ``top_n`` only the N largest are classed and the others are left unclassed;
* the 80/20 figure is the share of revenue the top 20 % of customers bring (rounded up to
  whole customers);
* the value composite is the weighted mean of the revenue score (the customer's 0..100
  percentile rank by revenue) and the non-monetary components (0..100 each), weights
  configurable and renormalised over the components a customer has; the ranked list shows
  every component.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from core.analysis.errors import AnalysisInputError
from core.analysis.loyalty import _percentile

DEFAULT_CUTOFFS = (0.8, 0.95)


def customer_value(
    revenue: pd.Series,
    components: pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    top_n: int | None = None,
) -> dict:
    """The A/B/C classes, the 80/20 share and the ranked value list of the customers in ``revenue``."""
    cuts = list(cutoffs)
    if len(cuts) != 2 or not 0 < cuts[0] < cuts[1] <= 1:
        raise AnalysisInputError("cutoffs", "two cumulative revenue shares, 0 < A < B <= 1 (e.g. [0.8, 0.95])")
    if top_n is not None and (not isinstance(top_n, int) or isinstance(top_n, bool) or top_n < 1):
        raise AnalysisInputError("top_n", "a whole number of customers >= 1")
    rev = revenue.astype(float).dropna()
    if (rev < 0).any():
        raise AnalysisInputError("revenue", f"negative revenue for {', '.join(map(str, rev[rev < 0].index[:5]))}")
    if rev.empty or rev.sum() <= 0:
        raise AnalysisInputError("revenue", "no customer has revenue")
    components = pd.DataFrame(index=rev.index) if components is None else components.reindex(rev.index)
    weights = dict(weights or {"revenue": 1.0, **{c: 1.0 for c in components.columns}})
    for name, w in weights.items():
        if name != "revenue" and name not in components.columns:
            raise AnalysisInputError(f"weights.{name}", f"no such component; components: revenue, {', '.join(components.columns)}")
        if not np.isfinite(w) or w < 0:
            raise AnalysisInputError(f"weights.{name}", "a weight is a number >= 0")
    order = rev.sort_values(ascending=False, kind="stable")
    share = order / order.sum()
    before = share.cumsum() - share  # cumulative share of the customers ranked above
    upto = share.cumsum()
    klass = np.where((upto <= cuts[0] + 1e-12) | (before == 0), "A", np.where(upto <= cuts[1] + 1e-12, "B", "C"))
    if top_n is not None:
        klass = np.where(np.arange(len(order)) < top_n, klass, None)
    top20 = math.ceil(0.2 * len(order))
    parts = components.reindex(order.index).assign(revenue=_percentile(order))
    w = pd.Series({c: weights.get(c, 0.0) for c in parts.columns})
    value = (parts.fillna(0) * w).sum(axis=1) / (parts.notna() * w).sum(axis=1).replace(0, np.nan)
    # the ranked list built column-wise (one pass over the customers, not a lookup each)
    by_value = value.sort_values(ascending=False, kind="stable")
    klass_of = pd.Series(klass, index=order.index, dtype=object).reindex(by_value.index)
    shown = parts.reindex(by_value.index).astype(float)
    shown = shown.astype(object).where(shown.notna(), None).to_dict("records")
    ranked = [
        {"customer_id": cid, "rank": rank, "value": float(v), "revenue": float(r), "class": None if k is None else str(k), "components": comps}
        for rank, (cid, v, r, k, comps) in enumerate(zip(by_value.index, by_value.to_numpy(), order.reindex(by_value.index).to_numpy(), klass_of.tolist(), shown), start=1)
    ]
    classes = pd.Series(klass, index=order.index).dropna()
    return {
        "analysis": "customer_value",
        "method": "revenue_abc_plus_weighted_value",
        "customers": len(order),
        "cutoffs": cuts,
        "top_20_percent": {"customers": top20, "revenue_share": float(share.iloc[:top20].sum())},
        "classes": {k: {"customers": int((classes == k).sum()), "revenue_share": float(share[classes.index[classes == k]].sum())} for k in "ABC"},
        "weights": {c: float(w[c]) for c in parts.columns},
        "ranked": ranked,
    }
