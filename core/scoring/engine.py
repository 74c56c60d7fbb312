"""The scoring run: answers in, CSI with its tree, touchpoints and groups out.

Definitions (each node's score on 0..100):

* an answer is normalised to (score − min) / (max − min) × 100, mirrored when reversed;
* a question's score is the mean over the responses that answered it;
* a group's score is Σ weight × child score over the children with data, the weights
  renormalised over those children; the CSI is the score of the root;
* n is the answered count for a question, and for a group (or the root) the number of
  responses with at least one scored answer beneath it;
* the margin of error is 1.96 × sd / √n of the respondent indices, where each
  respondent's index is the same roll-up applied to that respondent's own answers.

How it stays fast: rows are split into groups once (an integer id per response); every
question is then reduced to per-group sums and counts with one ``np.bincount`` (for an
ordinal question, a count per group × option, from which sums, distributions and
satisfaction rates all follow); the tree is rolled up on those small tables, and a
second time on the respondents' answer columns for the respondent indices. Nothing loops
over responses in Python.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from core.model import IndicatorSet, ScaleKind
from core.model.scale import NPS_DETRACTOR_MAX, NPS_PROMOTER_MIN
from core.scoring.answers import Encoded, encode, option_lut
from core.scoring.errors import AnswerValidationError
from core.scoring.groups import Grouping, group_rows
from core.scoring.result import GroupScore, NodeScore, NodeValue, ScoreResult, clean
from core.scoring.tree import TreePlan, answered_beneath, rollup

Z_95 = 1.96
# Respondents rolled up at once (see _respondent_index).
RESPONDENT_ROWS = 65_536


def score(
    responses: pd.DataFrame,
    iset: IndicatorSet,
    by: Sequence[str] = (),
    period: str | None = None,
    canonical: bool = False,
) -> ScoreResult:
    """Score ``responses`` against ``iset``, overall and per group of ``by``.

    ``canonical=True`` is for answers read back from storage: ordinal cells must be option
    codes (labels are refused as corrupt data), which skips the spelling resolution that
    uploads need. Either way an answer that does not fit its scale raises
    ``AnswerValidationError``; a request that does not fit the data (unknown ``by``
    column, bad ``period``) raises ``ScoringInputError`` before any answer is read.
    """
    by = (by,) if isinstance(by, str) else tuple(by)
    grouping = group_rows(responses, by, period, [q.code for q in iset.questions])
    encoded = encode(responses, iset, lenient=not canonical)
    if encoded.errors.total:
        raise AnswerValidationError(encoded.errors)
    return score_encoded(encoded, iset, grouping)


def score_encoded(encoded: Encoded, iset: IndicatorSet, grouping: Grouping) -> ScoreResult:
    """Score answers already encoded and validated (see ``answers.encode``)."""
    plan = TreePlan.of(iset)
    g, G, n = grouping.codes, grouping.count, encoded.n
    totals = _QuestionTotals(plan, iset, encoded, g, G)

    # Small tables: one row per group plus a last row for everybody.
    node_scores = rollup(plan, {q: totals.score[:, j] for j, q in enumerate(plan.questions)})

    # Respondent level: the same roll-up over each respondent's own answers.
    answered = {
        q: encoded.columns[q].answered if q in encoded.columns else np.zeros(n, dtype=bool)
        for q in plan.questions
    }
    index = _respondent_index(plan, iset, encoded)
    beneath = answered_beneath(plan, answered)
    node_n = {step.code: _per_group(g, G, beneath[step.code]) for step in plan.steps}
    moe = _margins(index, g, G)

    text_n = {
        q.code: _per_group(g, G, encoded.columns[q.code].answered)
        if q.code in encoded.columns
        else np.zeros(G + 1)
        for q in iset.questions
        if not iset.scales[q.scale].scored
    }
    q_pos = {q: j for j, q in enumerate(plan.questions)}

    def value(code: str, row: int) -> NodeValue:
        if code in text_n:
            return NodeValue(None, int(text_n[code][row]))
        if code in q_pos:
            return NodeValue(clean(totals.score[row, q_pos[code]]), int(totals.count[row, q_pos[code]]))
        return NodeValue(clean(node_scores[code][row]), int(node_n[code][row]))

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
        )
        if not node.is_question:
            nodes[node.code] = NodeScore(kind="group", **common)
        else:
            nodes[node.code] = NodeScore(kind="question", **common, **totals.details(node.code, encoded))

    groups = {}
    if grouping.by:
        codes = [node.code for node, _ in iset.walk()]
        for row, (label, key) in enumerate(zip(grouping.labels, grouping.keys)):
            groups[label] = GroupScore(
                label=label,
                key=key,
                csi=clean(node_scores[None][row]),
                n=int(node_n[None][row]),
                margin_of_error=clean(moe[row]),
                nodes={c: value(c, row) for c in codes},
            )

    return ScoreResult(
        indicator_set=iset.code,
        csi=clean(node_scores[None][everybody]),
        n=int(node_n[None][everybody]),
        margin_of_error=clean(moe[everybody]),
        nodes=nodes,
        touchpoints=_touchpoints(iset, plan, totals.score[everybody], answered),
        group_by=grouping.by,
        groups=groups,
    )


class _QuestionTotals:
    """Per group (rows 0..G−1) and overall (row G): answered count and mean of each question."""

    def __init__(self, plan: TreePlan, iset: IndicatorSet, encoded: Encoded, g: np.ndarray, G: int):
        self.iset = iset
        Q = len(plan.questions)
        sums = np.zeros((G + 1, Q))
        count = np.zeros((G + 1, Q))
        self.option_counts: dict[str, np.ndarray] = {}
        for j, q in enumerate(plan.questions):
            col = encoded.columns.get(q)
            if col is None or G == 0:
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
                sums[:G, j] = per_option @ option_lut(col.scale, reverse)
            else:
                x = col.normalised(reverse)
                has = ~np.isnan(x)
                count[:G, j] = np.bincount(g, weights=has, minlength=G)
                sums[:G, j] = np.bincount(g, weights=np.where(has, x, 0.0), minlength=G)
        sums[G] = sums[:G].sum(axis=0)
        count[G] = count[:G].sum(axis=0)
        self.count = count
        self.score = _ratio(sums, count)

    def details(self, code: str, encoded: Encoded) -> dict:
        """Satisfaction rate, NPS and distribution of one question over everybody."""
        scale = self.iset.scales[self.iset.node(code).scale]
        col = encoded.columns.get(code)
        if not scale.scored:
            return {}
        if scale.kind is ScaleKind.ORDINAL:
            counts = self.option_counts.get(code, np.zeros(len(scale.options), dtype=np.int64))
            total = int(counts.sum())
            satisfied = [i for i, o in enumerate(scale.options) if o.satisfied]
            rate = counts[satisfied].sum() / total if satisfied and total else None
            return {
                "satisfaction_rate": clean(rate),
                "distribution": {o.code: int(c) for o, c in zip(scale.options, counts)},
            }
        values = np.empty(0) if col is None else col.values[~np.isnan(col.values)]
        uniq, counts = np.unique(values, return_counts=True)
        out = {"distribution": {_number_key(v): int(c) for v, c in zip(uniq, counts)}}
        if scale.kind is ScaleKind.NPS:
            out["is_nps"] = True
            out["nps"] = _nps(values)
        return out


def _respondent_index(plan: TreePlan, iset: IndicatorSet, encoded: Encoded) -> np.ndarray:
    """Each respondent's index: ``rollup`` over each respondent's own answers, computed
    ``RESPONDENT_ROWS`` respondents at a time.

    The same definition as ``rollup`` (Σ weight × score over the children with data,
    divided by the sum of those weights), accumulated child by child: an ordinal answer
    adds ``weight × its normalised score`` and ``weight`` through two lookup tables indexed
    by its option position (blank adds 0 to both), so no NaN column is built per question.
    A slice stays in the CPU caches, and a million respondents never need a float column
    per question at once (20 questions × 8 MB).
    """
    n = encoded.n
    index = np.empty(n)
    reverse = {q: iset.node(q).reverse for q in plan.questions}
    luts = {}
    for q in plan.questions:
        col = encoded.columns.get(q)
        if col is not None and col.option_index is not None:
            luts[q] = np.append(option_lut(col.scale, reverse[q]), 0.0)
    for lo in range(0, n, RESPONDENT_ROWS):
        rows = slice(lo, min(n, lo + RESPONDENT_ROWS))
        m = rows.stop - rows.start
        scores: dict[str | None, np.ndarray] = {}
        for step in plan.steps:
            num, den = np.zeros(m), np.zeros(m)
            for child, w in zip(step.children, step.weights):
                col = encoded.columns.get(child)
                if child in luts:
                    codes = col.option_index[rows]
                    num += (luts[child] * w)[codes]
                    den += np.append(np.full(len(luts[child]) - 1, w), 0.0)[codes]
                    continue
                if child in scores:
                    x = scores[child]
                elif col is not None:
                    x = col.normalised(reverse[child], rows)
                else:
                    continue
                has = ~np.isnan(x)
                num += np.where(has, x, 0.0) * w
                den += has * w
            out = np.full(m, np.nan)
            np.divide(num, den, out=out, where=den > 0)
            scores[step.code] = out
        index[rows] = scores[None]
    return index


def _nps(values: np.ndarray) -> float | None:
    """% promoters (9–10) − % detractors (0–6) of the answers, on −100..100."""
    if not len(values):
        return None
    promoters = np.count_nonzero(values >= NPS_PROMOTER_MIN)
    detractors = np.count_nonzero(values <= NPS_DETRACTOR_MAX)
    return (promoters - detractors) / len(values) * 100.0


def _touchpoints(iset: IndicatorSet, plan: TreePlan, q_scores: np.ndarray, answered: dict) -> dict:
    """Per question-level touchpoint: weighted mean of its questions' scores.

    Weights are the questions' global weights renormalised over the touchpoint's questions
    that have data; n counts responses answering at least one of them.
    """
    weights = iset.global_weights()
    pos = {q: j for j, q in enumerate(plan.questions)}
    members: dict[str, list[str]] = {}
    for q in iset.scored_questions:
        if q.touchpoint:
            members.setdefault(q.touchpoint, []).append(q.code)
    out = {}
    for tp, codes in members.items():
        s = np.array([q_scores[pos[c]] for c in codes])
        w = np.array([weights[c] for c in codes])
        has = ~np.isnan(s)
        den = w[has].sum()
        value = (s[has] * w[has]).sum() / den if den > 0 else None
        any_answer = np.logical_or.reduce([answered[c] for c in codes])
        out[tp] = NodeValue(clean(value), int(np.count_nonzero(any_answer)))
    return out


def _per_group(g: np.ndarray, G: int, flags: np.ndarray) -> np.ndarray:
    """How many rows are flagged in each group, plus the total in the last slot."""
    per = np.bincount(g, weights=flags, minlength=G)
    return np.append(per, per.sum())


def _margins(index: np.ndarray, g: np.ndarray, G: int) -> np.ndarray:
    """1.96 × sd(ddof=1) / √n of the respondent indices, per group and overall (NaN if n<2).

    Two passes (means first, then squared deviations) so the variance does not lose
    digits the way Σx² − (Σx)²/n would.
    """
    has = ~np.isnan(index)
    x = np.where(has, index, 0.0)
    cnt = _per_group(g, G, has)
    mean = _ratio(_per_group(g, G, x), cnt)
    dev_group = np.where(has, x - mean[:G][g], 0.0)
    dev_all = np.where(has, x - mean[G], 0.0)
    ss = np.append(np.bincount(g, weights=dev_group**2, minlength=G), np.sum(dev_all**2))
    out = np.full(len(cnt), np.nan)
    ok = cnt >= 2
    out[ok] = Z_95 * np.sqrt(ss[ok] / (cnt[ok] - 1)) / np.sqrt(cnt[ok])
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _number_key(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))
