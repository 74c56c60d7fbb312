"""The ``customers`` section: typed customer attributes and how grades follow from them.

```yaml
customers:
  attributes:
    contribution: {type: number, min: 0, max: 100}
    region: {type: string, required: false, values: [urban, rural]}
  grading:
    score: "0.5 * customer.contribution + ..."     # CEL, a number
    bands: [{grade: G9, min: 90}, ..., {grade: G1, min: 0}]
    # or: rules: [{grade: VIP, when: 'customer.contribution >= 90.0'}, ...]
    reevaluate: monthly                              # bimonthly | quarterly
```

The expressions are compiled here, once per version, against ``customer`` (a record of
the declared attributes) and, for rules, ``score``; a refusal is reported at its path.
The model is ``core.rules.customers.CustomerModel``.
"""

from __future__ import annotations

from marshmallow import fields, validate

from core.batch.limits import MAX_ATTRIBUTES
from core.config.errors import ConfigIssue
from core.config.schema import Code, Number, Strict, text_field
from core.config.sections.base import Section, SectionContext, raise_if
from core.config.sections.expressions import compile_at, expression_field
from core.model.registrations import IDENTIFIER
from core.rules.customers import ATTRIBUTE_TYPES, ID, REEVALUATE, Attribute, Band, CustomerModel, GradeRule, Grading, customer_record
from core.rules.syntax import KEYWORDS, RESERVED
from core.rules.types import BOOL, DOUBLE, INT

MAX_GRADES = 100


class AttributeSchema(Strict):
    type = fields.String(required=True, validate=validate.OneOf(list(ATTRIBUTE_TYPES)))
    required = fields.Boolean(load_default=True, truthy={True}, falsy={False})
    min = Number(load_default=None)
    max = Number(load_default=None)
    values = fields.List(text_field(), load_default=list, validate=validate.Length(max=1000))
    name = text_field(load_default="")
    name_zh = text_field(load_default="")
    source = text_field(load_default="")


class BandSchema(Strict):
    grade = Code(required=True)
    min = Number(required=True)
    name = text_field(load_default="")
    name_zh = text_field(load_default="")


class RuleSchema(Strict):
    grade = Code(required=True)
    when = expression_field(required=True)
    name = text_field(load_default="")
    name_zh = text_field(load_default="")


class GradingSchema(Strict):
    score = expression_field(load_default=None)
    bands = fields.List(fields.Nested(BandSchema), load_default=list, validate=validate.Length(max=MAX_GRADES))
    rules = fields.List(fields.Nested(RuleSchema), load_default=list, validate=validate.Length(max=MAX_GRADES))
    reevaluate = fields.String(load_default="monthly", validate=validate.OneOf(list(REEVALUATE)))
    source = text_field(load_default="")


class CustomersSchema(Strict):
    attributes = fields.Dict(keys=Code(), values=fields.Nested(AttributeSchema), load_default=dict, validate=validate.Length(max=MAX_ATTRIBUTES))
    grading = fields.Nested(GradingSchema, load_default=None)
    source = text_field(load_default="")


def _field() -> fields.Field:
    return fields.Nested(CustomersSchema)


def build(context: SectionContext, data: dict) -> CustomerModel:
    issues: list[ConfigIssue] = []
    attributes = {}
    for name, a in data["attributes"].items():
        at = ("customers", "attributes", name)
        if not IDENTIFIER.fullmatch(name) or name in RESERVED or name in KEYWORDS or name.startswith("__"):
            issues.append(context.issue(at, "an attribute name is read in expressions (customer.<name>): letters, digits and '_', not starting with a digit, not a reserved word"))
            continue
        if name == ID:
            issues.append(context.issue(at, f"{ID} is every customer's id, not an attribute"))
            continue
        numeric = a["type"] in ("number", "integer")
        for bound in ("min", "max"):
            if a[bound] is not None and not numeric:
                issues.append(context.issue(at + (bound,), f"only a number or an integer has a {bound}"))
        if a["values"] and a["type"] != "string":
            issues.append(context.issue(at + ("values",), "only a string lists its values"))
        if numeric and a["min"] is not None and a["max"] is not None and a["min"] > a["max"]:
            issues.append(context.issue(at, f"min {a['min']} is above max {a['max']}"))
        attributes[name] = Attribute(name=name, type=a["type"], required=a["required"], min=a["min"], max=a["max"], values=tuple(a["values"]))
    grading = None
    if data["grading"] is not None and not issues:
        grading = _grading(context, data["grading"], customer_record(attributes), issues)
    raise_if(issues)
    return CustomerModel(attributes=attributes, grading=grading)


