"""How much respondents differ: the count, mean and variance behind every score.

A margin of error (1.96 × sd / √n) and a test of a difference (Welch's t) both need, per
group of responses, how many respondents have a value and the variance of their values:

* for a question, the respondents' normalised answers (from the option counts per group
  for an ordinal question, one extra ``np.bincount`` for a numeric one);
* for a group of the tree (and the root, the CSI) and for a touchpoint, each
  respondent's own index: the roll-up applied to that respondent's answers
  (``respondent_moments``), computed ``RESPONDENT_ROWS`` respondents at a time.

Moments are gathered per group with ``np.bincount`` around a shift (the group's own score,
close to the mean, so Σd² − (Σd)²/n loses no digits), and the overall row is combined
from the groups exactly (Chan et al.: M2 = Σ M2_g + Σ n_g (mean_g − mean)²). Nothing loops
over responses in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from core.analysis.significance import Z_95
from core.model import IndicatorSet
from core.scoring.answers import Encoded, option_lut
from core.scoring.tree import TreePlan

# Respondents rolled up at once: a slice stays in the CPU caches, and a million
# respondents never need a float column per question at once (20 questions × 8 MB).
RESPONDENT_ROWS = 65_536


@dataclass(frozen=True)
class Moments:
    """Per group (rows 0..G−1) and overall (row G): count, mean and Σ (x − mean)²."""

    count: np.ndarray
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def of_groups(cls, count: np.ndarray, mean: np.ndarray, m2: np.ndarray) -> "Moments":
        """The groups' moments with the overall row appended (exact combination)."""
        count = np.asarray(count, dtype=np.float64)
        mean = np.where(count > 0, mean, 0.0)
        m2 = np.where(count > 0, m2, 0.0)
        total = count.sum()
        overall = (count * mean).sum() / total if total > 0 else np.nan
        m2_all = m2.sum() + (count * (mean - (overall if total > 0 else 0.0)) ** 2).sum()
        return cls(np.append(count, total), np.append(mean, overall), np.append(m2, m2_all))

    def variance(self) -> np.ndarray:
        """Sample variance (ddof 1) per row; NaN below 2 values."""
        out = np.full(len(self.count), np.nan)
        ok = self.count >= 2
        out[ok] = np.maximum(self.m2[ok], 0.0) / (self.count[ok] - 1)
        return out

    def margin(self) -> np.ndarray:
        """The 95 % margin of error of the mean, 1.96 × sd / √n per row; NaN below 2."""
        out = np.full(len(self.count), np.nan)
        ok = self.count >= 2
        out[ok] = Z_95 * np.sqrt(self.variance()[ok] / self.count[ok])
        return out


def option_moments(per_option: np.ndarray, lut: np.ndarray) -> Moments:
    """Moments of an ordinal question from its answers per group × option (``per_option``)
    and each option's normalised score (``lut``): two passes over a G × k table."""
    count = per_option.sum(axis=1).astype(np.float64)
    mean = np.divide(per_option @ lut, count, out=np.zeros(len(count)), where=count > 0)
    m2 = (per_option * (lut[None, :] - mean[:, None]) ** 2).sum(axis=1)
    return Moments.of_groups(count, mean, m2)


def value_moments(x: np.ndarray, g: np.ndarray, G: int) -> Moments:
    """Moments of numeric values per group (NaN = no value): means, then squared deviations."""
    has = ~np.isnan(x)
    count = np.bincount(g, weights=has, minlength=G)
    total = np.bincount(g, weights=np.where(has, x, 0.0), minlength=G)
    mean = np.divide(total, count, out=np.zeros(G), where=count > 0)
    m2 = np.bincount(g, weights=np.where(has, x - mean[g], 0.0) ** 2, minlength=G)
    return Moments.of_groups(count, mean, m2)


class _Accumulator:
    """Moments of values arriving slice by slice, per group, around a fixed shift."""

    def __init__(self, shift: np.ndarray):
        self.shift = np.nan_to_num(np.asarray(shift, dtype=np.float64))
        G = len(self.shift)
        self.count, self.s1, self.s2 = np.zeros(G), np.zeros(G), np.zeros(G)

    def add(self, filled: np.ndarray, has: np.ndarray, g: np.ndarray, per_group: np.ndarray) -> None:
        """``filled``: the values, 0 where ``has`` is False; ``per_group``: rows per group."""
        G = len(self.shift)
        d = (filled - self.shift[g]) * has
        self.count += per_group if has.all() else np.bincount(g, weights=has, minlength=G)
        self.s1 += np.bincount(g, weights=d, minlength=G)
        self.s2 += np.bincount(g, weights=d * d, minlength=G)

    def moments(self) -> Moments:
        c = self.count
        offset = np.divide(self.s1, c, out=np.zeros(len(c)), where=c > 0)
        return Moments.of_groups(c, self.shift + offset, self.s2 - self.s1 * offset)


