"""The core's analyses as analysis methods: from a tenant's stored responses to each module.

Every ``AnalysisMethod`` here takes the responses frame (canonical answers, as
``ResponseRepository.load_frame`` gives it), the ``IndicatorSet`` they were collected
under and the resolved parameters, turns the answers into the 0..100 scores the modules
expect (``core.scoring.to_scores``; group scores by the same weighted roll-up as the CSI),
checks the parameters' types (naming the parameter) and calls the pure module. The core's
built-in plugin returns ``ANALYSIS_METHODS`` from ``csm_register_analysis_methods``.
What the indicator set marks is each method's default: the ``role: overall`` question is
the drivers' target and peak-end's observed score, ``expectation_of`` gives the gap's
pairs, ``peak_end`` the stages. ``loyalty`` and ``customer_value`` also read the purchase
records (``core.analysis.purchase_methods``, ``inputs=("purchases",)``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from core.analysis.ahp import ahp
from core.analysis.drivers import drivers
from core.analysis.errors import AnalysisInputError
from core.analysis.gap import expectation_gap
from core.analysis.kano import kano, service_menu
from core.analysis.loyalty import DEFAULT_THRESHOLD, loyalty_matrix, tiers
from core.analysis.peak_end import peak_end
from core.analysis.pls import pls
from core.analysis.purchase_methods import PURCHASE_METHODS
from core.analysis.significance import DEFAULT_MIN_N
from core.model import AnalysisMethod, IndicatorSet, Param
from core.scoring import to_scores
from core.scoring.tree import TreePlan, rollup

LEVELS = ("question", "group")


# --- typed parameters --------------------------------------------------------------------


def _check(params: dict, name: str, kind: type | tuple, what: str, optional: bool = True) -> Any:
    value = params.get(name)
    if value is None and optional:
        return None
    if isinstance(value, bool) and kind is not bool:
        raise AnalysisInputError(name, f"must be {what}")
    if not isinstance(value, kind):
        raise AnalysisInputError(name, f"must be {what}")
    return value


def _strings(params: dict, name: str) -> list[str] | None:
    value = _check(params, name, list, "a list of codes")
    if value is not None and not all(isinstance(v, str) for v in value):
        raise AnalysisInputError(name, "must be a list of codes")
    return value


def _int(params: dict, name: str, low: int = 0) -> int | None:
    value = _check(params, name, int, f"a whole number >= {low}")
    if value is not None and value < low:
        raise AnalysisInputError(name, f"must be a whole number >= {low}")
    return value


def _segment(frame: pd.DataFrame, params: dict) -> str | None:
    segment = _check(params, "segment", str, "a column name (a response attribute)")
    if segment is not None and segment not in frame.columns:
        raise AnalysisInputError("segment", f"no such column in the responses: {segment}")
    return segment


# --- from stored answers to scores -------------------------------------------------------


def respondent_scores(frame: pd.DataFrame, iset: IndicatorSet, groups: bool = False) -> pd.DataFrame:
    """Each respondent's 0..100 score per scored question, and per group when ``groups``."""
    scores = to_scores(frame, iset)
    if groups:
        rolled = rollup(TreePlan.of(iset), {c: scores[c].to_numpy() for c in scores.columns})
        extra = {code: v for code, v in rolled.items() if code is not None and code not in scores.columns}
        scores = scores.assign(**extra, csi=rolled[None]) if "csi" not in scores.columns else scores.assign(**extra)
    return scores


def _touchpoints_of(iset: IndicatorSet, code: str) -> list[str]:
    node = iset.node(code)
    if node.is_question:
        return [node.touchpoint] if node.touchpoint else []
    found = {n.touchpoint for n, _ in _walk(node) if n.is_question and n.touchpoint}
    return sorted(found)


def _walk(node):
    stack = [(node, None)]
    while stack:
        n, parent = stack.pop()
        yield n, parent
        stack.extend((c, n) for c in n.children)


def _contains(node, code: str) -> bool:
    return any(n.code == code for n, _ in _walk(node))


