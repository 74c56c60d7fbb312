"""The ``scales`` section: the rating scales questions are answered on.

A mapping of scale code → definition (``kind``: ordinal, numeric, nps or text). Scales a
plugin or the core contributes (``csm_section_defaults``: the standard ``sat4``, ``sat5``,
``sat7``, an industry's own) may be referenced by a question without being defined in the
document; the resolved document then carries their definition, so the version can be
rebuilt exactly even if the plugin changes later. A scale the tenant defines replaces a
contributed one of the same code.
"""

from __future__ import annotations

from typing import Any, Mapping

from marshmallow import fields, validate

from core.config.schema import Code, Number, Strict, text_field
from core.config.sections.base import Section, SectionContext, raise_if
from core.model import ModelError, Scale, ScaleKind, ScaleOption


class OptionSchema(Strict):
    code = Code(required=True)
    label = text_field(load_default="")
    label_zh = text_field(load_default="")
    score = Number(required=True)
    satisfied = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    source = text_field(load_default="")


class ScaleSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(["ordinal", "numeric", "nps", "text"]))
    name = text_field(load_default="")
    name_zh = text_field(load_default="")
    options = fields.List(fields.Nested(OptionSchema), load_default=list, validate=validate.Length(max=100))
    min = Number(load_default=None)
    max = Number(load_default=None)
    source = text_field(load_default="")


def _field() -> fields.Field:
    return fields.Dict(keys=Code(), values=fields.Nested(ScaleSchema), load_default=dict)


def build(context: SectionContext, data: dict) -> dict[str, Scale]:
    scales: dict[str, Scale] = {}
    issues = []
    for code, s in data.items():
        try:
            scales[code] = Scale(
                code=code,
                kind=s["kind"],
                options=tuple(
                    ScaleOption(code=o["code"], score=o["score"], label=o["label"], label_zh=o["label_zh"], satisfied=o["satisfied"])
                    for o in s["options"]
                ),
                min=s["min"],
                max=s["max"],
                name=s["name"],
                name_zh=s["name_zh"],
            )
        except ModelError as exc:
            issues.append(context.issue(("scales", code) + exc.path, exc.message))
    raise_if(issues)
    return scales


def resolve(data: dict) -> dict:
    def scale(s):
        out = {k: s[k] for k in ("kind", "name", "name_zh", "min", "max", "source") if s.get(k) not in (None, "")}
        if s["options"]:
            out["options"] = [{k: v for k, v in o.items() if v not in ("", None)} for o in s["options"]]
        return out

    return {code: scale(s) for code, s in data.items()}


def merge_defaults(value: dict | None, default: Mapping[str, Any], document: Mapping) -> dict:
    """The tenant's scales, plus each contributed scale some question references and the
    tenant does not define (unreferenced ones stay out of the stored document)."""
    own = dict(value or {})
    for code in sorted(referenced_scales(document) - set(own)):
        if code in default:
            own[code] = default[code]
    return own


def referenced_scales(document: Mapping) -> set[str]:
    """Every scale code the document's indicator set (nodes and overrides) names."""
    found: set[str] = set()
    iset = document.get("indicator_set")
    if not isinstance(iset, dict):
        return found

    def walk(nodes):
        for n in nodes if isinstance(nodes, list) else ():
            if isinstance(n, dict):
                if isinstance(n.get("scale"), str):
                    found.add(n["scale"])
                walk(n.get("children"))

    walk(iset.get("children"))
    for change in (iset.get("overrides") or {}).values() if isinstance(iset.get("overrides"), dict) else ():
        if isinstance(change, dict) and isinstance(change.get("scale"), str):
            found.add(change["scale"])
    return found


def scale_document(scale: Scale) -> dict:
    """A model scale written as a tenant would define it in ``scales:`` (how a scale a
    plugin registers becomes a section default)."""
    out: dict[str, Any] = {"kind": scale.kind.value}
    out.update({k: v for k, v in (("name", scale.name), ("name_zh", scale.name_zh)) if v})
    if scale.kind is ScaleKind.NUMERIC:
        out.update(min=scale.min, max=scale.max)
    if scale.options:
        out["options"] = [
            {"code": o.code, "score": o.score, **{k: v for k, v in (("label", o.label), ("label_zh", o.label_zh), ("satisfied", o.satisfied)) if v}}
            for o in scale.options
        ]
    return out


def summary(scales: dict[str, Scale]) -> dict:
    return {"scales": sorted(scales)}


SECTION = Section(
    name="scales",
    field=_field,
    build=build,
    resolve=resolve,
    merge_defaults=merge_defaults,
    summary=summary,
    description="Rating scales (ordinal options with scores, numeric ranges, NPS, open text).",
)
