"""The ``indicator_set`` section: the weighted tree of groups and questions.

A node either has ``children`` (a group) or a ``scale`` (a question). Sibling weights sum
to 1; when all siblings omit ``weight`` they share it equally (open-text questions take
no weight; weight 0 keeps a question out of the CSI while the analyses still read it).
Questions may carry ``role: overall`` and ``expectation_of: <question>``, groups
``peak_end: peak | end`` (core.model.indicator says what the analyses make of them).
Instead of ``children`` the section may name a plugin's ``template`` with
``overrides`` by node code; the loader merges the template before this section is built
(``core.config.templates``).
"""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from core.config.schema import Code, Number, Strict, text_field
from core.config.sections.ahp_weights import AhpWeightsSchema, resolve_ahp_tree
from core.config.sections.base import Section, SectionContext, raise_if
from core.model import Indicator, IndicatorSet, ModelError, ModelErrors, each_error
from core.model.indicator import PEAK_END, ROLES

MAX_CHILDREN = 500


class NodeSchema(Strict):
    code = Code(required=True)
    name = text_field(load_default="")
    name_zh = text_field(load_default="")
    weight = Number(load_default=None)
    children = fields.List(fields.Nested(lambda: NodeSchema()), load_default=None, validate=validate.Length(min=1, max=MAX_CHILDREN))
    scale = Code(load_default=None)
    question = text_field(load_default="")
    question_zh = text_field(load_default="")
    touchpoint = Code(load_default=None)
    reverse = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    source = text_field(load_default="")
    role = fields.String(load_default=None, validate=validate.OneOf(ROLES))
    expectation_of = Code(load_default=None)
    peak_end = fields.String(load_default=None, validate=validate.OneOf(PEAK_END))
    weights = fields.Nested(AhpWeightsSchema, load_default=None)  # the children's, from AHP judgements


class OverrideSchema(Strict):
    """Fields a tenant may change on a template node, addressed by the node's code."""

    name = text_field()
    name_zh = text_field()
    weight = Number()
    scale = Code()
    question = text_field()
    question_zh = text_field()
    touchpoint = Code()
    reverse = fields.Boolean(truthy={True}, falsy={False})


QUESTION_FIELDS = ("scale", "question", "question_zh", "touchpoint", "reverse")


class IndicatorSetSchema(Strict):
    code = Code(load_default=None)
    name = text_field(load_default="")
    name_zh = text_field(load_default="")
    template = Code(load_default=None)
    overrides = fields.Dict(keys=Code(), values=fields.Nested(OverrideSchema), load_default=dict)
    children = fields.List(fields.Nested(NodeSchema), load_default=None, validate=validate.Length(min=1, max=MAX_CHILDREN))
    source = text_field(load_default="")
    weights = fields.Nested(AhpWeightsSchema, load_default=None)  # the top level's, from AHP judgements

    @validates_schema
    def _template_or_children(self, data, **kwargs):
        if data.get("template") and data.get("children") is not None:
            raise ValidationError("give either template (and overrides) or children, not both", "children")
        if not data.get("template") and data.get("children") is None:
            raise ValidationError("an indicator set needs children (or a template from the industry plugin)", "children")
        if data.get("overrides") and not data.get("template"):
            raise ValidationError("overrides apply to a template; edit the children directly instead", "overrides")
        if not data.get("template") and not data.get("code"):
            raise ValidationError("Missing data for required field.", "code")


def _field() -> fields.Field:
    return fields.Nested(IndicatorSetSchema, required=True)


CHILDREN = ("indicator_set", "children")


def build(context: SectionContext, data: dict) -> IndicatorSet:
    scales = context.built["scales"]
    issues = resolve_ahp_tree(data, ("indicator_set",), lambda n: _is_text_question(n, scales), context.issue)
    raise_if(issues)
    _fill_default_weights(data["children"], scales, CHILDREN, context, issues)
    raise_if(issues)
    children = []
    for i, n in enumerate(data["children"]):
        try:
            children.append(_build_node(n, CHILDREN + (i,)))
        except ModelError as exc:
            issues += [context.issue(_document_path(e), e.message) for e in each_error(exc)]
    raise_if(issues)  # a node that cannot be built leaves no tree to check as a whole
    try:
        return IndicatorSet(code=data["code"], children=tuple(children), scales=scales, name=data["name"], name_zh=data["name_zh"])
    except ModelError as exc:
        raise_if([context.issue(_document_path(e), e.message) for e in each_error(exc)])