def _question_code(iset: IndicatorSet, name: str, code) -> str:
    if not isinstance(code, str):
        raise AnalysisInputError(name, "must be a question code")
    if code not in iset.codes:
        raise AnalysisInputError(name, f"unknown question {code!r}")
    return code


# --- the methods -------------------------------------------------------------------------


def run_drivers(frame: pd.DataFrame, iset: IndicatorSet, params: dict) -> dict:
    level = _check(params, "level", str, "question or group") or "question"
    if level not in LEVELS:
        raise AnalysisInputError("level", f"unknown level {level!r}; one of {', '.join(LEVELS)}")
    target = params.get("target") or iset.overall
    if target is None:
        raise AnalysisInputError("target", "name the overall question the drivers explain (or mark it `role: overall`)")
    target = _question_code(iset, "target", target)
    codes = _strings(params, "drivers")
    if codes is None:
        if level == "question":
            expectations = set(iset.expectation_pairs.values())
            codes = [q.code for q in iset.scored_questions if q.code != target and q.code not in expectations]
        else:
            codes = [n.code for n in iset.children if not n.is_question and not _contains(n, target)]
    for code in codes:
        _question_code(iset, "drivers", code)
    scores = respondent_scores(frame, iset, groups=level == "group")
    return drivers(
        scores, target, codes,
        method=_check(params, "method", str, "an importance method") or "relative_weights",
        missing=_check(params, "missing", str, "listwise or pairwise") or "listwise",
        bootstrap=_int(params, "bootstrap") or 0,
        seed=_int(params, "seed") or 0,
        split=_check(params, "split", str, "mean or median") or "mean",
        stated=_check(params, "stated", dict, "a map of driver code to importance"),
        touchpoints={c: _touchpoints_of(iset, c) for c in codes},
        samples=_int(params, "samples", 1),
        min_n=_int(params, "min_n", 1) or DEFAULT_MIN_N,
    ) | {"level": level}


def run_kano(frame: pd.DataFrame, iset: IndicatorSet, params: dict) -> dict:
    features = _check(params, "features", list, "a list of {code, functional, dysfunctional}", optional=False)
    for i, f in enumerate(features):
        if not isinstance(f, dict) or not all(isinstance(f.get(k), str) for k in ("code", "functional", "dysfunctional")):
            raise AnalysisInputError(f"features.{i}", "a feature is {code, functional, dysfunctional} (question codes)")
        for key in ("functional", "dysfunctional"):
            _question_code(iset, f"features.{i}.{key}", f[key])
    out = kano(frame, features, _segment(frame, params), _int(params, "min_n", 1) or DEFAULT_MIN_N)
    return out | service_menu(out)


def run_pls(frame: pd.DataFrame, iset: IndicatorSet, params: dict) -> dict:
    constructs = _check(params, "constructs", dict, "a map of construct to its question codes", optional=False)
    paths = _check(params, "paths", dict, "a map of construct to the constructs explaining it", optional=False)
    for name, codes in constructs.items():
        if not isinstance(codes, list):
            raise AnalysisInputError(f"constructs.{name}", "must be a list of question codes")
        for code in codes:
            _question_code(iset, f"constructs.{name}", code)
    scores = respondent_scores(frame, iset)
    scaled = params.get("scaled", True)
    return pls(
        scores, constructs, paths,
        scheme=_check(params, "scheme", str, "centroid, factorial or path") or "centroid",
        scaled=scaled if scaled is not None else True,
        modes=_check(params, "modes", dict, "a map of construct to A or B"),
        ranges={c: (0.0, 100.0) for c in scores.columns},
        bootstrap=_int(params, "bootstrap") or 0,
        seed=_int(params, "seed") or 0,
    )


