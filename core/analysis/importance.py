"""Derived importance of correlated drivers: each driver's part of R².

All three methods work from the correlation matrix of drivers and target (so listwise
and pairwise deletion differ only in how that matrix is estimated), and every one returns
importances that sum to the model's R², so ``share = importance / r2`` means the same for
each:

* ``relative_weights`` (Johnson 2000, "A heuristic method for estimating the relative
  weight of predictor variables in multiple regression"): the drivers are replaced by
  their closest orthogonal counterparts Z = X·Rxx^(−1/2); the target is regressed on Z
  (β = Λ⁻¹·rxy with Λ = Rxx^(1/2)) and each orthogonal variable's β² is shared back to the
  drivers in proportion to Λ²: ε_j = Σ_k Λ_jk² β_k².
* ``shapley``: the Shapley value of R² (``core.analysis.shapley``), which is general
  dominance in Budescu's dominance analysis.
* ``correlation``: the squared zero-order correlation r_j², as shares of Σ r_k², scaled to
  R² (a quick ranking that ignores the overlap between drivers; kept for comparison).
"""

from __future__ import annotations

import numpy as np

from core.analysis.errors import AnalysisInputError
from core.analysis.shapley import shapley_values

METHODS = ("relative_weights", "shapley", "correlation")
# Below this smallest eigenvalue of Rxx the drivers are treated as collinear.
COLLINEAR_EIGENVALUE = 1e-10


def r_squared(rxx: np.ndarray, rxy: np.ndarray) -> float:
    """R² of the regression of the target on all drivers: rxy' Rxx⁻¹ rxy."""
    return float(rxy @ np.linalg.solve(rxx, rxy))


def check_matrix(rxx: np.ndarray, codes: list[str]) -> None:
    """Refuse a correlation matrix no regression can use, naming the drivers at fault."""
    bad = [codes[i] for i in np.flatnonzero(~np.isfinite(np.diag(rxx)) | ~np.isfinite(rxx).all(axis=1))]
    if bad:
        raise AnalysisInputError("drivers", f"no variation (or too few answers) in {', '.join(bad)}: they cannot explain anything")
    values, vectors = np.linalg.eigh(rxx)
    if values[0] < COLLINEAR_EIGENVALUE:
        involved = [codes[i] for i in np.flatnonzero(np.abs(vectors[:, 0]) > 1e-6)]
        raise AnalysisInputError("drivers", f"{', '.join(involved)} are perfectly collinear; drop one of them")


def relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights ε_j; they sum to R²."""
    values, vectors = np.linalg.eigh(rxx)
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T  # Rxx^(1/2), symmetric
    beta = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta**2)


def correlation_importance(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """r_j² / Σ r_k², scaled to R²."""
    sq = rxy**2
    total = sq.sum()
    return np.zeros_like(sq) if total == 0 else sq / total * r_squared(rxx, rxy)


def importances(method: str, rxx: np.ndarray, rxy: np.ndarray, *, samples: int | None = None, seed: int = 0) -> tuple[np.ndarray, dict]:
    """The importances by ``method`` and what the method says about how it computed them."""
    if method == "relative_weights":
        return relative_weights(rxx, rxy), {}
    if method == "shapley":
        values, how = shapley_values(rxx, rxy, samples=samples, seed=seed)
        return values, how
    if method == "correlation":
        return correlation_importance(rxx, rxy), {}
    raise AnalysisInputError("method", f"unknown method {method!r}; one of {', '.join(METHODS)} (or stated)")
