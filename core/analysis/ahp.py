"""Weights from an expert panel: the analytic hierarchy process (Saaty).

Judgements compare the children of one node two at a time on Saaty's 1–9 scale:
``[a, b, 3]`` says a is 3 times as important as b (the reciprocal, b to a = 1/3, is
implied; fractions such as ``1/3`` may be written as numbers). From the reciprocal matrix
A:

* weights: the principal (Perron) eigenvector of A, normalised to sum 1;
* λmax its eigenvalue, the consistency index CI = (λmax − n) / (n − 1), and the
  consistency ratio CR = CI / RI with Saaty's random indices RI (n ≤ 2 is always
  consistent); CR above 0.1 is refused at validation unless the tenant allows it;
* the most inconsistent judgement: the one furthest from what the weights imply, by
  |ln(a_ij · w_j / w_i)|, so an expert knows which comparison to revisit;
* several experts: their matrices combine element by element by the geometric mean
  (which keeps the combined matrix reciprocal; Aczél & Saaty 1983).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from core.analysis.errors import AnalysisInputError

# Saaty's random consistency indices by matrix size (index = n).
RANDOM_INDEX = (0.0, 0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)
MAX_CR = 0.1
LOW, HIGH = 1 / 9, 9


def matrix(criteria: Sequence[str], judgements: Sequence[Sequence], where: str = "judgements") -> np.ndarray:
    """The reciprocal comparison matrix of one expert; every pair must be judged once."""
    names = list(criteria)
    if len(names) < 2:
        raise AnalysisInputError("criteria", "compare at least two criteria")
    if len(set(names)) != len(names):
        raise AnalysisInputError("criteria", "a criterion is listed twice")
    if len(names) >= len(RANDOM_INDEX):
        raise AnalysisInputError("criteria", f"at most {len(RANDOM_INDEX) - 1} criteria per node (Saaty's random indices)")
    pos = {n: i for i, n in enumerate(names)}
    a = np.eye(len(names))
    seen: dict[frozenset, int] = {}
    for k, item in enumerate(judgements):
        path = f"{where}.{k}"
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise AnalysisInputError(path, "a judgement is [a, b, how many times a is as important as b]")
        first, second, value = item
        for name in (first, second):
            if name not in pos:
                raise AnalysisInputError(path, f"unknown criterion {name!r}; criteria: {', '.join(names)}")
        if first == second:
            raise AnalysisInputError(path, "a criterion is not compared with itself")
        value = _value(value, path)
        pair = frozenset((first, second))
        if pair in seen:
            raise AnalysisInputError(path, f"{first} and {second} are already compared in judgement {seen[pair]}")
        seen[pair] = k
        i, j = pos[first], pos[second]
        a[i, j], a[j, i] = value, 1 / value
    missing = [f"{names[i]}/{names[j]}" for i in range(len(names)) for j in range(i + 1, len(names)) if frozenset((names[i], names[j])) not in seen]
    if missing:
        raise AnalysisInputError(where, f"pairs not judged: {', '.join(missing)}")
    return a


def _value(value, path: str) -> float:
    if isinstance(value, str) and "/" in value:
        top, _, bottom = value.partition("/")
        try:
            value = float(top) / float(bottom)
        except (ValueError, ZeroDivisionError):
            raise AnalysisInputError(path, f"{value!r} is not a number or a fraction") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AnalysisInputError(path, "the judgement must be a number from 1/9 to 9")
    if not LOW - 1e-9 <= value <= HIGH + 1e-9:
        raise AnalysisInputError(path, f"{value:g} is outside Saaty's scale 1/9 .. 9")
    return float(value)


def combine(matrices: Sequence[np.ndarray]) -> np.ndarray:
    """Several experts' matrices as one, by the element-wise geometric mean."""
    return np.exp(np.mean(np.log(np.stack(matrices)), axis=0))


def ahp(criteria: Sequence[str], judgements: Sequence[Sequence] | None = None, experts: Sequence[Sequence[Sequence]] | None = None) -> dict:
    """Weights, λmax, CI, CR and the most inconsistent judgement of one node.

    Give ``judgements`` (one expert) or ``experts`` (a list of judgement lists, combined
    by the geometric mean).
    """
    names = list(criteria)
    if (judgements is None) == (experts is None):
        raise AnalysisInputError("judgements", "give the judgements of one expert, or `experts` with several")
    if experts is not None:
        if not experts:
            raise AnalysisInputError("experts", "give at least one expert's judgements")
        a = combine([matrix(names, j, f"experts.{e}") for e, j in enumerate(experts)])
    else:
        a = matrix(names, judgements)
    values, vectors = np.linalg.eig(a)
    top = int(np.argmax(values.real))
    lam = float(values[top].real)
    w = np.abs(vectors[:, top].real)
    w = w / w.sum()
    n = len(names)
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ci = max(ci, 0.0) if abs(ci) < 1e-12 else ci
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri else 0.0
    error = np.abs(np.log(a * w[None, :] / w[:, None]))
    i, j = np.unravel_index(int(np.argmax(np.triu(error, 1))), error.shape)
    return {
        "analysis": "ahp",
        "method": "principal_eigenvector",
        "weights": dict(zip(names, w.tolist())),
        "lambda_max": lam,
        "ci": ci,
        "ri": ri,
        "cr": cr,
        "consistent": cr <= MAX_CR,
        "most_inconsistent": {"pair": [names[i], names[j]], "judged": float(a[i, j]), "implied": float(w[i] / w[j])},
        "experts": len(experts) if experts is not None else 1,
    }
