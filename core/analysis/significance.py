"""How sure a figure is: margins of error, low-n flags, and tests of differences.

Every reported score carries ``n`` and a 95 % margin of error, and figures resting on
fewer than ``min_n`` respondents (default 30) are flagged ``low_n: true`` rather than
shown as if solid. A margin of error of a mean is 1.96 · s / √n (s with ddof=1), the same
convention the scores use (``core.scoring.engine``); of a proportion 1.96 · √(p(1−p)/n).

Differences (period over period, group against group):

* means of respondent indices: Welch's t-test (unequal variances), the margin being the
  t critical value at Welch–Satterthwaite's degrees of freedom times the standard error;
* rates (satisfaction rate, tiers): the two-proportion z-test with the pooled proportion
  for the p-value and the unpooled standard error for the margin;
* NPS: NPS = %promoters − %detractors, whose variance per respondent is
  p_P(1−p_P) + p_D(1−p_D) + 2·p_P·p_D (the answer scored +1 / 0 / −1), so the difference
  of two NPS has standard error √(var₁/n₁ + var₂/n₂), tested with z.
"""

from __future__ import annotations

import math

import numpy as np

Z_95 = 1.96
DEFAULT_MIN_N = 30
ALPHA = 0.05


def _t_distribution():
    """scipy's Student t, imported on the first test that needs it: scipy.stats adds about
    60 MB to a process, and every API worker imports this module (scores carry margins)
    while few requests ever run a Welch test."""
    from scipy import stats

    return stats.t


def normal_two_sided_p(z: float) -> float:
    """2 · P(Z > |z|) for a standard normal Z, i.e. 2 · norm.sf(|z|) = erfc(|z| / √2)."""
    return math.erfc(abs(z) / math.sqrt(2))


def _num(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def mean_summary(values, min_n: int = DEFAULT_MIN_N) -> dict:
    """``{"mean", "n", "margin_of_error", "low_n"}`` of the non-missing ``values``."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    mean = _num(x.mean()) if n else None
    moe = _num(Z_95 * x.std(ddof=1) / math.sqrt(n)) if n >= 2 else None
    return {"mean": mean, "n": n, "margin_of_error": moe, "low_n": n < min_n}


def proportion_summary(hits: int, n: int, min_n: int = DEFAULT_MIN_N) -> dict:
    """``{"rate", "n", "margin_of_error", "low_n"}`` of ``hits`` out of ``n``."""
    if n <= 0:
        return {"rate": None, "n": 0, "margin_of_error": None, "low_n": True}
    p = hits / n
    return {"rate": p, "n": int(n), "margin_of_error": Z_95 * math.sqrt(p * (1 - p) / n), "low_n": n < min_n}


def welch(x, y, min_n: int = DEFAULT_MIN_N) -> dict:
    """Welch's t-test of mean(x) − mean(y): the difference, its 95 % margin, t, df, p."""
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    var_a = float(a.var(ddof=1)) if a.size >= 2 else None
    var_b = float(b.var(ddof=1)) if b.size >= 2 else None
    mean_a = float(a.mean()) if a.size else None
    mean_b = float(b.mean()) if b.size else None
    return welch_stats(mean_a, var_a, a.size, mean_b, var_b, b.size, min_n)


def welch_stats(mean1, var1, n1: int, mean2, var2, n2: int, min_n: int = DEFAULT_MIN_N) -> dict:
    """Welch's t-test from summaries: means, sample variances (ddof 1) and sizes.

    t = (m₁ − m₂) / √(v₁/n₁ + v₂/n₂), Welch–Satterthwaite df = (v₁/n₁ + v₂/n₂)² /
    ((v₁/n₁)²/(n₁−1) + (v₂/n₂)²/(n₂−1)), p two-sided from Student's t at df; the margin
    is t₀.₉₇₅(df) × the standard error. Below 2 values on a side nothing is tested.
    """
    out = {"test": "welch_t", "difference": None, "margin_of_error": None, "t": None, "df": None, "p_value": None,
           "significant": False, "n": [int(n1), int(n2)], "low_n": min(n1, n2) < min_n}
    if n1 < 2 or n2 < 2 or None in (mean1, mean2, var1, var2):
        return out
    va, vb = var1 / n1, var2 / n2
    se = math.sqrt(va + vb)
    diff = float(mean1 - mean2)
    out["difference"] = diff
    if se == 0:
        return out
    df = (va + vb) ** 2 / (va**2 / (n1 - 1) + vb**2 / (n2 - 1))
    t = diff / se
    student = _t_distribution()
    p = 2 * student.sf(abs(t), df)
    out.update(margin_of_error=float(student.ppf(1 - ALPHA / 2, df) * se), t=t, df=df, p_value=float(p), significant=bool(p < ALPHA))
    return out


def two_proportions(hits1: int, n1: int, hits2: int, n2: int, min_n: int = DEFAULT_MIN_N) -> dict:
    """The two-proportion z-test of p₁ − p₂ (pooled p for the test, unpooled for the margin)."""
    out = {"test": "two_proportion_z", "difference": None, "margin_of_error": None, "z": None, "p_value": None,
           "significant": False, "n": [int(n1), int(n2)], "low_n": min(n1, n2) < min_n}
    if n1 <= 0 or n2 <= 0:
        return out
    p1, p2 = hits1 / n1, hits2 / n2
    pooled = (hits1 + hits2) / (n1 + n2)
    out["difference"] = p1 - p2
    out["margin_of_error"] = Z_95 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se0 > 0:
        z = (p1 - p2) / se0
        p = normal_two_sided_p(z)
        out.update(z=z, p_value=float(p), significant=bool(p < ALPHA))
    return out


def nps_variance(promoters: int, detractors: int, n: int) -> float:
    """Per-respondent variance of the NPS score (+1 promoter, 0 passive, −1 detractor)."""
    pp, pd_ = promoters / n, detractors / n
    return pp * (1 - pp) + pd_ * (1 - pd_) + 2 * pp * pd_


def nps_difference(p1: int, d1: int, n1: int, p2: int, d2: int, n2: int, min_n: int = DEFAULT_MIN_N) -> dict:
    """NPS₁ − NPS₂ on −100..100 with its margin of error, z and p (the NPS variance formula)."""
    out = {"test": "nps_z", "difference": None, "margin_of_error": None, "z": None, "p_value": None,
           "significant": False, "n": [int(n1), int(n2)], "low_n": min(n1, n2) < min_n}
    if n1 <= 0 or n2 <= 0:
        return out
    diff = 100 * ((p1 - d1) / n1 - (p2 - d2) / n2)
    se = 100 * math.sqrt(nps_variance(p1, d1, n1) / n1 + nps_variance(p2, d2, n2) / n2)
    out.update(difference=diff, margin_of_error=Z_95 * se)
    if se > 0:
        z = diff / se
        p = normal_two_sided_p(z)
        out.update(z=z, p_value=float(p), significant=bool(p < ALPHA))
    return out
