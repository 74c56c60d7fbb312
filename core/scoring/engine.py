"""The scoring run: answers in, CSI with its tree, touchpoints and groups out.

Definitions (each node's score on 0..100):

* an answer is normalised to (score − min) / (max − min) × 100, mirrored when reversed;
* a question's score is the mean over the responses that answered it;
* a group's score is Σ weight × child score over the children with data, the weights
  renormalised over those children; the CSI is the score of the root;
* n is the answered count for a question, and for a group (or the root) the number of
  responses with at least one scored answer beneath it;
* every score carries its 95 % margin of error, 1.96 × sd / √n of the respondents'
  values: a question's normalised answers, and for a group, the root (the CSI) and a
  touchpoint each respondent's own index, the same roll-up applied to that respondent's
  answers (``core.scoring.spread``); a satisfaction rate 1.96 × √(p(1−p)/n), an NPS
  1.96 × 100 × √(var/n) with the NPS variance formula (``core.analysis.significance``);
* ``low_n`` flags a figure whose n is below ``min_n`` (default 30);
* with ``compare`` and ``period`` among the keys, each group is tested against the same
  group in the previous (or a named) period (``core.scoring.compare``).

How it stays fast: rows are split into groups once (an integer id per response); every
question is then reduced to per-group sums and counts with one ``np.bincount`` (for an
ordinal question, a count per group × option, from which sums, distributions and
satisfaction rates all follow); the tree is rolled up on those small tables, and a
second time on the respondents' answer columns for the spread of the respondent indices. Nothing loops
over responses in Python.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from core.analysis.significance import DEFAULT_MIN_N, Z_95, nps_variance
from core.model import IndicatorSet, ScaleKind
from core.model.scale import NPS_DETRACTOR_MAX, NPS_PROMOTER_MIN
from core.scoring.answers import Encoded, encode, option_lut
from core.scoring.compare import check_compare, compare_periods
from core.scoring.errors import AnswerValidationError
from core.scoring.groups import Grouping, group_rows
from core.scoring.result import GroupScore, NodeScore, NodeValue, ScoreResult, Spread, clean
from core.scoring.spread import Moments, option_moments, respondent_moments, value_moments
from core.scoring.tree import TreePlan, answered_beneath, rollup


def score(
    responses: pd.DataFrame,
    iset: IndicatorSet,
    by: Sequence[str] = (),
    period: str | None = None,
    canonical: bool = False,
    min_n: int = DEFAULT_MIN_N,
    compare: str | None = None,
) -> ScoreResult:
    """Score ``responses`` against ``iset``, overall and per group of ``by``.

    ``canonical=True`` is for answers read back from storage: ordinal cells must be option
    codes (labels are refused as corrupt data), which skips the spelling resolution that
    uploads need. Either way an answer that does not fit its scale raises
    ``AnswerValidationError``; a request that does not fit the data (unknown ``by``
    column, bad ``period`` or ``compare``) raises ``ScoringInputError`` before any answer
    is read. ``min_n`` is the n below which a figure is flagged ``low_n``; ``compare``
    (``previous`` or a period label) tests each period's group against another's.
    """
    by = (by,) if isinstance(by, str) else tuple(by)
    grouping = group_rows(responses, by, period, [q.code for q in iset.questions])
    check_compare(compare, by, period)
    encoded = encode(responses, iset, lenient=not canonical)
    if encoded.errors.total:
        raise AnswerValidationError(encoded.errors)
    return score_encoded(encoded, iset, grouping, min_n, compare)


def score_encoded(
    encoded: Encoded, iset: IndicatorSet, grouping: Grouping, min_n: int = DEFAULT_MIN_N, compare: str | None = None
) -> ScoreResult:
    """Score answers already encoded and validated (see ``answers.encode``)."""
    plan = TreePlan.of(iset)
    g, G, n = grouping.codes, grouping.count, encoded.n
    totals = _QuestionTotals(plan, iset, encoded, g, G)

    # Small tables: one row per group plus a last row for everybody.
    node_scores = rollup(plan, {q: totals.score[:, j] for j, q in enumerate(plan.questions)})
    members = _touchpoint_members(iset)
    tp_scores = _touchpoint_scores(plan, members, totals.score)

    # Respondent level: the same roll-up over each respondent's own answers.
    answered = {
        q: encoded.columns[q].answered if q in encoded.columns else np.zeros(n, dtype=bool)
        for q in plan.questions
    }
    beneath = answered_beneath(plan, answered)
    node_n = {step.code: _per_group(g, G, beneath[step.code]) for step in plan.steps}
    shifts = {step.code: node_scores[step.code][:G] for step in plan.steps}
    tp_shifts = {tp: float(np.nan_to_num(tp_scores[tp][G])) for tp in members}
    node_moments, tp_moments = respondent_moments(plan, iset, encoded, g, G, shifts, members, tp_shifts)
    keep = compare is not None  # the spread behind each figure: only tests of differences need it
    # Per node, every row's figures as Python numbers (None = no value), built once.
    node_rows = {
        code: (_listed(node_scores[code]), node_n[code].astype(np.int64).tolist(), _listed(m.margin()),
               m.count.astype(np.int64).tolist(), _listed(m.variance()))
        for code, m in node_moments.items()
    }

    text_n = {
        q.code: _per_group(g, G, encoded.columns[q.code].answered).astype(np.int64).tolist()
        if q.code in encoded.columns
        else [0] * (G + 1)
        for q in iset.questions
        if not iset.scales[q.scale].scored
    }
    q_pos = {q: j for j, q in enumerate(plan.questions)}

    def value(code: str | None, row: int) -> NodeValue:
        if code in text_n:
            count = text_n[code][row]
            return NodeValue(None, count, low_n=count < min_n)
        if code in q_pos:
            return totals.value(code, row, min_n, keep)
        scores, counts, moe, spread_n, variance = node_rows[code]
        spread = Spread(spread_n[row], variance[row]) if keep else None
        return NodeValue(scores[row], counts[row], moe[row], counts[row] < min_n, spread=spread)

    everybody = G
    nodes = {}
    for node, parent in iset.walk():
        v = value(node.code, everybody)
        common = dict(
            code=node.code,
            parent=None if parent is None else parent.code,
            weight=float(node.weight),
            score=v.score,
            n=v.n,
            margin_of_error=v.margin_of_error,
            low_n=v.low_n,
        )
        if not node.is_question:
            nodes[node.code] = NodeScore(kind="group", **common)
        else:
            figures = dict(satisfaction_rate=v.satisfaction_rate, satisfaction_rate_margin_of_error=v.satisfaction_rate_margin_of_error,
                           nps=v.nps, nps_margin_of_error=v.nps_margin_of_error, is_nps=v.is_nps)
            nodes[node.code] = NodeScore(kind="question", **common, **figures, distribution=totals.distribution(node.code, encoded))

    groups = {}
    if grouping.by:
        codes = [node.code for node, _ in iset.walk()]
        for row, (label, key) in enumerate(zip(grouping.labels, grouping.keys)):
            root = value(None, row)
            groups[label] = GroupScore(
                label=label,
                key=key,
                csi=root.score,
                n=root.n,
                margin_of_error=root.margin_of_error,
                low_n=root.low_n,
                spread=root.spread,
                nodes={c: value(c, row) for c in codes},
            )

    touchpoints = {}
    for tp, (tp_codes, _) in members.items():
        count = int(np.count_nonzero(np.logical_or.reduce([answered[c] for c in tp_codes])))
        touchpoints[tp] = NodeValue(clean(tp_scores[tp][everybody]), count, clean(tp_moments[tp].margin()[-1]), count < min_n)

    root = value(None, everybody)
    result = ScoreResult(
        indicator_set=iset.code,
        csi=root.score,
        n=root.n,
        margin_of_error=root.margin_of_error,
        nodes=nodes,
        touchpoints=touchpoints,
        group_by=grouping.by,
        groups=groups,
        min_n=min_n,
        low_n=root.low_n,
    )
    return compare_periods(result, compare, min_n) if compare is not None else result


class _QuestionTotals:
    """Per group (rows 0..G−1) and overall (row G): answered count, mean and spread of each
    question, and the counts behind its satisfaction rate and NPS."""

    def __init__(self, plan: TreePlan, iset: IndicatorSet, encoded: Encoded, g: np.ndarray, G: int):
        self.iset = iset
        Q = len(plan.questions)
        sums = np.zeros((G + 1, Q))
        count = np.zeros((G + 1, Q))
        self.option_counts: dict[str, np.ndarray] = {}
        self.moments: dict[str, Moments] = {}
        self.satisfied: dict[str, np.ndarray] = {}
        self.promoters: dict[str, np.ndarray] = {}
        self.detractors: dict[str, np.ndarray] = {}
        empty = Moments.of_groups(np.zeros(G), np.zeros(G), np.zeros(G))
        for j, q in enumerate(plan.questions):
            col = encoded.columns.get(q)
            scale = iset.scales[iset.node(q).scale]
            satisfied = [i for i, o in enumerate(scale.options or ()) if o.satisfied] if scale.kind is ScaleKind.ORDINAL else []
            if col is None or G == 0:
                self.moments[q] = empty
                if satisfied:
                    self.satisfied[q] = np.zeros(G + 1)
                if scale.kind is ScaleKind.NPS:
                    self.promoters[q] = self.detractors[q] = np.zeros(G + 1)
                continue
            reverse = iset.node(q).reverse
            if col.option_index is not None:
                # One bincount gives answers per group × option; everything else follows.
                k = len(col.scale.options)
                slot = col.option_index + 1  # slot 0 = not answered
                key = slot if G == 1 else g * (k + 1) + slot
                per_option = np.bincount(key, minlength=G * (k + 1)).reshape(G, k + 1)[:, 1:]
                self.option_counts[q] = per_option.sum(axis=0)
                count[:G, j] = per_option.sum(axis=1)
                lut = option_lut(col.scale, reverse)
                sums[:G, j] = per_option @ lut
                self.moments[q] = option_moments(per_option, lut)
                if satisfied:
                    self.satisfied[q] = _with_total(per_option[:, satisfied].sum(axis=1))
            else:
                x = col.normalised(reverse)
                has = ~np.isnan(x)
                count[:G, j] = np.bincount(g, weights=has, minlength=G)
                sums[:G, j] = np.bincount(g, weights=np.where(has, x, 0.0), minlength=G)
                self.moments[q] = value_moments(x, g, G)
                if scale.kind is ScaleKind.NPS:
                    with np.errstate(invalid="ignore"):
                        self.promoters[q] = _with_total(np.bincount(g, weights=col.values >= NPS_PROMOTER_MIN, minlength=G))
                        self.detractors[q] = _with_total(np.bincount(g, weights=col.values <= NPS_DETRACTOR_MAX, minlength=G))
        sums[G] = sums[:G].sum(axis=0)
        count[G] = count[:G].sum(axis=0)
        self.count = count
        self.score = _ratio(sums, count)
        self.rows = {q: self._rows(q, j) for j, q in enumerate(plan.questions)}

    def _rows(self, code: str, j: int) -> dict:
        """Every row's figures of one question as Python numbers (None = no value): score,
        n, margin, spread; satisfaction rate and NPS with their margins where they apply."""
        n = self.count[:, j]
        var = self.moments[code].variance()
        with np.errstate(invalid="ignore", divide="ignore"):
            out = {"score": _listed(self.score[:, j]), "n": n.astype(np.int64).tolist(),
                   "moe": _listed(Z_95 * np.sqrt(var / n)), "variance": _listed(var)}
            hits = self.satisfied.get(code)
            if hits is not None:
                rate = hits / n
                out.update(hits=hits.astype(np.int64).tolist(), rate=_listed(rate), rate_moe=_listed(Z_95 * np.sqrt(rate * (1 - rate) / n)))
            promoters, detractors = self.promoters.get(code), self.detractors.get(code)
            if promoters is not None:
                out.update(promoters=promoters.astype(np.int64).tolist(), detractors=detractors.astype(np.int64).tolist(),
                           nps=_listed((promoters - detractors) / n * 100.0),
                           nps_moe=_listed(Z_95 * 100.0 * np.sqrt(nps_variance(promoters, detractors, n) / n)))
        return out

    def value(self, code: str, row: int, min_n: int, keep: bool) -> NodeValue:
        """The question's figures in one row: score, n, margins, rate and NPS."""
        r = self.rows[code]
        n = r["n"][row]
        figures: dict = {}
        if "rate" in r:
            figures.update(has_rate=True, satisfaction_rate=r["rate"][row], satisfaction_rate_margin_of_error=r["rate_moe"][row])
        if "nps" in r:
            figures.update(is_nps=True, nps=r["nps"][row], nps_margin_of_error=r["nps_moe"][row])
        spread = None
        if keep:
            pick = lambda key: r[key][row] if key in r else None  # noqa: E731
            spread = Spread(n, r["variance"][row], pick("hits"), pick("promoters"), pick("detractors"))
        return NodeValue(r["score"][row], n, r["moe"][row], n < min_n, spread=spread, **figures)

    def distribution(self, code: str, encoded: Encoded) -> dict | None:
        """Answers per option code (ordinal) or per distinct value, over everybody."""
        scale = self.iset.scales[self.iset.node(code).scale]
        col = encoded.columns.get(code)
        if not scale.scored:
            return None
        if scale.kind is ScaleKind.ORDINAL:
            counts = self.option_counts.get(code, np.zeros(len(scale.options), dtype=np.int64))
            return {o.code: int(c) for o, c in zip(scale.options, counts)}
        values = np.empty(0) if col is None else col.values[~np.isnan(col.values)]
        uniq, counts = np.unique(values, return_counts=True)
        return {_number_key(v): int(c) for v, c in zip(uniq, counts)}


