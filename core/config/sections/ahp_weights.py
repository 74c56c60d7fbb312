"""Weights from an expert panel in the indicator set: ``weights: {method: ahp, ...}``.

A group (or the indicator set itself, for the top level) may give its children's weights
as AHP pairwise judgements instead of numbers::

    - code: service
      weights:
        method: ahp
        judgements: [[staff, speed, 3], [staff, comfort, 5], [speed, comfort, 2]]
        # or experts: [[[staff, speed, 3], ...], [[staff, speed, 2], ...]]
        # allow_inconsistent: true     # accept a consistency ratio above 0.1
      children: [{code: staff, ...}, {code: speed, ...}, {code: comfort, ...}]

At validation the judgements become the scored children's weights (the principal
eigenvector, ``core.analysis.ahp``); the stored, resolved document holds those weights
and not the judgements, so a stored version scores the same forever. Refused, each with
its YAML path: an unknown child code, a missing or repeated pair, a value outside Saaty's
1/9 .. 9, a child that also gives its own ``weight``, and a consistency ratio above 0.1
(naming the most inconsistent judgement) unless ``allow_inconsistent: true``.

The same judgement format is read by ``csm weights ahp FILE.yaml`` (``criteria`` plus
``judgements`` or ``experts``), through ``AhpFileSchema`` and ``judgement_issues``.
"""

from __future__ import annotations

from typing import Callable

from marshmallow import ValidationError, fields, validate, validates_schema

from core.analysis.ahp import MAX_CR, RANDOM_INDEX, ahp
from core.analysis.errors import AnalysisInputError
from core.config.schema import Code, Strict

MAX_JUDGEMENTS = 200
MAX_EXPERTS = 100
STRICT_BOOL = dict(truthy={True}, falsy={False})

Judgement = fields.List(fields.Raw(), validate=validate.Length(equal=3, error="a judgement is [a, b, how many times a is as important as b]"))


def _judgements(**kw) -> fields.Field:
    return fields.List(Judgement, validate=validate.Length(min=1, max=MAX_JUDGEMENTS), **kw)


class _Judged(Strict):
    judgements = _judgements()
    experts = fields.List(_judgements(), validate=validate.Length(min=1, max=MAX_EXPERTS))
    allow_inconsistent = fields.Boolean(load_default=False, **STRICT_BOOL)

    @validates_schema
    def _one_source(self, data, **kwargs):
        if ("judgements" in data) == ("experts" in data):
            raise ValidationError("give `judgements` (one expert) or `experts` (several), not both", "judgements")


class AhpWeightsSchema(_Judged):
    """``weights`` on a group: how its children's weights are derived."""

    method = fields.String(required=True, validate=validate.OneOf(["ahp"]))


class AhpFileSchema(_Judged):
    """The file ``csm weights ahp`` reads: the criteria and the judgements on them."""

    criteria = fields.List(Code(), required=True, validate=validate.Length(min=2, max=len(RANDOM_INDEX) - 1))


def judgement_issues(criteria: list[str], spec: dict, at: tuple, issue: Callable[[tuple, str], object]) -> tuple[dict | None, list]:
    """The AHP result of ``spec`` over ``criteria``, or the problems found, at paths under ``at``.

    ``issue(path, message)`` builds one located problem; a consistency ratio above 0.1 is
    one unless ``allow_inconsistent``.
    """
    try:
        result = ahp(criteria, spec.get("judgements"), spec.get("experts"))
    except AnalysisInputError as exc:
        sub = () if exc.field == "criteria" else tuple(int(p) if p.isdigit() else p for p in exc.field.split("."))
        return None, [issue(at + sub, exc.message)]
    if result["consistent"] or spec.get("allow_inconsistent"):
        return result, []
    worst = result["most_inconsistent"]
    a, b = worst["pair"]
    where = _judgement_at(spec, a, b)
    return None, [
        issue(
            at + where,
            f"consistency ratio {result['cr']:.3f} is above {MAX_CR:g}; the most inconsistent judgement is {a} vs {b} "
            f"(judged {_ratio(worst['judged'])}, the weights imply {_ratio(worst['implied'])}); revise it, "
            "or set allow_inconsistent: true",
        )
    ]


def _judgement_at(spec: dict, a: str, b: str) -> tuple:
    """Where the judgement of the pair a/b is written (the first expert's, for several)."""
    if "judgements" in spec:
        lists = [(("judgements",), spec["judgements"])]
    else:
        lists = [(("experts", e), j) for e, j in enumerate(spec["experts"])]
    for prefix, judgements in lists:
        for k, item in enumerate(judgements):
            if {item[0], item[1]} == {a, b}:
                return prefix + (k,)
    return ()


def _ratio(x: float) -> str:
    return f"{x:.3g}" if x >= 1 else f"1/{1 / x:.3g}"


def apply_ahp_weights(children: list[dict], spec: dict | None, path: tuple, is_text: Callable[[dict], bool], issue) -> list:
    """Set the weight of each scored child from ``spec`` (the group's ``weights``), in place.

    ``path`` is the YAML path of the list of children (``...children``); the spec sits
    beside it at ``path[:-1] + ("weights",)``. Returns the problems found.
    """
    if spec is None:
        return []
    at = path[:-1] + ("weights",)
    scored = [c for c in children if not is_text(c)]
    problems = [issue(path + (i, "weight"), "weight is set by the group's AHP judgements (weights: method: ahp); remove it")
                for i, c in enumerate(children) if c.get("weight") is not None and not is_text(c)]
    result, found = judgement_issues([c["code"] for c in scored], spec, at, issue)
    problems += found
    if result is None or problems:
        return problems
    for c in scored:
        c["weight"] = result["weights"][c["code"]]
    return []


def resolve_ahp_tree(data: dict, root: tuple, is_text: Callable[[dict], bool], issue) -> list:
    """Apply every ``weights`` spec of the indicator set (``data``, at ``root``) in place,
    the top level's and every group's, and drop the specs; returns the problems found."""
    problems: list = []

    def walk(owner: dict, at: tuple) -> None:
        spec = owner.pop("weights", None)
        kids = owner.get("children")
        if spec is not None and kids is None:
            problems.append(issue(at + ("weights",), "weights: method: ahp gives a group's children their weights; a question has no children"))
        if kids is None:
            return
        problems.extend(apply_ahp_weights(kids, spec, at + ("children",), is_text, issue))
        for i, child in enumerate(kids):
            walk(child, at + ("children", i))

    walk(data, root)
    return problems