def run_loyalty_matrix(frame: pd.DataFrame, iset: IndicatorSet, params: dict) -> dict:
    loyalty = _strings(params, "loyalty")
    if not loyalty:
        raise AnalysisInputError("loyalty", "name the loyalty questions (pays a premium, recommends, ...)")
    for code in loyalty:
        _question_code(iset, "loyalty", code)
    satisfaction = params.get("satisfaction")
    scores = respondent_scores(frame, iset, groups=True)
    sat = scores["csi"] if satisfaction is None else scores[_question_code(iset, "satisfaction", satisfaction)]
    loy = scores[loyalty].mean(axis=1, skipna=True)
    segment = _segment(frame, params)
    out = loyalty_matrix(
        sat, loy,
        sat_threshold=float(_check(params, "sat_threshold", (int, float), "a 0..100 score") or DEFAULT_THRESHOLD),
        loyalty_threshold=float(_check(params, "loyalty_threshold", (int, float), "a 0..100 score") or DEFAULT_THRESHOLD),
        segments=frame[segment] if segment else None,
        min_n=_int(params, "min_n", 1) or DEFAULT_MIN_N,
    )
    return out | {"satisfaction": satisfaction or "csi", "loyalty": loyalty}


def run_tiers(frame: pd.DataFrame, iset: IndicatorSet, params: dict) -> dict:
    questions = {t: _question_code(iset, t, params[t]) for t in ("satisfied", "buy_again", "recommend") if params.get(t) is not None}
    if not questions:
        raise AnalysisInputError("satisfied", "name at least one tier's question (satisfied, buy_again, recommend)")
    threshold = _check(params, "threshold", (int, float), "a 0..100 score")
    return tiers(respondent_scores(frame, iset), questions, float(threshold if threshold is not None else DEFAULT_THRESHOLD), _int(params, "min_n", 1) or DEFAULT_MIN_N)


def run_gap(frame: pd.DataFrame, iset: IndicatorSet, params: dict) -> dict:
    pairs = _check(params, "pairs", dict, "a map of experience question to its expectation question")
    pairs = iset.expectation_pairs if pairs is None else pairs
    for experience, expectation in pairs.items():
        _question_code(iset, "pairs", experience)
        _question_code(iset, f"pairs.{experience}", expectation)
    scores = respondent_scores(frame, iset)
    segment = _segment(frame, params)
    if segment:
        scores = scores.assign(**{segment: frame[segment]})
    return expectation_gap(scores, pairs, {e: iset.node(e).touchpoint for e in pairs}, segment, _int(params, "min_n", 1) or DEFAULT_MIN_N)


def run_peak_end(frame: pd.DataFrame, iset: IndicatorSet, params: dict) -> dict:
    marked, peaks, end = iset.peak_end_stages()
    stages = _check(params, "stages", dict, "a map of stage to its question codes")
    stages = marked if stages is None else stages
    for stage, codes in stages.items():
        if not isinstance(codes, list):
            raise AnalysisInputError(f"stages.{stage}", "must be a list of question codes")
        for code in codes:
            _question_code(iset, f"stages.{stage}", code)
    overall = params.get("overall") or iset.overall
    if overall is None:
        raise AnalysisInputError("overall", "name the observed overall question (or mark it `role: overall`)")
    overall = _question_code(iset, "overall", overall)
    end = _check(params, "end", str, "a stage") or end
    if end is None:
        raise AnalysisInputError("end", "name the end stage (or mark a group `peak_end: end`)")
    return peak_end(
        respondent_scores(frame, iset), stages, _strings(params, "peak") or peaks, end, overall, _int(params, "min_n", 1) or DEFAULT_MIN_N,
    )


def run_ahp(frame: pd.DataFrame, iset: IndicatorSet, params: dict) -> dict:
    criteria = _strings(params, "criteria")
    if not criteria:
        raise AnalysisInputError("criteria", "name the criteria compared")
    return ahp(criteria, _check(params, "judgements", list, "a list of [a, b, value]"), _check(params, "experts", list, "a list of judgement lists"))


def _p(name: str, type_: str, description: str, default=None, required: bool = False) -> Param:
    return Param(name=name, type=type_, description=description, required=required, default=default)


MIN_N = _p("min_n", "int", "figures on fewer respondents are flagged low_n", DEFAULT_MIN_N)
SEGMENT = _p("segment", "string", "a response attribute to break the figures down by")
BOOT = (_p("bootstrap", "int", "resamples for the intervals (0 = none)", 0), _p("seed", "int", "the resampling seed", 0))

