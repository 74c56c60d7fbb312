"""The ``analysis`` section: what each analysis works on, checked against the indicator set.

```yaml
analysis:
  drivers: {target: overall_sat, method: relative_weights, level: question}
  kano:
    features:
      - {code: service_app, functional: app_f, dysfunctional: app_d}
  pls:
    constructs: {IMAG: [imag1, imag2], SAT: [sat1, sat2], LOY: [loy1, loy2]}
    paths: {SAT: [IMAG], LOY: [IMAG, SAT]}     # target: its predecessors
    scheme: centroid                          # centroid | factorial | path
    scaled: false                             # as R plspm's `scaled`
  loyalty:                                    # reads the purchase records too
    emotional: [pays_premium, recommend]      # emotional-loyalty questions
    weights: {recency: 1, frequency: 1, share_of_wallet: 1, lifetime: 1}
    composite: {transactional: 0.5, emotional: 0.5}
  customer_value:
    components: {loyalty: loyalty, stability: stability, referrals: refer}  # name: loyalty | stability | a question | customer.<attribute>
    weights: {revenue: 2, loyalty: 1, stability: 1, referrals: 1}
    cutoffs: [0.8, 0.95]                      # cumulative revenue shares closing A and B
    top_n: 50
  min_n: 30
```

Every question code must be a question of the indicator set; the PLS model is checked
as the estimation would check it (constructs, unknown constructs in paths, cycles). The
``customer_value`` component named ``loyalty`` is computed with the ``loyalty`` entry. The
built value is a ``core.analysis.settings.AnalysisSettings``; calls override its
parameters (``--target``, ``--method``; the API's query parameters).
"""

from __future__ import annotations

from marshmallow import fields, validate

from core.analysis.errors import AnalysisInputError
from core.analysis.importance import METHODS
from core.analysis.ipa import SPLITS
from core.analysis.loyalty import COMPONENTS as LOYALTY_COMPONENTS
from core.analysis.purchase_methods import ATTRIBUTE, SOURCES
from core.analysis.pls import SCHEMES, Model
from core.analysis.settings import AnalysisSettings
from core.analysis.significance import DEFAULT_MIN_N
from core.config.schema import Code, Number, Strict
from core.config.sections.base import Section, SectionContext, raise_if

STRICT_BOOL = dict(truthy={True}, falsy={False})


class DriversSchema(Strict):
    target = Code()
    drivers = fields.List(Code())
    method = fields.String(validate=validate.OneOf([*METHODS, "stated"]))
    level = fields.String(validate=validate.OneOf(["question", "group"]))
    missing = fields.String(validate=validate.OneOf(["listwise", "pairwise"]))
    split = fields.String(validate=validate.OneOf(SPLITS))
    stated = fields.Dict(keys=Code(), values=Number(validate=validate.Range(min=0)))
    bootstrap = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))
    seed = fields.Integer(strict=True, validate=validate.Range(min=0))


class FeatureSchema(Strict):
    code = Code(required=True)
    functional = Code(required=True)
    dysfunctional = Code(required=True)


class KanoSchema(Strict):
    features = fields.List(fields.Nested(FeatureSchema), required=True, validate=validate.Length(min=1, max=500))


class PlsSchema(Strict):
    constructs = fields.Dict(keys=Code(), values=fields.List(Code(), validate=validate.Length(min=1)), required=True)
    paths = fields.Dict(keys=Code(), values=fields.List(Code()), required=True)
    scheme = fields.String(validate=validate.OneOf(SCHEMES))
    scaled = fields.Boolean(**STRICT_BOOL)
    modes = fields.Dict(keys=Code(), values=fields.String(validate=validate.OneOf(["A", "B"])))
    bootstrap = fields.Integer(strict=True, validate=validate.Range(min=0, max=5000))
    seed = fields.Integer(strict=True, validate=validate.Range(min=0))


WEIGHT = Number(validate=validate.Range(min=0))


class LoyaltySchema(Strict):
    emotional = fields.List(Code(), validate=validate.Length(max=100))
    weights = fields.Dict(keys=fields.String(validate=validate.OneOf(LOYALTY_COMPONENTS)), values=WEIGHT)
    composite = fields.Dict(keys=fields.String(validate=validate.OneOf(["transactional", "emotional"])), values=WEIGHT)
    as_of = fields.String(validate=validate.Length(min=1, max=64))


class CustomerValueSchema(Strict):
    components = fields.Dict(keys=Code(), values=Code(), validate=validate.Length(max=50))
    weights = fields.Dict(keys=Code(), values=WEIGHT)
    cutoffs = fields.List(Number(validate=validate.Range(min=0, max=1)), validate=validate.Length(equal=2))
    top_n = fields.Integer(strict=True, validate=validate.Range(min=1))


