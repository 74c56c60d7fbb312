"""Period over period: each group of a breakdown by ``period`` tested against another.

``compare=previous`` compares every group with the group of the same other keys (segment,
touchpoint …) in the period before it among those with responses; ``compare=2026-03``
(a period label of the requested length: ``2026-03``, ``2026Q1`` or ``2026``) compares
every group with that period's. Each comparison says what it is compared with and, for
the CSI and every node:

* ``score``: the difference of the scores as reported (points on 0..100), tested with
  Welch's t-test on the respondents' indices: their variances and counts
  (``core.scoring.spread``) give the standard error and Welch–Satterthwaite's degrees of
  freedom; when every respondent answers every question the scores are the means of the
  indices and this is exactly ``scipy.stats.ttest_ind(..., equal_var=False)``;
* ``satisfaction_rate`` (questions whose scale marks satisfied options): the
  two-proportion z-test; ``nps`` (NPS questions): z with the NPS variance formula.

Each carries the difference, its 95 % margin of error, the p-value, ``significant``
(p < 0.05), both n and ``low_n``. A group without a counterpart has no ``compare``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from core.analysis.significance import nps_difference, two_proportions, welch_stats
from core.scoring.errors import ScoringInputError
from core.scoring.groups import PERIOD
from core.scoring.result import NodeValue, ScoreResult

PREVIOUS = "previous"
LABELS = {"month": (r"[0-9]{4}-(0[1-9]|1[0-2])", "2026-03"), "quarter": (r"[0-9]{4}Q[1-4]", "2026Q1"), "year": (r"[0-9]{4}", "2026")}


def check_compare(compare: str | None, by: tuple[str, ...], period: str | None) -> None:
    """Refuse a ``compare`` the request cannot answer, naming ``compare``."""
    if compare is None:
        return
    if PERIOD not in by or period is None:
        raise ScoringInputError("compare needs `period` among the breakdown keys (by=period)", "compare")
    if compare == PREVIOUS:
        return
    pattern, example = LABELS[period]
    if not isinstance(compare, str) or not re.fullmatch(pattern, compare):
        raise ScoringInputError(f"compare must be `previous` or a {period} label such as {example}, not {compare!r}", "compare")


def compare_periods(result: ScoreResult, compare: str, min_n: int) -> ScoreResult:
    """``result`` with each group's ``compare`` filled in (see the module docstring)."""
    at = result.group_by.index(PERIOD)
    labels = {}  # (other keys, period) -> group label
    for label, group in result.groups.items():
        labels[(_others(group.key, at), group.key[at])] = label
    periods: dict[tuple, list[str]] = {}
    for others, period in labels:
        if period is not None:
            periods.setdefault(others, []).append(period)
    groups = {}
    for label, group in result.groups.items():
        others, period = _others(group.key, at), group.key[at]
        target = _counterpart(periods.get(others, []), period, compare)
        other = result.groups.get(labels.get((others, target))) if target is not None else None
        if other is None:
            groups[label] = group
            continue
        tested = {
            "with": other.label,
            "csi": _score_test(NodeValue(group.csi, group.n, spread=group.spread), NodeValue(other.csi, other.n, spread=other.spread), min_n),
            "nodes": {code: _node_test(v, other.nodes[code], min_n) for code, v in group.nodes.items() if v.spread is not None},
        }
        groups[label] = replace(group, compare=tested)
    return replace(result, groups=groups, compare=compare)


def _others(key: tuple, at: int) -> tuple:
    return key[:at] + key[at + 1 :]


def _counterpart(periods: list[str], period: str | None, compare: str) -> str | None:
    if period is None:
        return None
    if compare != PREVIOUS:
        return compare if compare != period else None
    earlier = [p for p in periods if p < period]
    return max(earlier) if earlier else None


def _score_test(a: NodeValue, b: NodeValue, min_n: int) -> dict:
    sa, sb = a.spread, b.spread
    return welch_stats(a.score, sa.variance, sa.count, b.score, sb.variance, sb.count, min_n)


def _node_test(a: NodeValue, b: NodeValue, min_n: int) -> dict:
    out = {"score": _score_test(a, b, min_n)}
    if a.has_rate:
        out["satisfaction_rate"] = two_proportions(a.spread.satisfied, a.n, b.spread.satisfied, b.n, min_n)
    if a.is_nps:
        sa, sb = a.spread, b.spread
        out["nps"] = nps_difference(sa.promoters, sa.detractors, a.n, sb.promoters, sb.detractors, b.n, min_n)
    return out
