"""Loyalty: the satisfaction/loyalty matrix, the three satisfaction tiers, and loyalty scores.

* The matrix (source case 003) places each customer by satisfaction and loyalty (0..100),
  split at configurable thresholds (a value at the threshold counts as high):
  apostle 传道者 (high, high), mercenary 图利者 (high satisfaction, low loyalty), hostage
  囚禁者 (low satisfaction, high loyalty: the customer has no choice), destroyer 破坏者
  (low, low). Counts and shares per cell, overall and per segment.
* The three tiers: satisfied, will buy again, will recommend — the share of respondents
  at or above the threshold on each question, with margins of error.
* Transactional loyalty from purchase records: recency (days since the last purchase,
  fewer is better), frequency (purchases), share of wallet (spend with us / the
  customer's category spend, when known) and lifetime (days since the first purchase).
  Each becomes a 0..100 percentile rank among the customers (ties share their mean rank),
  and the composite is their weighted mean (weights configurable, renormalised over the
  components present). Emotional loyalty (pays a premium, treats you as the standard,
  recommends, suggests improvements) is the mean of those questions' 0..100 scores; the
  loyalty composite weighs the two.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from core.analysis.errors import AnalysisInputError
from core.analysis.significance import DEFAULT_MIN_N, proportion_summary

CELLS = ("apostle", "mercenary", "hostage", "destroyer")
DEFAULT_THRESHOLD = 75.0  # top-two-box on a five-point scale mapped to 0..100
COMPONENTS = ("recency", "frequency", "share_of_wallet", "lifetime")
DEFAULT_WEIGHTS = {"recency": 0.25, "frequency": 0.25, "share_of_wallet": 0.25, "lifetime": 0.25}


def _cells(sat: np.ndarray, loy: np.ndarray, sat_cut: float, loy_cut: float) -> np.ndarray:
    hs, hl = sat >= sat_cut, loy >= loy_cut
    return np.where(hs, np.where(hl, 0, 1), np.where(hl, 2, 3))


def _count(cells: np.ndarray, min_n: int) -> dict:
    counts = np.bincount(cells, minlength=4)
    n = int(counts.sum())
    return {"n": n, "low_n": n < min_n, "cells": {c: {"count": int(k), "share": (k / n if n else None)} for c, k in zip(CELLS, counts)}}


def loyalty_matrix(
    satisfaction: pd.Series,
    loyalty: pd.Series,
    sat_threshold: float = DEFAULT_THRESHOLD,
    loyalty_threshold: float = DEFAULT_THRESHOLD,
    segments: pd.Series | None = None,
    min_n: int = DEFAULT_MIN_N,
) -> dict:
    """Counts and shares of the four cells among customers with both scores."""
    sat = satisfaction.to_numpy(dtype=float)
    loy = loyalty.to_numpy(dtype=float)
    both = ~np.isnan(sat) & ~np.isnan(loy)
    cells = _cells(sat[both], loy[both], sat_threshold, loyalty_threshold)
    out = {"analysis": "loyalty_matrix", "method": "satisfaction_x_loyalty",
           "thresholds": {"satisfaction": sat_threshold, "loyalty": loyalty_threshold}, **_count(cells, min_n)}
    if segments is not None:
        labels = segments.astype("string").fillna("(blank)").to_numpy()[both]
        out["segments"] = {str(v): _count(cells[labels == v], min_n) for v in pd.unique(labels)}
    return out


def tiers(scores: pd.DataFrame, questions: Mapping[str, str], threshold: float = DEFAULT_THRESHOLD, min_n: int = DEFAULT_MIN_N) -> dict:
    """Rates of the three tiers; ``questions`` maps ``satisfied``, ``buy_again``, ``recommend``
    (any of them) to the question answering it."""
    known = ("satisfied", "buy_again", "recommend")
    out = {"analysis": "satisfaction_tiers", "method": "top_box_rate", "threshold": threshold, "tiers": {}}
    for tier, code in questions.items():
        if tier not in known:
            raise AnalysisInputError(f"tiers.{tier}", f"unknown tier; one of {', '.join(known)}")
        if code not in scores.columns:
            raise AnalysisInputError(f"tiers.{tier}", f"no such question column: {code}")
        x = scores[code].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        out["tiers"][tier] = {"question": code, **proportion_summary(int((x >= threshold).sum()), int(x.size), min_n)}
    return out


def _percentile(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """0..100 percentile rank (ties share their mean rank); a lone value scores 100."""
    ranked = values.rank(method="average", ascending=higher_is_better)
    n = values.notna().sum()
    return (ranked - 1) / (n - 1) * 100 if n > 1 else ranked * 0 + 100


def transactional_loyalty(
    purchases: pd.DataFrame,
    as_of,
    category_spend: pd.Series | None = None,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Per customer: recency_days, frequency, spend, share_of_wallet, lifetime_days, each
    component's 0..100 score and the weighted ``transactional`` composite.

    ``purchases`` has ``customer_id``, ``purchased_at`` (datetimes) and ``amount``.
    """
    for col in ("customer_id", "purchased_at", "amount"):
        if col not in purchases.columns:
            raise AnalysisInputError("purchases", f"missing column {col!r} (customer_id, purchased_at, amount)")
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    for name, w in weights.items():
        if name not in COMPONENTS:
            raise AnalysisInputError(f"weights.{name}", f"unknown component; one of {', '.join(COMPONENTS)}")
        if not np.isfinite(w) or w < 0:
            raise AnalysisInputError(f"weights.{name}", "a weight is a number >= 0")
    when = pd.to_datetime(purchases["purchased_at"], utc=True)
    as_of = pd.Timestamp(as_of)
    as_of = as_of.tz_localize("UTC") if as_of.tzinfo is None else as_of.tz_convert("UTC")
    g = purchases.assign(_when=when).groupby("customer_id")
    out = pd.DataFrame({
        "recency_days": (as_of - g["_when"].max()).dt.total_seconds() / 86400,
        "frequency": g.size(),
        "spend": g["amount"].sum(),
        "lifetime_days": (as_of - g["_when"].min()).dt.total_seconds() / 86400,
    })
    out["share_of_wallet"] = (out["spend"] / category_spend.reindex(out.index)).clip(upper=1.0) if category_spend is not None else np.nan
    scores = pd.DataFrame({
        "recency": _percentile(out["recency_days"], higher_is_better=False),
        "frequency": _percentile(out["frequency"]),
        "share_of_wallet": _percentile(out["share_of_wallet"]),
        "lifetime": _percentile(out["lifetime_days"]),
    })
    w = pd.Series({c: weights.get(c, 0.0) for c in COMPONENTS})
    present = scores.notna().astype(float) * w
    out = out.join(scores.add_suffix("_score"))
    out["transactional"] = (scores.fillna(0) * w).sum(axis=1) / present.sum(axis=1).replace(0, np.nan)
    return out


