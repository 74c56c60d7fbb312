"""Driver analysis (满意度驱动力分析): which indicators move the overall score, and what to fix first.

``drivers`` explains a target (the ``role: overall`` question, or one chosen per call) by
a list of driver columns (questions or group scores, 0..100), derives each driver's
importance (``core.analysis.importance``; or takes the stated importance the
configuration gives), places it in the IPA quadrants (``core.analysis.ipa``) and ranks
the priority list. The output names the analysis and the importance method:

``{"analysis": "drivers", "target", "method", "missing", "n", "r2", "drivers": [{"code",
"importance", "share", "score", "n", "margin_of_error", "low_n", "quadrant", "priority",
"touchpoints", ...}], "split": {...}}``

where ``importance`` is each driver's part of R² (they sum to ``r2``), ``share`` =
importance / r2 and ``score`` the driver's mean 0..100 score over the respondents who
answered it. Rows with blanks are dropped listwise by default; ``missing="pairwise"``
estimates each correlation from the rows that have both values (n is then the smallest
pairwise count). With ``bootstrap=N`` the rows are resampled N times (seeded) and each
importance gets a 95 % percentile interval, and each driver says whether it differs from
the next one down (the interval of their difference excludes 0).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from core.analysis.errors import AnalysisInputError
from core.analysis.importance import check_matrix, importances, r_squared
from core.analysis.ipa import quadrants
from core.analysis.significance import DEFAULT_MIN_N, mean_summary

MISSING = ("listwise", "pairwise")
MAX_BOOTSTRAP = 10_000


def correlations(data: pd.DataFrame, missing: str) -> tuple[np.ndarray, int]:
    """The correlation matrix of ``data``'s columns and the n it rests on."""
    if missing == "listwise":
        complete = data.dropna()
        n = len(complete)
        if n < 3:
            return np.full((data.shape[1],) * 2, np.nan), n
        x = complete.to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.corrcoef(x, rowvar=False), n
    if missing == "pairwise":
        present = data.notna().to_numpy(dtype=float)
        counts = present.T @ present
        n = int(counts.min()) if counts.size else 0
        return data.corr(min_periods=3).to_numpy(dtype=float), n
    raise AnalysisInputError("missing", f"unknown missing-data rule {missing!r}; one of {', '.join(MISSING)}")


def _importance(data: pd.DataFrame, codes: list[str], method: str, missing: str, samples, seed) -> tuple[np.ndarray, float, int, dict]:
    r, n = correlations(data, missing)
    values, r2, how = _from_matrix(r, codes, method, samples, seed)
    return values, r2, n, how


def _from_matrix(r: np.ndarray, codes: list[str], method: str, samples, seed) -> tuple[np.ndarray, float, dict]:
    rxx, rxy = r[1:, 1:], r[1:, 0]
    if not np.isfinite(rxy).all():
        bad = [c for c, v in zip(codes, rxy) if not np.isfinite(v)]
        raise AnalysisInputError("drivers", f"no variation (or too few answers together with the target) in {', '.join(bad)}")
    check_matrix(rxx, codes)
    if method == "stated":
        return np.zeros(len(codes)), r_squared(rxx, rxy), {}
    values, how = importances(method, rxx, rxy, samples=samples, seed=seed)
    return values, r_squared(rxx, rxy), how


