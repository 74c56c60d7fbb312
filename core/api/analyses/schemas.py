"""What the analyses endpoints take and answer.

The query parameters of ``GET /analyses/{method}`` are the union of the core methods'
parameters (``core.analysis.methods``), each typed as its ``Param`` declares: numbers and
booleans are checked here, lists (codes separated by commas, or a JSON array) and maps (a
JSON object) by the operation, each refusal naming the parameter. The answer is the
method's own: the figures of ``drivers`` and ``kano`` are typed property by property, the
other methods' figures are listed in the description (their keys pass through).
"""

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from core.analysis.drivers import MAX_BOOTSTRAP
from core.analysis.methods import ANALYSIS_METHODS
from core.api.common import MAX_ID, JsonShape, UtcDateTime
from core.model.registrations import ANALYSIS_INPUTS

# Bounds of the numeric parameters a query may give (the section's own bounds).
INT_BOUNDS = {"bootstrap": (0, MAX_BOOTSTRAP), "seed": (0, 2**32 - 1), "min_n": (1, 10**9), "samples": (1, 100_000), "top_n": (1, 10**9)}


def _query_field(name: str, kind: str, doc: str) -> fields.Field:
    meta = {"description": doc}
    if kind == "int":
        low, high = INT_BOUNDS.get(name, (0, 10**9))
        return fields.Integer(strict=False, validate=validate.Range(min=low, max=high), metadata=meta)
    if kind == "double":
        return fields.Float(allow_nan=False, validate=validate.Range(min=0, max=100), metadata=meta)
    if kind == "bool":
        return fields.Boolean(metadata=meta)
    return fields.String(validate=validate.Length(max=10_000), metadata=meta)


def _parameters() -> dict[str, fields.Field]:
    seen: dict[str, tuple[str, list[str]]] = {}
    for method in ANALYSIS_METHODS:
        for p in method.params:
            kind, docs = seen.setdefault(p.name, (p.type, []))
            docs.append(f"{method.code}: {p.description}")
    out = {}
    for name, (kind, docs) in seen.items():
        how = {"list": " A list: codes separated by commas, or a JSON array.", "map": " A JSON object."}.get(kind, "")
        out[name] = _query_field(name, kind, "; ".join(docs) + "." + how)
    return out


class _Window(Schema):
    version = fields.Integer(validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Configuration version whose responses are analysed; default the latest."})
    window_start = UtcDateTime(data_key="from", metadata={"description": "Only responses collected at or after this ISO 8601 time (UTC without an offset)."})
    window_end = UtcDateTime(data_key="to", metadata={"description": "Only responses collected before this ISO 8601 time; must lie after `from` (422 otherwise)."})

    @validates_schema
    def _range(self, data, **kwargs):
        if data.get("window_start") and data.get("window_end") and data["window_start"] >= data["window_end"]:
            raise ValidationError("`from` must be before `to`", "to")


AnalysisQuerySchema = type("AnalysisQuerySchema", (_Window,), _parameters())


class AnalysisParamSchema(JsonShape):
    name = fields.String()
    type = fields.String(validate=validate.OneOf(["any", "bool", "int", "double", "string", "timestamp", "duration", "list", "map"]))
    description = fields.String()
    required = fields.Boolean()
    default = fields.Raw(allow_none=True, metadata={"description": "The value when the parameter is not given (null: none, or the method's own default)."})


class MethodSchema(JsonShape):
    code = fields.String(metadata={"description": "The method's path segment: GET /analyses/{code}."})
    name = fields.String()
    name_zh = fields.String()
    description = fields.String()
    params = fields.List(fields.Nested(AnalysisParamSchema))
    inputs = fields.List(fields.String(validate=validate.OneOf(["responses", *ANALYSIS_INPUTS])), metadata={"description": "The stored data the method reads: `responses`; `purchases` for loyalty and customer value (POST /purchases); `customers` for customer value's `customer.<attribute>` components (POST /customers)."})
    plugin = fields.String(metadata={"description": "The plugin registering the method (`core` for the core's own)."})


SHARE = {"description": "0..1; null without data."}


class DriverSchema(JsonShape):
    code = fields.String()
    importance = fields.Float(metadata={"description": "The driver's part of R² (the importances sum to `r2`)."})
    share = fields.Float(metadata={"description": "importance / r2."})
    score = fields.Float(allow_none=True, metadata={"description": "The driver's mean 0..100 score."})
    n = fields.Integer()
    margin_of_error = fields.Float(allow_none=True)
    low_n = fields.Boolean()
    quadrant = fields.String(validate=validate.OneOf(["concentrate_here", "keep_up", "low_priority", "possible_overkill"]))
    priority = fields.Integer(metadata={"description": "1 = fix first: high importance, low score."})
    touchpoints = fields.List(fields.String())
    standard_error = fields.Float(metadata={"description": "Sampled Shapley values only."})
    ci = fields.List(fields.Float(allow_none=True), metadata={"description": "With `bootstrap`: the 95 % percentile interval of the importance."})
    differs_from_next = fields.Boolean(allow_none=True, metadata={"description": "With `bootstrap`: whether the importance differs from the next one down."})
    next = fields.String(metadata={"description": "With `bootstrap`: the next driver down by importance."})


class KanoFeatureSchema(JsonShape):
    counts = fields.Dict(keys=fields.String(validate=validate.OneOf(list("AOMIRQ"))), values=fields.Integer())
    shares = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True), metadata=SHARE)
    n = fields.Integer()
    low_n = fields.Boolean()
    category = fields.String(allow_none=True, metadata={"description": "A, O, M, I, R or Q: the most frequent class; null on a tie."})
    ties = fields.List(fields.String())
    better = fields.Float(allow_none=True, metadata={"description": "(A+O)/(A+O+M+I)."})
    worse = fields.Float(allow_none=True, metadata={"description": "−(O+M)/(A+O+M+I)."})
    segments = fields.Dict(keys=fields.String(), values=fields.Nested(lambda: KanoFeatureSchema()), metadata={"description": "With `segment`: the same figures per segment value."})