class _OverallAccumulator(_Accumulator):
    """The same over everybody at once (one group), for figures reported overall only."""

    def add(self, filled: np.ndarray, has: np.ndarray, g=None, per_group=None) -> None:
        d = (filled - self.shift[0]) * has
        self.count[0] += np.count_nonzero(has)
        self.s1[0] += d.sum()
        self.s2[0] += (d * d).sum()


class _Slice:
    """One slice of respondents: each column read once, as (value with 0 where missing,
    has a value), and the weighted means of children over it."""

    def __init__(self, encoded: Encoded, luts: dict, reverse: dict, rows: slice):
        self.encoded, self.luts, self.reverse, self.rows = encoded, luts, reverse, rows
        self.m = rows.stop - rows.start
        self.values: dict = {}

    def column(self, code):
        if code not in self.values:
            col = self.encoded.columns.get(code)
            if code in self.luts:
                positions = col.option_index[self.rows].astype(np.intp)  # gathers with intp are ~3× faster than with int8
                self.values[code] = (self.luts[code][positions], positions >= 0)
            elif col is not None:
                x = col.normalised(self.reverse[code], self.rows)
                has = ~np.isnan(x)
                self.values[code] = (np.where(has, x, 0.0), has)
            else:
                self.values[code] = None
        return self.values[code]

    def combine(self, children, weights) -> tuple[np.ndarray, np.ndarray]:
        """Σ weight × value / Σ weight over the children with a value, and where any has one."""
        num, den = np.zeros(self.m), np.zeros(self.m)
        for child, w in zip(children, weights):
            found = self.column(child)
            if found is not None:
                num += found[0] * w
                den += found[1] * w
        has = den > 0
        return np.divide(num, den, out=np.zeros(self.m), where=has), has


def respondent_moments(
    plan: TreePlan,
    iset: IndicatorSet,
    encoded: Encoded,
    g: np.ndarray,
    G: int,
    shifts: Mapping[str | None, np.ndarray],
    touchpoints: Mapping[str, tuple[tuple[str, ...], np.ndarray]],
    touchpoint_shifts: Mapping[str, float],
) -> tuple[dict[str | None, Moments], dict[str, Moments]]:
    """Moments of each respondent's index at every group of the tree (root: None), per
    group of responses, and at every touchpoint (its questions, ``(codes, weights)``),
    over everybody (rows: the one group, then everybody).

    Each index is the roll-up's definition (Σ weight × score over the children with data,
    divided by the sum of those weights) over one respondent's answers, accumulated child
    by child on a slice of respondents: an ordinal answer's score comes from a lookup
    table by its option position (blank → 0, and not counted in the weights), each
    question's column is read once per slice and shared by the tree and the touchpoints.
    ``shifts`` are the groups' scores, ``touchpoint_shifts`` the touchpoints' (see the
    module docstring).
    """
    n = encoded.n
    reverse = {q: iset.node(q).reverse for q in plan.questions}
    luts = {}
    for q in plan.questions:
        col = encoded.columns.get(q)
        if col is not None and col.option_index is not None:
            luts[q] = np.append(option_lut(col.scale, reverse[q]), 0.0)  # position −1 (blank) → 0
    nodes = {step.code: _Accumulator(shifts[step.code]) for step in plan.steps}
    tps = {tp: _OverallAccumulator(np.array([touchpoint_shifts[tp]])) for tp in touchpoints}

    for lo in range(0, n, RESPONDENT_ROWS):
        part = _Slice(encoded, luts, reverse, slice(lo, min(n, lo + RESPONDENT_ROWS)))
        gr = g[part.rows]
        per_group = np.bincount(gr, minlength=G).astype(np.float64)
        for step in plan.steps:
            part.values[step.code] = part.combine(step.children, step.weights)
            nodes[step.code].add(*part.values[step.code], gr, per_group)
        for tp, (codes, weights) in touchpoints.items():
            tps[tp].add(*part.combine(codes, weights))
    return {k: a.moments() for k, a in nodes.items()}, {k: a.moments() for k, a in tps.items()}
