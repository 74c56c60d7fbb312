"""KANO: classify each feature from its functional / dysfunctional question pair.

Each respondent answers two questions per feature on the five-answer KANO scale — "if the
feature is present" (functional) and "if it is absent" (dysfunctional) — with the option
codes ``like``, ``must_be``, ``neutral``, ``live_with``, ``dislike``. The answer pair is
classified with the standard evaluation table (Berger et al. 1993, "Kano's methods for
understanding customer-defined quality", Center for Quality Management Journal 2(4)):

=============  ====  =======  =======  =========  =======
functional ↓   like  must_be  neutral  live_with  dislike
=============  ====  =======  =======  =========  =======
like           Q     A        A        A          O
must_be        R     I        I        I          M
neutral        R     I        I        I          M
live_with      R     I        I        I          M
dislike        R     R        R        R          Q
=============  ====  =======  =======  =========  =======

A attractive (delight, 惊喜型), O one-dimensional (expected, 期望型), M must-be (basic,
基本型), I indifferent, R reverse, Q questionable. A feature's category is its most
frequent class (ties are reported, not broken silently); its customer-satisfaction
coefficients (Berger et al., after Timko) are Better = (A+O)/(A+O+M+I) and
Worse = −(O+M)/(A+O+M+I). Respondents who left either question blank are not counted.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from core.analysis.errors import AnalysisInputError
from core.analysis.significance import DEFAULT_MIN_N

ANSWERS = ("like", "must_be", "neutral", "live_with", "dislike")
CLASSES = ("A", "O", "M", "I", "R", "Q")
TABLE = np.array([
    # like must_be neutral live_with dislike   (dysfunctional)
    ["Q", "A", "A", "A", "O"],  # like
    ["R", "I", "I", "I", "M"],  # must_be
    ["R", "I", "I", "I", "M"],  # neutral
    ["R", "I", "I", "I", "M"],  # live_with
    ["R", "R", "R", "R", "Q"],  # dislike
])
_CLASS_INDEX = np.vectorize({c: i for i, c in enumerate(CLASSES)}.get)(TABLE)
MENU = {"M": "basic", "O": "expected", "A": "delight"}


def _answer_codes(column: pd.Series, field: str) -> np.ndarray:
    """0..4 per answer (the order of ANSWERS), −1 where blank; other values are refused."""
    codes = pd.Index(ANSWERS).get_indexer(column.astype(object)).astype(np.intp)
    stray = column.notna().to_numpy() & (codes < 0)
    if stray.any():
        bad = sorted({str(v) for v in column[stray].unique()})[:5]
        raise AnalysisInputError(field, f"not a KANO answer: {', '.join(bad)} (the answers are {', '.join(ANSWERS)})")
    return codes


def classify(functional: pd.Series, dysfunctional: pd.Series, fields: tuple[str, str] = ("functional", "dysfunctional")) -> np.ndarray:
    """Each respondent's class index (into CLASSES), −1 where either answer is blank."""
    f = _answer_codes(functional, fields[0])
    d = _answer_codes(dysfunctional, fields[1])
    both = (f >= 0) & (d >= 0)
    return np.where(both, _CLASS_INDEX[np.maximum(f, 0), np.maximum(d, 0)], -1)


def summarise(classes: np.ndarray, min_n: int = DEFAULT_MIN_N) -> dict:
    """Counts, shares, category (with ties), Better and Worse of one feature's classes."""
    counts = np.bincount(classes[classes >= 0], minlength=len(CLASSES))
    n = int(counts.sum())
    by = dict(zip(CLASSES, counts.tolist()))
    top = counts.max() if n else 0
    leaders = [c for c, k in by.items() if n and k == top]
    core = by["A"] + by["O"] + by["M"] + by["I"]
    return {
        "counts": by,
        "shares": {c: (k / n if n else None) for c, k in by.items()},
        "n": n,
        "low_n": n < min_n,
        "category": leaders[0] if len(leaders) == 1 else None,
        "ties": leaders if len(leaders) > 1 else [],
        "better": (by["A"] + by["O"]) / core if core else None,
        "worse": -(by["O"] + by["M"]) / core if core else None,
    }


def kano(frame: pd.DataFrame, features: Sequence[Mapping[str, str]], segment: str | None = None, min_n: int = DEFAULT_MIN_N) -> dict:
    """Every feature's KANO summary, overall and per ``segment`` value when given.

    ``features`` are ``{"code", "functional", "dysfunctional"}`` mappings naming the
    question columns of ``frame``.
    """
    if not features:
        raise AnalysisInputError("features", "declare at least one feature (a functional and a dysfunctional question)")
    if segment is not None and segment not in frame.columns:
        raise AnalysisInputError("segment", f"no such column: {segment}")
    out: dict = {"analysis": "kano", "method": "berger_1993", "features": {}}
    seen = set()
    for i, feature in enumerate(features):
        code = feature.get("code")
        if code in seen:
            raise AnalysisInputError(f"features.{i}.code", f"feature {code!r} is declared twice")
        seen.add(code)
        for key in ("functional", "dysfunctional"):
            if feature.get(key) not in frame.columns:
                raise AnalysisInputError(f"features.{i}.{key}", f"no such question column: {feature.get(key)}")
        classes = classify(frame[feature["functional"]], frame[feature["dysfunctional"]],
                           (f"features.{i}.functional", f"features.{i}.dysfunctional"))
        summary = summarise(classes, min_n)
        if segment is not None:
            labels = frame[segment].astype("string").fillna("(blank)").to_numpy()
            summary["segments"] = {str(v): summarise(classes[labels == v], min_n) for v in pd.unique(labels)}
        out["features"][code] = summary
    return out


def service_menu(result: dict) -> dict:
    """The KANO result as a service menu: must-be → basic, one-dimensional → expected,
    attractive → delight; features of other (or tied) categories are listed as left out."""
    menu: dict[str, list[str]] = {"basic": [], "expected": [], "delight": []}
    left_out = []
    for code, feature in result["features"].items():
        tier = MENU.get(feature["category"])
        (menu[tier] if tier else left_out).append(code)
    return {"service_menu": menu, "left_out": left_out}


MENU_CATEGORY = {"code": "kano_features", "name": "Features classified by KANO", "name_zh": "KANO 分类的服务"}


def menu_section(result: dict, grades: Sequence[str] | None = None) -> dict:
    """The ``services`` section a KANO result suggests, to paste into a configuration.

    Each feature of a tier becomes a service of that tier in one category. With the
    customers' grades (highest first, at least three), the menu is cumulative as the
    tobacco case serves it: basic for every grade, expected from the grade two thirds
    down, delight from the grade a quarter down (G4 and G7 of nine grades); otherwise
    every service is for all grades and the tenant sets the grades."""
    tiers = service_menu(result)["service_menu"]
    grades = tuple(grades or ())
    cumulative = len(grades) >= 3
    start = {"expected": grades[(len(grades) - 1) * 2 // 3], "delight": grades[(len(grades) - 1) // 4]} if cumulative else {}
    menu = []
    for tier in ("basic", "expected", "delight"):
        for code in tiers[tier]:
            who = {"min_grade": start[tier]} if tier in start else {"grades": "all"}
            menu.append({"code": code, "category": MENU_CATEGORY["code"], "kano": tier, **who})
    return {"services": {"cumulative": cumulative, "categories": [dict(MENU_CATEGORY)], "menu": menu}}