def loyalty_composite(transactional: pd.Series, emotional: pd.Series, weights: Mapping[str, float] | None = None) -> pd.Series:
    """The weighted mean of transactional and emotional loyalty (0..100) per customer,
    renormalised over the parts a customer has."""
    w = {"transactional": 0.5, "emotional": 0.5, **(weights or {})}
    parts = pd.DataFrame({"transactional": transactional, "emotional": emotional})
    wt = pd.Series(w)[parts.columns]
    return (parts.fillna(0) * wt).sum(axis=1) / (parts.notna() * wt).sum(axis=1).replace(0, np.nan)


def category_spend(purchases: pd.DataFrame) -> pd.Series | None:
    """Each customer's whole category spend, for share of wallet: the latest value given
    on its purchases (a figure that is restated, not summed); None when no purchase
    carries one."""
    if "category_spend" not in purchases.columns:
        return None
    given = purchases.dropna(subset=["category_spend"])
    if given.empty:
        return None
    return given.sort_values("purchased_at", kind="stable").groupby("customer_id")["category_spend"].last()


def emotional_loyalty(scores: pd.DataFrame, customer_ids: pd.Series, questions: Sequence[str]) -> pd.Series:
    """Per customer, the mean over its responses of each response's mean 0..100 score on
    the emotional-loyalty ``questions`` (blanks skipped); responses without a customer id
    and customers with no answer to any of them are left out."""
    per_response = scores[list(questions)].mean(axis=1, skipna=True)
    ids = customer_ids.astype(object).where(customer_ids.notna(), None)
    keep = ids.notna().to_numpy() & per_response.notna().to_numpy()
    return per_response[keep].groupby(ids[keep].astype(str).to_numpy()).mean().rename("emotional")


def purchase_stability(purchases: pd.DataFrame) -> pd.Series:
    """Stable purchasing as a 0..100 score: the percentile rank (steadier is better) of
    the coefficient of variation of the gaps between a customer's consecutive purchases
    (population standard deviation / mean gap). It needs two gaps, so customers with
    fewer than three purchases have none; a customer buying every 30 days exactly has
    CV 0, the steadiest possible."""
    if purchases.empty:
        return pd.Series(dtype=float, name="stability")
    ordered = purchases.assign(_when=pd.to_datetime(purchases["purchased_at"], utc=True)).sort_values(["customer_id", "_when"], kind="stable")
    gaps = (ordered.groupby("customer_id")["_when"].diff().dt.total_seconds() / 86400).groupby(ordered["customer_id"])
    count, mean, std = gaps.count(), gaps.mean(), gaps.std(ddof=0)
    cv = (std / mean.where(mean > 0)).fillna(0.0)[count >= 2]
    return _percentile(cv, higher_is_better=False).rename("stability")
