"""The analysis methods that read purchase records besides the responses: loyalty, customer value.

Both declare ``inputs=("purchases",)``: the caller passes the purchases frame
(customer_id, purchased_at UTC, amount, category_spend) as a fourth argument, from the
store (``PurchaseRepository.frame``, the call's window applied to purchased_at) or an
offline CSV (``csm analyze --purchases``). Customers are matched by id: the responses'
``customer_id`` is the purchases' ``customer_id``.

* ``loyalty``: transactional loyalty (``core.analysis.loyalty.transactional_loyalty``:
  recency, frequency, share of wallet, lifetime as percentile scores, weighted) and
  emotional loyalty (the mean 0..100 score of the ``emotional`` questions: pays a
  premium, treats you as the standard, recommends, suggests), weighed by ``composite``
  (renormalised over the parts a customer has: a customer who bought but never answered
  has transactional loyalty only). Recency and lifetime are counted back from ``as_of``
  (default: the latest purchase analysed, so a file and the store give the same days).
* ``customer_value``: revenue (the customer's purchases summed) ranked into A/B/C with the
  80/20 share (``core.analysis.customer_value``), and the value composite over revenue's
  percentile score and the non-monetary ``components``, each named by its source:
  ``loyalty`` (the loyalty composite, computed with the ``loyalty_settings`` parameter, by
  default the section's ``loyalty`` entry), ``stability`` (steady purchasing,
  ``purchase_stability``), a question code (the customer's mean 0..100 score on it:
  tolerance, feedback, referrals, credit asked as questions), or ``customer.<attribute>``
  (a numeric attribute of the stored customers, ``POST /customers``, e.g. a credit rating
  kept in the CRM: its 0..100 percentile rank among the customers that have it, higher
  is better). ``customer_value`` also declares ``inputs=("purchases", "customers")``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analysis.customer_value import DEFAULT_CUTOFFS, customer_value
from core.analysis.errors import AnalysisInputError
from core.analysis.loyalty import COMPONENTS, _percentile, DEFAULT_WEIGHTS, category_spend, emotional_loyalty, loyalty_composite, purchase_stability, transactional_loyalty
from core.analysis.significance import DEFAULT_MIN_N
from core.model import AnalysisMethod, IndicatorSet, Param
from core.scoring import to_scores

PARTS = ("transactional", "emotional")
SOURCES = ("loyalty", "stability")  # besides question codes and customer.<attribute>
ATTRIBUTE = "customer."
COLUMNS = ("recency_days", "frequency", "spend", "share_of_wallet", "lifetime_days", *(f"{c}_score" for c in COMPONENTS), "transactional", "emotional", "loyalty")


def _weights(value, name: str, allowed: tuple[str, ...] | None = None) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise AnalysisInputError(name, "must be a map of name to a number >= 0")
    for key, w in value.items():
        if allowed is not None and key not in allowed:
            raise AnalysisInputError(f"{name}.{key}", f"unknown name; one of {', '.join(allowed)}")
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not np.isfinite(w) or w < 0:
            raise AnalysisInputError(f"{name}.{key}", "a weight is a number >= 0")
    if value and sum(value.values()) <= 0:
        raise AnalysisInputError(name, "at least one weight must be above 0")
    return {k: float(v) for k, v in value.items()}


def _questions(iset: IndicatorSet, value, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnalysisInputError(name, "must be a list of question codes")
    scored = {q.code for q in iset.scored_questions}
    for code in value:
        if code not in scored:
            raise AnalysisInputError(name, f"{code!r} is not a scored question of the indicator set")
    return value


def _as_of(value, purchases: pd.DataFrame) -> pd.Timestamp | None:
    latest = purchases["purchased_at"].max() if len(purchases) else None
    if value is None:
        return latest
    try:
        when = pd.Timestamp(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or pd.isna(when):
        raise AnalysisInputError("as_of", "must be an ISO 8601 date-time (e.g. 2026-04-01T00:00:00Z)")
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    if latest is not None and when < latest:
        raise AnalysisInputError("as_of", f"lies before the latest purchase analysed ({latest.isoformat()})")
    return when


def _scores(frame: pd.DataFrame, iset: IndicatorSet) -> pd.DataFrame:
    """Each response's 0..100 score per scored question (as every analysis scores them)."""
    return to_scores(frame, iset)