class AnalysisSchema(Strict):
    drivers = fields.Nested(DriversSchema)
    kano = fields.Nested(KanoSchema)
    pls = fields.Nested(PlsSchema)
    loyalty = fields.Nested(LoyaltySchema)
    customer_value = fields.Nested(CustomerValueSchema)
    min_n = fields.Integer(strict=True, validate=validate.Range(min=1), load_default=DEFAULT_MIN_N)


def _field() -> fields.Field:
    return fields.Nested(AnalysisSchema)


def build(context: SectionContext, data: dict) -> AnalysisSettings:
    iset = context.built["indicator_set"]
    questions = {q.code for q in iset.questions}
    nodes = set(iset.codes)
    issues = []

    def need(path: tuple, code: str, allowed: set[str], what: str):
        if code not in allowed:
            issues.append(context.issue(("analysis",) + path, f"{code!r} is not {what} of the indicator set"))

    drivers = data.get("drivers") or {}
    if "target" in drivers:
        need(("drivers", "target"), drivers["target"], questions, "a question")
    for i, code in enumerate(drivers.get("drivers", ())):
        need(("drivers", "drivers", i), code, nodes, "a question or group")
    if drivers.get("method") == "stated" and not drivers.get("stated"):
        issues.append(context.issue(("analysis", "drivers", "stated"), "method `stated` needs the stated importance of each driver"))
    for i, feature in enumerate((data.get("kano") or {}).get("features", ())):
        for key in ("functional", "dysfunctional"):
            need(("kano", "features", i, key), feature[key], questions, "a question")
    pls = data.get("pls")
    if pls:
        for name, codes in pls["constructs"].items():
            for i, code in enumerate(codes):
                need(("pls", "constructs", name, i), code, questions, "a question")
        try:
            Model(pls["constructs"], pls["paths"], pls.get("modes"))
        except AnalysisInputError as exc:
            issues.append(context.issue(("analysis", "pls", *exc.field.split(".")), exc.message))
    issues += _purchase_issues(context, data, {q.code for q in iset.scored_questions})
    raise_if(issues)
    methods = {name: dict(data[name]) for name in ("drivers", "kano", "pls", "loyalty", "customer_value") if data.get(name)}
    if data.get("loyalty") and "customer_value" in methods:
        methods["customer_value"]["loyalty_settings"] = dict(data["loyalty"])
    return AnalysisSettings(methods=methods, min_n=data["min_n"])


def _purchase_issues(context: SectionContext, data: dict, scored: set[str]) -> list:
    """The loyalty and customer-value entries: questions scored, components' sources known,
    weights naming revenue or a component, cut-offs in order."""
    issues = []
    for i, code in enumerate((data.get("loyalty") or {}).get("emotional", ())):
        if code not in scored:
            issues.append(context.issue(("analysis", "loyalty", "emotional", i), f"{code!r} is not a scored question of the indicator set"))
    value = data.get("customer_value") or {}
    components = value.get("components", {})
    # With a customers section (built before this one, CORE_SECTIONS' order) a
    # customer.<attribute> source must be one of its numeric attributes; without one the
    # stored customers' attributes are checked when the analysis runs.
    model = context.built.get("customers")
    attributes = None if model is None else {a.name for a in model.attributes.values() if a.type in ("number", "integer")}
    for name, source in components.items():
        if name == "revenue":
            issues.append(context.issue(("analysis", "customer_value", "components", name), "revenue is always a component (from the purchases); name the others"))
        elif source.startswith(ATTRIBUTE):
            if attributes is not None and source[len(ATTRIBUTE):] not in attributes:
                issues.append(context.issue(("analysis", "customer_value", "components", name), f"{source!r}: the customers section declares no numeric attribute {source[len(ATTRIBUTE):]!r} (numeric: {', '.join(sorted(attributes)) or 'none'})"))
        elif source not in SOURCES and source not in scored:
            issues.append(context.issue(("analysis", "customer_value", "components", name), f"{source!r} is not loyalty, stability, customer.<attribute> or a scored question of the indicator set"))
    for name in value.get("weights", {}):
        if name != "revenue" and name not in components:
            issues.append(context.issue(("analysis", "customer_value", "weights", name), f"no such component; components: revenue{''.join(', ' + c for c in components)}"))
    cutoffs = value.get("cutoffs")
    if cutoffs and not 0 < cutoffs[0] < cutoffs[1] <= 1:
        issues.append(context.issue(("analysis", "customer_value", "cutoffs"), "two cumulative revenue shares, 0 < A < B <= 1 (e.g. [0.8, 0.95])"))
    return issues


def summary(settings: AnalysisSettings) -> dict:
    return {"analyses": sorted(settings.methods)}


SECTION = Section(
    name="analysis",
    field=_field,
    build=build,
    requires=("indicator_set",),
    summary=summary,
    description="What each analysis works on: the drivers' target and method, KANO features, the PLS model, loyalty and customer value, min_n.",
)