def _document_path(exc: ModelError) -> tuple:
    """Where a model problem lies in the document: the model's paths are relative to the
    indicator set (``children.0.code``) unless already rooted in the document."""
    return exc.path if exc.path[:2] == CHILDREN else ("indicator_set",) + exc.path


def _fill_default_weights(nodes: list[dict], scales, path, context: SectionContext, issues) -> None:
    """Siblings that all omit ``weight`` share it equally; a partial set is an error."""
    scored = [n for n in nodes if not _is_text_question(n, scales)]
    missing = [n for n in scored if n.get("weight") is None]
    if missing and len(missing) == len(scored):
        for n in scored:
            n["weight"] = 1.0 / len(scored)
    elif missing:
        for i, n in enumerate(nodes):
            if any(n is m for m in missing):
                issues.append(context.issue(path + (i, "weight"), "weight is missing; give every sibling a weight, or none for equal weights"))
    for i, n in enumerate(nodes):
        if n.get("weight") is None:
            n["weight"] = 0.0
        if n.get("children") is not None:
            _fill_default_weights(n["children"], scales, path + (i, "children"), context, issues)


def _is_text_question(node: dict, scales) -> bool:
    scale = scales.get(node.get("scale") or "")
    return bool(node.get("scale")) and scale is not None and not scale.scored


def _build_node(n: dict, path: tuple) -> Indicator:
    """One node and its subtree; every node of the subtree that cannot be built is
    reported (ModelErrors), not only the first."""
    kids, problems = [], []
    for i, c in enumerate(n.get("children") or ()):
        try:
            kids.append(_build_node(c, path + ("children", i)))
        except ModelError as exc:
            problems += each_error(exc)
    if problems:
        raise problems[0] if len(problems) == 1 else ModelErrors(problems)
    try:
        return Indicator(
            code=n["code"],
            weight=n["weight"],
            name=n["name"],
            name_zh=n["name_zh"],
            children=tuple(kids),
            scale=n.get("scale"),
            question=n["question"],
            question_zh=n["question_zh"],
            touchpoint=n.get("touchpoint"),
            reverse=n["reverse"],
            source=n["source"],
            role=n.get("role"),
            expectation_of=n.get("expectation_of"),
            peak_end=n.get("peak_end"),
        )
    except ModelError as exc:
        raise ModelError(exc.message, path + exc.path) from None


def resolve(data: dict) -> dict:
    def node(n):
        out = {k: n[k] for k in ("code", "name", "name_zh", "weight", "source") if n.get(k) not in (None, "")}
        out["weight"] = n["weight"]
        if n.get("children") is not None:
            out["children"] = [node(c) for c in n["children"]]
            if n.get("peak_end"):
                out["peak_end"] = n["peak_end"]
        else:
            out["scale"] = n["scale"]
            for k in ("question", "question_zh", "touchpoint", "reverse", "role", "expectation_of"):
                if n.get(k):
                    out[k] = n[k]
        return out

    return {
        **{k: data[k] for k in ("code", "name", "name_zh", "source") if data.get(k)},
        "children": [node(c) for c in data["children"]],
    }


def summary(iset: IndicatorSet) -> dict:
    groups = [n for n, _ in iset.walk() if not n.is_question]
    return {
        "indicator_set": iset.code,
        "name": iset.name,
        "groups": len(groups),
        "questions": len(iset.questions),
        "scored_questions": len(iset.scored_questions),
    }


SECTION = Section(
    name="indicator_set",
    field=_field,
    build=build,
    requires=("scales",),
    required=True,
    resolve=resolve,
    summary=summary,
    description="The weighted indicator tree: groups, questions, their scales and touchpoints.",
)