def drivers(
    scores: pd.DataFrame,
    target: str,
    drivers: Sequence[str],
    *,
    method: str = "relative_weights",
    missing: str = "listwise",
    bootstrap: int = 0,
    seed: int = 0,
    split: str = "mean",
    stated: Mapping[str, float] | None = None,
    touchpoints: Mapping[str, Sequence[str]] | None = None,
    samples: int | None = None,
    min_n: int = DEFAULT_MIN_N,
) -> dict:
    """The driver analysis of ``target`` by ``drivers`` (columns of ``scores``); see the module."""
    codes = list(drivers)
    for field, names in (("target", [target]), ("drivers", codes)):
        missing_cols = [c for c in names if c not in scores.columns]
        if missing_cols:
            raise AnalysisInputError(field, f"no such column: {', '.join(missing_cols)}")
    if not codes:
        raise AnalysisInputError("drivers", "name at least one driver")
    if target in codes:
        raise AnalysisInputError("drivers", f"the target {target!r} cannot also be a driver")
    if len(set(codes)) != len(codes):
        raise AnalysisInputError("drivers", "a driver is listed twice")
    if not isinstance(bootstrap, int) or isinstance(bootstrap, bool) or not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise AnalysisInputError("bootstrap", f"must be a whole number of resamples from 0 to {MAX_BOOTSTRAP}")
    if method == "stated":
        stated = dict(stated or {})
        absent = [c for c in codes if c not in stated]
        if absent:
            raise AnalysisInputError("stated", f"no stated importance for {', '.join(absent)}")
        if any(not np.isfinite(stated[c]) or stated[c] < 0 for c in codes) or sum(stated[c] for c in codes) <= 0:
            raise AnalysisInputError("stated", "stated importances must be numbers >= 0, not all 0")
    data = scores[[target, *codes]].astype(float)
    values, r2, n, how = _importance(data, codes, method, missing, samples, seed)
    if method == "stated":
        total = sum(stated[c] for c in codes)
        values = np.array([stated[c] / total * r2 for c in codes])
    share = values / r2 if r2 > 0 else np.zeros_like(values)
    summaries = [mean_summary(scores[c].to_numpy(dtype=float), min_n) for c in codes]
    score = np.array([s["mean"] if s["mean"] is not None else np.nan for s in summaries])
    quadrant, priority, split_points = quadrants(share, score, split)
    rows = []
    for i, code in enumerate(codes):
        rows.append({
            "code": code,
            "importance": float(values[i]),
            "share": float(share[i]),
            "score": summaries[i]["mean"],
            "n": summaries[i]["n"],
            "margin_of_error": summaries[i]["margin_of_error"],
            "low_n": summaries[i]["low_n"],
            "quadrant": quadrant[i],
            "priority": priority[i],
            "touchpoints": list((touchpoints or {}).get(code, ())),
        })
    if "standard_errors" in how:
        for row, se in zip(rows, how.pop("standard_errors")):
            row["standard_error"] = se
    if bootstrap and method != "stated":
        _bootstrap(rows, data, codes, method, missing, bootstrap, seed, samples)
    rows.sort(key=lambda r: r["priority"])
    out = {
        "analysis": "drivers",
        "target": target,
        "method": method,
        "missing": missing,
        "n": n,
        "low_n": n < min_n,
        "r2": r2,
        "split": split_points,
        "drivers": rows,
    }
    if how:
        out["computation"] = how
    if bootstrap:
        out["bootstrap"] = {"resamples": bootstrap, "seed": seed, "interval": "95% percentile"}
    return out


def _bootstrap(rows: list[dict], data: pd.DataFrame, codes: list[str], method: str, missing: str, resamples: int, seed: int, samples) -> None:
    """Percentile intervals of each importance, and whether each differs from the next one down."""
    base = data.dropna() if missing == "listwise" else data
    matrix = base.to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    draws = np.full((resamples, len(codes)), np.nan)
    for b in range(resamples):  # each resample is a full re-estimation; k×k algebra, not per-row work
        pick = rng.integers(0, len(base), len(base))
        try:
            if missing == "listwise":  # complete rows: the correlation matrix straight from numpy
                with np.errstate(invalid="ignore", divide="ignore"):
                    r = np.corrcoef(matrix[pick], rowvar=False)
                draws[b], *_ = _from_matrix(r, codes, method, samples, seed + b + 1)
            else:
                draws[b], *_ = _importance(base.iloc[pick], codes, method, missing, samples, seed + b + 1)
        except (AnalysisInputError, np.linalg.LinAlgError):
            continue  # a degenerate resample (a driver without variation) is left out
    ok = ~np.isnan(draws).any(axis=1)
    draws = draws[ok]
    position = {c: i for i, c in enumerate(codes)}
    by_importance = sorted(rows, key=lambda r: -r["importance"])
    for row in rows:
        j = position[row["code"]]
        lo, hi = np.percentile(draws[:, j], [2.5, 97.5]) if len(draws) else (np.nan, np.nan)
        row["ci"] = [float(lo), float(hi)]
    for upper, lower in zip(by_importance, by_importance[1:] + [None]):
        if lower is None or not len(draws):
            upper["differs_from_next"] = None
            continue
        diff = draws[:, position[upper["code"]]] - draws[:, position[lower["code"]]]
        lo, hi = np.percentile(diff, [2.5, 97.5])
        upper["differs_from_next"] = bool(lo > 0 or hi < 0)
        upper["next"] = lower["code"]
