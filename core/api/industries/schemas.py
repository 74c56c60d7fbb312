"""What the industry catalogues look like (core.plugins ``IndustryRegistry.catalogue``).

Every entry names its ``source`` (where the plugin took the fact from); ``name_zh`` and
``description`` are empty strings when a plugin gives none."""

from marshmallow import Schema, fields, validate

from core.api.common import JsonShape

SOURCE = {"description": "Where the plugin took this from (document and passage)."}
PARAMS = {"description": "Free-form parameters of the entry, as the plugin declares them (thresholds, targets...)."}


class PluginRefSchema(Schema):
    name = fields.String()
    version = fields.String()


class IndustrySchema(Schema):
    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    description = fields.String()
    source = fields.String(metadata=SOURCE)
    plugin = fields.Nested(PluginRefSchema, metadata={"description": "The plugin providing the industry: name and version."})


class FactorSchema(JsonShape):
    """A satisfaction factor the industry distinguishes (product, service, price...)."""

    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    source = fields.String(metadata=SOURCE)


class AttributeValueSchema(JsonShape):
    code = fields.String()
    name = fields.String()
    name_zh = fields.String()


class RespondentAttributeSchema(JsonShape):
    """An attribute respondents are described by (a breakdown key), with its known values."""

    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    values = fields.List(fields.Nested(AttributeValueSchema), metadata={"description": "Known values; empty when any value is allowed."})
    source = fields.String(metadata=SOURCE)


class TouchpointSchema(JsonShape):
    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    stage = fields.String(metadata={"description": "Code of the stage it belongs to."})
    description = fields.String()
    source = fields.String(metadata=SOURCE)


class StageSchema(JsonShape):
    """A stage of the customer journey and its touchpoints."""

    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    touchpoints = fields.List(fields.Nested(TouchpointSchema))
    source = fields.String(metadata=SOURCE)


class TemplateSummarySchema(JsonShape):
    """An indicator-set template (its YAML: GET /industries/{code}/templates/{template})."""

    code = fields.String()
    industry = fields.String()
    file = fields.String(metadata={"description": "The template's file within the plugin."})
    name = fields.String()
    name_zh = fields.String()
    source = fields.String(metadata=SOURCE)


class ScaleOptionSchema(JsonShape):
    code = fields.String()
    score = fields.Float()
    label = fields.String()
    label_zh = fields.String()
    satisfied = fields.Boolean(metadata={"description": "Counts toward the satisfaction rate."})


class CatalogueScaleSchema(JsonShape):
    """A rating scale the industry's templates use."""

    code = fields.String()
    kind = fields.String(validate=validate.OneOf(["ordinal", "numeric", "nps", "text"]))
    name = fields.String()
    name_zh = fields.String()
    min = fields.Float(allow_none=True, metadata={"description": "Lowest score; null for open (text) scales."})
    max = fields.Float(allow_none=True, metadata={"description": "Highest score; null for open (text) scales."})
    options = fields.List(fields.Nested(ScaleOptionSchema), metadata={"description": "Ordinal scales: the options in order; empty otherwise."})


class KpiSchema(JsonShape):
    """An operational indicator the industry tracks beside satisfaction."""

    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    unit = fields.String()
    direction = fields.String(validate=validate.OneOf(["higher_is_better", "lower_is_better"]))
    description = fields.String()
    source = fields.String(metadata=SOURCE)
    params = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata=PARAMS)


class ExpectationRuleSchema(JsonShape):
    """A service promise or expectation rule (what customers may expect, and when)."""

    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    kind = fields.String()
    description = fields.String()
    source = fields.String(metadata=SOURCE)
    params = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata=PARAMS)


class ServiceTierSchema(JsonShape):
    """A level of service, ranked (lowest first), with the services it includes."""

    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    rank = fields.Integer()
    services = fields.List(fields.String())
    description = fields.String()
    source = fields.String(metadata=SOURCE)


class CatalogueSchema(JsonShape, IndustrySchema):
    """One industry with everything its plugins provide."""

    factors = fields.List(fields.Nested(FactorSchema))
    respondent_attributes = fields.List(fields.Nested(RespondentAttributeSchema))
    stages = fields.List(fields.Nested(StageSchema))
    templates = fields.List(fields.Nested(TemplateSummarySchema))
    scales = fields.List(fields.Nested(CatalogueScaleSchema))
    kpis = fields.List(fields.Nested(KpiSchema))
    expectation_rules = fields.List(fields.Nested(ExpectationRuleSchema))
    service_tiers = fields.List(fields.Nested(ServiceTierSchema))
