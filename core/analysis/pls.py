"""PLS path model (Wold's algorithm, as R plspm implements it) and the ACSI-style index.

Constructs are blocks of questions (image, expectation, quality, value, satisfaction,
loyalty...) and ``paths`` says which constructs explain which (``{target: [its
predecessors]}``). The estimation follows R plspm (Sanchez, Trinchera & Russolillo) step
for step, so its published results can be reproduced to many digits:

1. The indicators are centred, and with ``scaled=True`` also divided by their standard
   deviation (the population one, √((N−1)/N)·s, as plspm does); ``scaled=False`` keeps
   the indicators' own units (plspm's ``scaled = FALSE``).
2. Outer weights start at 1 (scaled so each construct has unit variance) and iterate:
   outer estimates Y = X·W (standardised), inner weights E by ``scheme`` (``centroid``:
   the sign of the correlation of adjacent constructs; ``factorial``: the correlation;
   ``path``: for a predecessor, its coefficient in the regression of the construct on all
   its predecessors, for a follower the correlation), inner estimates Z = Y·E, then new
   weights (mode A: w = X'z / N, the covariances; mode B: the regression of z on the
   block). It stops when Σ(|w_old| − |w_new|)² < ``tol`` (plspm's 1e-6 by default), and
   an estimation still moving after ``max_iter`` rounds is refused.
3. Construct scores are X·W with W scaled to unit (population) variance; path
   coefficients and R² by least squares of each endogenous construct on its predecessors;
   loadings are the correlations of each indicator with its construct; communality =
   loading², redundancy = communality × R² of the construct; GoF = √(mean communality over
   the indicators of blocks with more than one indicator × mean R² of the endogenous
   constructs).

The index of a construct is ACSI's (Fornell et al. 1996): the outer weights rescaled to
the indicators' own units (w / σ when scaled) and normalised to sum 1, applied to the
indicators' means on their scale's range mapped to 0..100:
index = Σ w̃_i (x̄_i − min_i) / (max_i − min_i) × 100. With ``bootstrap=N`` the rows are
resampled N times (seeded) and each path gets a standard error and a 95 % percentile
interval.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from core.analysis.errors import AnalysisInputError

SCHEMES = ("centroid", "factorial", "path")
MODES = ("A", "B")
MAX_BOOTSTRAP = 5000


class Model:
    """The validated structure: constructs in order, their blocks, the path matrix."""

    def __init__(self, constructs: Mapping[str, Sequence[str]], paths: Mapping[str, Sequence[str]], modes: Mapping[str, str] | None):
        if not constructs:
            raise AnalysisInputError("constructs", "declare at least two constructs")
        self.names = list(constructs)
        self.blocks = {name: list(cols) for name, cols in constructs.items()}
        seen: dict[str, str] = {}
        for name, cols in self.blocks.items():
            if not cols:
                raise AnalysisInputError(f"constructs.{name}", "a construct needs at least one question")
            for col in cols:
                if col in seen:
                    raise AnalysisInputError(f"constructs.{name}", f"question {col!r} is already in construct {seen[col]!r}")
                seen[col] = name
        self.columns = [c for name in self.names for c in self.blocks[name]]
        pos = {n: i for i, n in enumerate(self.names)}
        k = len(self.names)
        self.path = np.zeros((k, k))
        for target, preds in (paths or {}).items():
            if target not in pos:
                raise AnalysisInputError(f"paths.{target}", f"unknown construct {target!r}; constructs: {', '.join(self.names)}")
            for p in preds:
                if p not in pos:
                    raise AnalysisInputError(f"paths.{target}", f"unknown construct {p!r}; constructs: {', '.join(self.names)}")
                if p == target:
                    raise AnalysisInputError(f"paths.{target}", "a construct cannot explain itself")
                self.path[pos[target], pos[p]] = 1
        if not self.path.any():
            raise AnalysisInputError("paths", "declare at least one path")
        _check_acyclic(self.names, self.path)
        linked = (self.path + self.path.T).any(axis=1)
        if not linked.all():
            alone = [n for n, ok in zip(self.names, linked) if not ok]
            raise AnalysisInputError("paths", f"construct(s) on no path: {', '.join(alone)}")
        modes = dict(modes or {})
        for name, mode in modes.items():
            if name not in pos:
                raise AnalysisInputError(f"modes.{name}", "unknown construct")
            if mode not in MODES:
                raise AnalysisInputError(f"modes.{name}", f"unknown mode {mode!r}; one of A, B")
        self.modes = [modes.get(n, "A") for n in self.names]
        self.block_of = np.array([pos[seen[c]] for c in self.columns])
        self.dummy = (self.block_of[:, None] == np.arange(k)[None, :]).astype(float)
        self.endogenous = self.path.any(axis=1)


def _check_acyclic(names: list[str], path: np.ndarray) -> None:
    remaining = set(range(len(names)))
    while remaining:
        free = [i for i in remaining if not any(path[i, j] for j in remaining)]
        if not free:
            raise AnalysisInputError("paths", f"the paths form a cycle among {', '.join(names[i] for i in sorted(remaining))}")
        remaining -= set(free)


def _standardise(y: np.ndarray, sdv: float) -> np.ndarray:
    return (y - y.mean(axis=0)) / y.std(axis=0, ddof=1) * sdv


def _inner_weights(scheme: str, model: Model, y: np.ndarray) -> np.ndarray:
    adjacent = model.path + model.path.T
    if scheme == "centroid":
        return np.sign(np.corrcoef(y, rowvar=False) * adjacent)
    if scheme == "factorial":
        return np.corrcoef(y, rowvar=False) * adjacent
    e = model.path.copy()
    corr = np.corrcoef(y, rowvar=False)
    for k in range(len(model.names)):
        preds = model.path[k] == 1
        if preds.any():
            e[preds, k] = np.linalg.lstsq(y[:, preds], y[:, k], rcond=None)[0]
        follows = model.path[:, k] == 1
        if follows.any():
            e[follows, k] = corr[k, follows]
    return e


def outer_weights(x: np.ndarray, model: Model, scheme: str, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """The outer weight matrix (indicators × constructs) and the iterations it took."""
    n = x.shape[0]
    sdv = np.sqrt((n - 1) / n)
    w = model.dummy / ((x @ model.dummy).std(axis=0, ddof=1) * sdv)
    w_old = w.sum(axis=1)
    for iteration in range(1, max_iter + 1):
        y = _standardise(x @ w, sdv)
        z = y @ _inner_weights(scheme, model, y)
        for j, mode in enumerate(model.modes):
            rows = model.block_of == j
            if mode == "A":
                w[rows, j] = z[:, j] @ x[:, rows] / n
            else:
                w[rows, j] = np.linalg.lstsq(x[:, rows], z[:, j], rcond=None)[0]
        w_new = w.sum(axis=1)
        if np.sum((np.abs(w_old) - np.abs(w_new)) ** 2) < tol:
            return w / ((x @ w).std(axis=0, ddof=1) * sdv), iteration
        w_old = w_new
    raise AnalysisInputError("pls", f"the outer weights did not converge in {max_iter} iterations (tolerance {tol:g})")


def _paths(scores: np.ndarray, model: Model) -> tuple[np.ndarray, np.ndarray]:
    """Path coefficient matrix B[target, predecessor] and R² per construct (0 if exogenous)."""
    k = len(model.names)
    b = np.zeros((k, k))
    r2 = np.zeros(k)
    for j in np.flatnonzero(model.endogenous):
        preds = model.path[j] == 1
        coef = np.linalg.lstsq(scores[:, preds], scores[:, j], rcond=None)[0]
        b[j, preds] = coef
        resid = scores[:, j] - scores[:, preds] @ coef
        r2[j] = 1 - resid @ resid / (scores[:, j] @ scores[:, j])
    return b, r2


def _prepare(frame: pd.DataFrame, model: Model, scaled: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    absent = [c for c in model.columns if c not in frame.columns]
    if absent:
        raise AnalysisInputError("constructs", f"no such question column: {', '.join(absent)}")
    raw = frame[model.columns].astype(float).dropna().to_numpy()
    n = raw.shape[0]
    if n < 3:
        raise AnalysisInputError("constructs", f"{n} complete response(s); the model needs at least 3")
    mean = raw.mean(axis=0)
    sd = raw.std(axis=0, ddof=1) * np.sqrt((n - 1) / n)
    flat = [c for c, s in zip(model.columns, sd) if s == 0]
    if flat:
        raise AnalysisInputError("constructs", f"no variation in {', '.join(flat)}")
    x = (raw - mean) / sd if scaled else raw - mean
    return raw, x, sd, n


def estimate(x: np.ndarray, model: Model, scheme: str, tol: float, max_iter: int) -> dict:
    """Weights, scores, paths and R² of one data matrix (already centred / scaled)."""
    w, iterations = outer_weights(x, model, scheme, tol, max_iter)
    scores = x @ w
    b, r2 = _paths(scores, model)
    return {"W": w, "scores": scores, "B": b, "r2": r2, "iterations": iterations}


def _edge(model: Model, target: int, pred: int) -> str:
    return f"{model.names[pred]}->{model.names[target]}"


def pls(
    frame: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    paths: Mapping[str, Sequence[str]],
    *,
    scheme: str = "centroid",
    scaled: bool = True,
    modes: Mapping[str, str] | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    tol: float = 1e-6,
    max_iter: int = 100,
    bootstrap: int = 0,
    seed: int = 0,
) -> dict:
    """Estimate the model on the complete rows of ``frame``; see the module for the output."""
    if scheme not in SCHEMES:
        raise AnalysisInputError("scheme", f"unknown scheme {scheme!r}; one of {', '.join(SCHEMES)}")
    if not isinstance(scaled, bool):
        raise AnalysisInputError("scaled", "must be true or false")
    if not isinstance(bootstrap, int) or isinstance(bootstrap, bool) or not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise AnalysisInputError("bootstrap", f"must be a whole number of resamples from 0 to {MAX_BOOTSTRAP}")
    model = Model(constructs, paths, modes)
    raw, x, sd, n = _prepare(frame, model, scaled)
    fit = estimate(x, model, scheme, tol, max_iter)
    w, scores, b, r2 = fit["W"], fit["scores"], fit["B"], fit["r2"]
    cols = model.columns
    weight = w[np.arange(len(cols)), model.block_of]
    xc = raw - raw.mean(axis=0)
    own = scores[:, model.block_of]
    loading = (xc * own).sum(axis=0) / np.sqrt((xc**2).sum(axis=0) * (own**2).sum(axis=0))
    communality = loading**2
    redundancy = communality * r2[model.block_of]
    blocks = {}
    for j, name in enumerate(model.names):
        rows = model.block_of == j
        blocks[name] = {
            "type": "endogenous" if model.endogenous[j] else "exogenous",
            "r2": float(r2[j]),
            "communality": float(communality[rows].mean()),
            "redundancy": float(redundancy[rows].mean()),
            "ave": float(communality[rows].mean()),
        }
    multi = np.bincount(model.block_of)[model.block_of] > 1
    gof = float(np.sqrt(communality[multi].mean() * r2[model.endogenous].mean())) if multi.any() else None
    total = np.linalg.inv(np.eye(len(model.names)) - b) - np.eye(len(model.names))
    edges = [(t, p) for t, p in zip(*np.nonzero(model.path))]
    out = {
        "analysis": "pls",
        "method": "pls_path_model",
        "scheme": scheme,
        "scaled": scaled,
        "modes": dict(zip(model.names, model.modes)),
        "n": n,
        "iterations": fit["iterations"],
        "paths": {_edge(model, t, p): float(b[t, p]) for t, p in edges},
        "r2": {model.names[j]: float(r2[j]) for j in np.flatnonzero(model.endogenous)},
        "outer_weights": dict(zip(cols, weight.tolist())),
        "loadings": dict(zip(cols, loading.tolist())),
        "communality": dict(zip(cols, communality.tolist())),
        "redundancy": dict(zip(cols, redundancy.tolist())),
        "blocks": blocks,
        "gof": gof,
        "effects": {
            _edge(model, t, p): {"direct": float(b[t, p]), "indirect": float(total[t, p] - b[t, p]), "total": float(total[t, p])}
            for t, p in zip(*np.nonzero(total)) if abs(total[t, p]) > 0
        },
        "index": index(raw, weight / sd if scaled else weight, model, ranges),
    }
    if bootstrap:
        out["bootstrap"] = _bootstrap(raw, model, scheme, scaled, tol, max_iter, bootstrap, seed, edges, b)
    return out


def index(raw: np.ndarray, raw_weight: np.ndarray, model: Model, ranges: Mapping[str, tuple[float, float]] | None) -> dict:
    """ACSI's 0..100 index of each construct (see the module); ranges default to the data's."""
    means = raw.mean(axis=0)
    lo = raw.min(axis=0).astype(float)
    hi = raw.max(axis=0).astype(float)
    for i, col in enumerate(model.columns):
        if ranges and col in ranges:
            lo[i], hi[i] = ranges[col]
    position = np.where(hi > lo, (means - lo) / np.where(hi > lo, hi - lo, 1), np.nan)
    out = {}
    for j, name in enumerate(model.names):
        rows = model.block_of == j
        wj = raw_weight[rows]
        total = wj.sum()
        out[name] = float(100 * (wj / total) @ position[rows]) if total else None
    return out


def _bootstrap(raw, model, scheme, scaled, tol, max_iter, resamples, seed, edges, b) -> dict:
    rng = np.random.default_rng(seed)
    n = raw.shape[0]
    draws = np.full((resamples, len(edges)), np.nan)
    for r in range(resamples):  # each resample is a full re-estimation of the model
        sample = raw[rng.integers(0, n, n)]
        sd = sample.std(axis=0, ddof=1)
        if (sd == 0).any():
            continue
        x = (sample - sample.mean(axis=0)) / sd if scaled else sample - sample.mean(axis=0)
        try:
            fit = estimate(x, model, scheme, tol, max_iter)
        except (AnalysisInputError, np.linalg.LinAlgError):
            continue
        draws[r] = [fit["B"][t, p] for t, p in edges]
    draws = draws[~np.isnan(draws).any(axis=1)]
    out = {"resamples": resamples, "used": int(len(draws)), "seed": seed, "paths": {}}
    for i, (t, p) in enumerate(edges):
        col = draws[:, i]
        out["paths"][_edge(model, t, p)] = {
            "estimate": float(b[t, p]),
            "standard_error": float(col.std(ddof=1)) if len(col) > 1 else None,
            "ci": [float(v) for v in np.percentile(col, [2.5, 97.5])] if len(col) else None,
        }
    return out