def _touchpoint_members(iset: IndicatorSet) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
    """Per question-level touchpoint: its scored questions and their global weights."""
    weights = iset.global_weights()
    members: dict[str, list[str]] = {}
    for q in iset.scored_questions:
        if q.touchpoint:
            members.setdefault(q.touchpoint, []).append(q.code)
    return {tp: (tuple(codes), np.array([weights[c] for c in codes], dtype=np.float64)) for tp, codes in members.items()}


def _touchpoint_scores(plan: TreePlan, members: dict, q_scores: np.ndarray) -> dict[str, np.ndarray]:
    """Per touchpoint and row: weighted mean of its questions' scores, the questions' global
    weights renormalised over those with data (n: responses answering at least one)."""
    pos = {q: j for j, q in enumerate(plan.questions)}
    out = {}
    for tp, (codes, w) in members.items():
        s = q_scores[:, [pos[c] for c in codes]]
        has = ~np.isnan(s)
        out[tp] = _ratio(np.where(has, s, 0.0) @ w, has @ w)
    return out


def _listed(values: np.ndarray) -> list:
    """An array as Python floats, None where not finite (the one spelling of "no value")."""
    return [v if math.isfinite(v) else None for v in np.asarray(values, dtype=np.float64).tolist()]


def _with_total(per_group: np.ndarray) -> np.ndarray:
    return np.append(per_group, per_group.sum())


def _per_group(g: np.ndarray, G: int, flags: np.ndarray) -> np.ndarray:
    """How many rows are flagged in each group, plus the total in the last slot."""
    per = np.bincount(g, weights=flags, minlength=G)
    return np.append(per, per.sum())


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _number_key(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))