ANALYSIS_METHODS: tuple[AnalysisMethod, ...] = (
    AnalysisMethod("drivers", "Driver analysis", run_drivers, (
        _p("target", "string", "the overall question the drivers explain (default: the `role: overall` question)", required=False),
        _p("drivers", "list", "driver codes (default: every other scored question but expectation questions, or the top-level groups)"),
        _p("method", "string", "relative_weights | shapley | correlation | stated", "relative_weights"),
        _p("level", "string", "question | group", "question"),
        _p("missing", "string", "listwise | pairwise", "listwise"),
        _p("split", "string", "IPA split points: mean | median", "mean"),
        _p("stated", "map", "stated importance per driver (method: stated)"),
        _p("samples", "int", "Shapley: orders sampled (default: exact up to 15 drivers)"),
        *BOOT, MIN_N,
    ), name_zh="满意度驱动力分析", description="Importance of each indicator for the overall score, IPA quadrants, priority list."),
    AnalysisMethod("kano", "KANO classification", run_kano, (
        _p("features", "list", "[{code, functional, dysfunctional}]", required=False), SEGMENT, MIN_N,
    ), name_zh="KANO 模型", description="Berger et al.'s table, category, Better/Worse, the service menu."),
    AnalysisMethod("pls", "ACSI-style PLS index", run_pls, (
        _p("constructs", "map", "construct → question codes", required=False),
        _p("paths", "map", "construct → the constructs explaining it", required=False),
        _p("scheme", "string", "centroid | factorial | path", "centroid"),
        _p("scaled", "bool", "standardise the indicators (R plspm's scaled)", True),
        _p("modes", "map", "construct → A | B (default A)"),
        *BOOT,
    ), description="PLS path model: weights, loadings, paths, R², GoF and the 0..100 index per construct."),
    AnalysisMethod("loyalty_matrix", "Satisfaction/loyalty matrix", run_loyalty_matrix, (
        _p("loyalty", "list", "loyalty questions (their mean is the loyalty score)", required=False),
        _p("satisfaction", "string", "the satisfaction question (default: the respondent's CSI)"),
        _p("sat_threshold", "double", "satisfaction at or above is high", DEFAULT_THRESHOLD),
        _p("loyalty_threshold", "double", "loyalty at or above is high", DEFAULT_THRESHOLD),
        SEGMENT, MIN_N,
    ), name_zh="满意度/忠诚度矩阵", description="Apostles, mercenaries, hostages and destroyers."),
    AnalysisMethod("tiers", "Satisfaction tiers", run_tiers, (
        _p("satisfied", "string", "the satisfaction question"), _p("buy_again", "string", "the repurchase question"),
        _p("recommend", "string", "the recommendation question"),
        _p("threshold", "double", "score at or above counts", DEFAULT_THRESHOLD), MIN_N,
    ), description="Satisfied / will buy again / will recommend rates with margins of error."),
    AnalysisMethod("expectation_gap", "Expectation gap", run_gap, (
        _p("pairs", "map", "experience question → its expectation question (default: the `expectation_of` questions)", required=False), SEGMENT, MIN_N,
    ), description="Experience − expectation per indicator, touchpoint and segment, paired."),
    AnalysisMethod("peak_end", "Peak-end", run_peak_end, (
        _p("stages", "map", "stage → question codes (default: the `peak_end` groups and their sibling groups)", required=False),
        _p("peak", "list", "the peak stage(s) (default: the groups marked `peak_end: peak`)"),
        _p("end", "string", "the end stage (default: the group marked `peak_end: end`)", required=False),
        _p("overall", "string", "the observed overall question (default: the `role: overall` question)", required=False),
        MIN_N,
    ), name_zh="峰终原理", description="Peak-end prediction of the overall score beside the mean of the stages."),
    AnalysisMethod("ahp", "AHP weights", run_ahp, (
        _p("criteria", "list", "the criteria compared", required=False),
        _p("judgements", "list", "[[a, b, value], ...] on Saaty's 1..9 scale"),
        _p("experts", "list", "several experts' judgement lists (geometric mean)"),
    ), description="Principal-eigenvector weights, λmax, CI and CR."),
    *PURCHASE_METHODS,
)