class AnalysisResultSchema(JsonShape):
    """The method's answer. drivers: `target`, `method`, `missing`, `n`, `r2`, `split`,
    `drivers`, `level`; kano: `features`, `service_menu`, `left_out`; pls: `paths`, `r2`,
    `outer_weights`, `loadings`, `gof`, `index`, ...; loyalty_matrix: `cells`, ...;
    tiers, expectation_gap (`indicators`, `touchpoints`, `segments`), peak_end
    (`peak_end_prediction`, `stage_mean`, `observed`, `stages`), ahp (`weights`,
    `lambda_max`, `ci`, `cr`); loyalty (`as_of`, `weights`, `composite`, `emotional`,
    `mean`, `ranked`: per customer the transactional figures and scores, `emotional`,
    `loyalty`); customer_value (`cutoffs`, `top_20_percent`, `classes`, `weights`,
    `ranked`: per customer `value`, `revenue`, `class`, `components`): see the README,
    "Analyses"."""

    class Meta:
        unknown = INCLUDE

    version = fields.Integer(metadata={"description": "The configuration version whose responses were analysed."})
    responses = fields.Integer(metadata={"description": "Stored responses read (in the version and time window)."})
    analysis = fields.String(metadata={"description": "The analysis run (e.g. drivers, kano, satisfaction_tiers)."})
    method = fields.String(metadata={"description": "The method it used (e.g. relative_weights, shapley, berger_1993)."})
    target = fields.String(metadata={"description": "drivers: the question explained."})
    missing = fields.String(validate=validate.OneOf(["listwise", "pairwise"]))
    level = fields.String(validate=validate.OneOf(["question", "group"]))
    split = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": "drivers: the IPA split points (`split`: mean or median; `importance`, `score`)."})
    drivers = fields.List(fields.Nested(DriverSchema), metadata={"description": "drivers: ranked by priority."})
    features = fields.Dict(keys=fields.String(), values=fields.Nested(KanoFeatureSchema), metadata={"description": "kano: feature code → its figures."})
    service_menu = fields.Dict(keys=fields.String(validate=validate.OneOf(["basic", "expected", "delight"])), values=fields.List(fields.String()), metadata={"description": "kano: features per service tier."})
    left_out = fields.List(fields.String(), metadata={"description": "kano: features of no tier (I, R, Q, or tied)."})
