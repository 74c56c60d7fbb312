"""The Shapley value of R² (general dominance), exactly for few drivers, sampled for many.

Driver j's Shapley value is its marginal gain in R², R²(S ∪ {j}) − R²(S), averaged over
every order in which the drivers can enter the model; it equals general dominance in
Budescu's (1993) dominance analysis, and the values sum to the full model's R².

* Up to ``EXACT_MAX`` drivers it is computed exactly from the R² of all 2^k subsets: the
  subsets of one size are solved together as one batched linear system
  (R²(S) = r_S' R_SS⁻¹ r_S), then each driver's value is the weighted sum of its marginal
  gains over the subsets without it (weight |S|!(k−|S|−1)!/k!). 15 drivers are 32,768
  subsets.
* Beyond that, enumerating 2^k regressions is not affordable (20 drivers are over a
  million), so the value is estimated from ``samples`` random orders of entry (seeded):
  for one order, the Cholesky factor L of the reordered Rxx gives every prefix's R² at
  once (z = L⁻¹ r, R²(first m) = Σ_{i≤m} z_i²), so each order costs one factorisation and
  yields all k marginal gains. Estimates still sum to R² exactly; their standard errors
  are reported so a reader sees the sampling noise.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

EXACT_MAX = 15
DEFAULT_SAMPLES = 5000
_BATCH = 500  # orders of entry factorised per batch


def subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R² of every subset of drivers, indexed by bitmask (bit j = driver j in the subset)."""
    k = len(rxy)
    r2 = np.zeros(1 << k)
    for size in range(1, k + 1):
        idx = np.array(list(itertools.combinations(range(k), size)), dtype=np.intp)
        sub = rxx[idx[:, :, None], idx[:, None, :]]
        r = rxy[idx]
        sol = np.linalg.solve(sub, r[..., None])[..., 0]
        masks = (np.left_shift(1, idx)).sum(axis=1)
        r2[masks] = np.einsum("ij,ij->i", r, sol)
    return r2


def exact(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    k = len(rxy)
    r2 = subset_r2(rxx, rxy)
    masks = np.arange(1 << k)
    size = _popcount(masks)
    weight = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) if s < k else 0.0 for s in range(k + 1)])
    out = np.empty(k)
    for j in range(k):
        without = masks[(masks >> j) & 1 == 0]
        out[j] = np.sum(weight[size[without]] * (r2[without | (1 << j)] - r2[without]))
    return out


def _popcount(masks: np.ndarray) -> np.ndarray:
    m = masks.copy()
    count = np.zeros_like(m)
    while m.any():
        count += m & 1
        m >>= 1
    return count


def sampled(rxx: np.ndarray, rxy: np.ndarray, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean marginal gains over ``samples`` random orders, and their standard errors."""
    k = len(rxy)
    rng = np.random.default_rng(seed)
    total = np.zeros(k)
    total_sq = np.zeros(k)
    done = 0
    while done < samples:
        b = min(_BATCH, samples - done)
        orders = np.argsort(rng.random((b, k)), axis=1)
        sub = rxx[orders[:, :, None], orders[:, None, :]]
        chol = np.linalg.cholesky(sub)
        z = np.linalg.solve(chol, rxy[orders][..., None])[..., 0]
        gains = np.empty((b, k))
        np.put_along_axis(gains, orders, z**2, axis=1)  # back to driver order
        total += gains.sum(axis=0)
        total_sq += (gains**2).sum(axis=0)
        done += b
    mean = total / samples
    var = np.maximum(total_sq / samples - mean**2, 0.0)
    return mean, np.sqrt(var / samples)


def shapley_values(rxx: np.ndarray, rxy: np.ndarray, samples: int | None = None, seed: int = 0) -> tuple[np.ndarray, dict]:
    """Shapley values and how they were computed (``{"shapley": "exact"}`` or sampled with SEs)."""
    k = len(rxy)
    if k <= EXACT_MAX and samples is None:
        return exact(rxx, rxy), {"shapley": "exact", "subsets": 1 << k}
    n = samples or DEFAULT_SAMPLES
    mean, se = sampled(rxx, rxy, n, seed)
    return mean, {"shapley": "sampled", "orders": n, "seed": seed, "standard_errors": se.tolist()}