def _grading(context: SectionContext, g: dict, customer, issues: list[ConfigIssue]) -> Grading | None:
    at = ("customers", "grading")
    variables = {"customer": customer}
    score = None
    if g["score"] is not None:
        score = compile_at(context, at + ("score",), g["score"], variables, issues, returns=(DOUBLE, INT))
    if bool(g["bands"]) == bool(g["rules"]):
        issues.append(context.issue(at, "give either bands (over a score) or rules, not both or neither"))
        return None
    entries = g["bands"] or g["rules"]
    kind = "bands" if g["bands"] else "rules"
    grades = [e["grade"] for e in entries]
    for i, grade in enumerate(grades):
        if grade in grades[:i]:
            issues.append(context.issue(at + (kind, i, "grade"), f"grade {grade!r} is listed twice (grades are ordered as listed, highest first)"))
    if kind == "bands":
        if g["score"] is None:
            issues.append(context.issue(at + ("score",), "bands need a score formula"))
        for i in range(1, len(entries)):
            if entries[i]["min"] >= entries[i - 1]["min"]:
                issues.append(context.issue(at + ("bands", i, "min"), f"bands go from the highest grade down: min {entries[i]['min']} is not below {entries[i - 1]['min']} ({entries[i - 1]['grade']})"))
        if issues:
            return None
        return Grading(grades=tuple(grades), reevaluate=g["reevaluate"], score=score, bands=tuple(Band(e["grade"], e["min"]) for e in entries))
    rule_vars = {**variables, **({"score": DOUBLE} if g["score"] is not None else {})}
    rules = []
    for i, e in enumerate(entries):
        when = compile_at(context, at + ("rules", i, "when"), e["when"], rule_vars, issues, returns=BOOL)
        if when is not None:
            rules.append(GradeRule(e["grade"], when))
    if issues:
        return None
    return Grading(grades=tuple(grades), reevaluate=g["reevaluate"], score=score, rules=tuple(rules))


def resolve(data: dict) -> dict:
    def attribute(a: dict) -> dict:
        out = {"type": a["type"], "required": a["required"]}
        out.update({k: a[k] for k in ("min", "max", "name", "name_zh", "source") if a.get(k) not in (None, "")})
        if a["values"]:
            out["values"] = list(a["values"])
        return out

    out: dict = {"attributes": {name: attribute(a) for name, a in data["attributes"].items()}}
    g = data["grading"]
    if g is not None:
        grading = {k: g[k] for k in ("score", "source") if g.get(k) not in (None, "")}
        grading["reevaluate"] = g["reevaluate"]
        for kind in ("bands", "rules"):
            if g[kind]:
                grading[kind] = [{k: v for k, v in e.items() if v not in ("", None)} for e in g[kind]]
        out["grading"] = grading
    if data.get("source"):
        out["source"] = data["source"]
    return out


def summary(model: CustomerModel) -> dict:
    return {"customer_attributes": len(model.attributes), "grades": list(model.grading.grades) if model.grading else []}


SECTION = Section(
    name="customers",
    field=_field,
    build=build,
    description="Typed customer attributes and their grading (score bands or ordered rules), kept per period.",
    resolve=resolve,
    summary=summary,
)