def _cutoffs(value) -> list[float]:
    """Two shares; as a query's text (``0.7,0.95``) they arrive as strings."""
    if value is None:
        return list(DEFAULT_CUTOFFS)
    message = "two cumulative revenue shares, 0 < A < B <= 1 (e.g. [0.8, 0.95])"
    if not isinstance(value, list):
        raise AnalysisInputError("cutoffs", message)
    out = []
    for c in value:
        try:
            if isinstance(c, bool):
                raise ValueError
            out.append(float(c))
        except (TypeError, ValueError):
            raise AnalysisInputError("cutoffs", message) from None
    return out


def loyalty_table(frame: pd.DataFrame, iset: IndicatorSet, params: dict, purchases: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Per customer (index: customer id) the transactional figures and scores, emotional
    loyalty and the composite; and what was used (as_of, weights, questions)."""
    emotional_codes = _questions(iset, params.get("emotional"), "emotional")
    weights = _weights(params.get("weights"), "weights", COMPONENTS) or dict(DEFAULT_WEIGHTS)
    composite = _weights(params.get("composite"), "composite", PARTS) or {"transactional": 0.5, "emotional": 0.5}
    composite = {p: composite.get(p, 0.0) for p in PARTS}
    if purchases.empty and not emotional_codes:
        raise AnalysisInputError("purchases", "no purchases in the window and no `emotional` questions: nothing to compute loyalty from")
    as_of = _as_of(params.get("as_of"), purchases)
    if len(purchases):
        table = transactional_loyalty(purchases, as_of, category_spend(purchases), weights)
    else:
        table = pd.DataFrame(columns=[c for c in COLUMNS if c not in ("emotional", "loyalty")], dtype=float)
    table.index = table.index.astype(str)
    emotional = emotional_loyalty(_scores(frame, iset), frame["customer_id"], emotional_codes) if emotional_codes and "customer_id" in frame.columns else pd.Series(dtype=float)
    table = table.reindex(table.index.union(emotional.index))
    table["emotional"] = emotional.reindex(table.index)
    table["loyalty"] = loyalty_composite(table["transactional"].astype(float), table["emotional"].astype(float), composite)
    used = {"as_of": None if as_of is None else as_of.isoformat(), "weights": weights, "composite": composite, "emotional": emotional_codes}
    return table[list(COLUMNS)], used


def _number(v):
    return None if v is None or pd.isna(v) else float(v)


def run_loyalty(frame: pd.DataFrame, iset: IndicatorSet, params: dict, purchases: pd.DataFrame) -> dict:
    table, used = loyalty_table(frame, iset, params, purchases)
    min_n = params.get("min_n") or DEFAULT_MIN_N
    ranked = table.assign(_id=table.index).sort_values(["loyalty", "_id"], ascending=[False, True], na_position="last", kind="stable")
    figures = ranked[list(COLUMNS)].astype(float)
    figures = figures.astype(object).where(figures.notna(), None).to_dict("records")  # one pass, not a row at a time
    rows = [{"customer_id": cid, "rank": rank, **f} for rank, (cid, f) in enumerate(zip(ranked.index, figures), start=1)]
    n = int(table["loyalty"].notna().sum())
    return {
        "analysis": "loyalty",
        "method": "percentile_rfm_plus_questions",
        **used,
        "customers": len(table),
        "purchases": len(purchases),
        "n": n,
        "low_n": n < min_n,
        "mean": {c: _number(table[c].astype(float).mean()) for c in ("transactional", "emotional", "loyalty")},
        "ranked": rows,
    }


def _attribute_part(customers: pd.DataFrame, name: str, attribute: str, index: pd.Index) -> pd.Series:
    """A customer attribute as a 0..100 percentile rank among the customers valued."""
    if attribute not in customers.columns:
        known = ", ".join(sorted(map(str, customers.columns))) or "none stored"
        raise AnalysisInputError(f"components.{name}", f"no customer has the attribute {attribute!r} (attributes: {known})")
    values = customers[attribute].copy()
    values.index = values.index.astype(str)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & numbers.isna()
    if bad.any():
        raise AnalysisInputError(f"components.{name}", f"attribute {attribute!r} is not a number for customer {values.index[bad][0]!r} ({values[bad].iloc[0]!r})")
    return _percentile(numbers.reindex(index).astype(float))


def run_customer_value(frame: pd.DataFrame, iset: IndicatorSet, params: dict, purchases: pd.DataFrame, customers: pd.DataFrame) -> dict:
    sources = params.get("components") or {}
    if not isinstance(sources, dict):
        raise AnalysisInputError("components", "must be a map of component name to its source (loyalty, stability, a question code or customer.<attribute>)")
    if "revenue" in sources:
        raise AnalysisInputError("components.revenue", "revenue is always a component (from the purchases); name the others")
    if purchases.empty:
        raise AnalysisInputError("purchases", "no purchases in the window: customer value ranks customers by revenue")
    revenue = purchases.groupby("customer_id")["amount"].sum()
    revenue.index = revenue.index.astype(str)
    parts = pd.DataFrame(index=revenue.index)
    scores = None
    for name, source in sources.items():
        if not isinstance(source, str):
            raise AnalysisInputError(f"components.{name}", "the source is loyalty, stability, a question code or customer.<attribute>")
        if source == "loyalty":
            loyalty_params = params.get("loyalty_settings") or {}
            if not isinstance(loyalty_params, dict):
                raise AnalysisInputError("loyalty_settings", "must be a map of the loyalty parameters (emotional, weights, composite, as_of)")
            table, _ = loyalty_table(frame, iset, loyalty_params, purchases)
            parts[name] = table["loyalty"].reindex(parts.index).astype(float)
        elif source.startswith(ATTRIBUTE):
            parts[name] = _attribute_part(customers, name, source[len(ATTRIBUTE):], parts.index)
        elif source == "stability":
            stability = purchase_stability(purchases)
            stability.index = stability.index.astype(str)
            parts[name] = stability.reindex(parts.index)
        else:
            _questions(iset, [source], f"components.{name}")
            scores = _scores(frame, iset) if scores is None else scores
            parts[name] = emotional_loyalty(scores, frame["customer_id"], [source]).reindex(parts.index) if "customer_id" in frame.columns else np.nan
    out = customer_value(revenue, parts, _weights(params.get("weights"), "weights", ("revenue", *sources)), _cutoffs(params.get("cutoffs")), params.get("top_n"))
    return out | {"components": {"revenue": "purchases", **sources}, "purchases": len(purchases)}


def _p(name: str, type_: str, description: str, default=None) -> Param:
    return Param(name=name, type=type_, description=description, required=False, default=default)


EMOTIONAL = _p("emotional", "list", "emotional-loyalty questions (pays a premium, treats you as the standard, recommends, suggests)")
LOYALTY_PARAMS = (
    EMOTIONAL,
    _p("weights", "map", "transactional component → weight (recency, frequency, share_of_wallet, lifetime; default 0.25 each)"),
    _p("composite", "map", "transactional / emotional → weight of each in the loyalty composite (default 0.5 each)"),
    _p("as_of", "string", "recency and lifetime are counted back from this ISO 8601 time (default: the latest purchase)"),
)

PURCHASE_METHODS: tuple[AnalysisMethod, ...] = (
    AnalysisMethod("loyalty", "Loyalty (transactional and emotional)", run_loyalty, (
        *LOYALTY_PARAMS, _p("min_n", "int", "figures on fewer customers are flagged low_n", DEFAULT_MIN_N),
    ), name_zh="顾客忠诚度", description="Transactional loyalty from the purchases, emotional loyalty from the questions, their weighted composite per customer.", inputs=("purchases",)),
    AnalysisMethod("customer_value", "Customer value", run_customer_value, (
        _p("components", "map", "non-monetary component → its source: loyalty, stability, a question code or customer.<attribute>"),
        _p("weights", "map", "revenue and each component → weight (default 1 each)"),
        _p("cutoffs", "list", "cumulative revenue shares closing classes A and B", list(DEFAULT_CUTOFFS)),
        _p("top_n", "int", "class only the N customers of most revenue"),
        _p("loyalty_settings", "map", "the loyalty parameters for a `loyalty` component (default: the section's loyalty entry)"),
    ), name_zh="大客户价值", description="Revenue ranking (A/B/C, the 80/20 share) and the weighted value composite with each component.", inputs=("purchases", "customers")),
)
