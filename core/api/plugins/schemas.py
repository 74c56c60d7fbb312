"""Plugins per tenant, and what the enabled plugins give the tenant, typed for clients."""

from marshmallow import Schema, fields

from core.api.common import JsonShape
from core.api.industries.schemas import CatalogueScaleSchema

PLUGIN = {"description": "The plugin that registered it."}


class PluginSchema(Schema):
    name = fields.String(metadata={"description": "What a tenant enables, e.g. `PUT /tenant/plugins/NAME`."})
    version = fields.String(allow_none=True, metadata={"description": "null: enabled earlier, no longer installed (then not called)"})
    description = fields.String()
    core = fields.String(allow_none=True, metadata={"description": "The core versions it supports (PEP 440 specifier)."})
    industries = fields.List(fields.String(), metadata={"description": "Codes of the industries it provides."})
    builtin = fields.Boolean(metadata={"description": "The core's own plugin: always enabled."})
    installed = fields.Boolean()
    enabled = fields.Boolean()
    enabled_at = fields.DateTime(allow_none=True)
    enabled_by_key_id = fields.Integer(allow_none=True, metadata={"description": "null: by the core, the CLI or the operator"})


class ParamSchema(JsonShape):
    name = fields.String()
    type = fields.String(metadata={"description": "e.g. `datetime`, `number`, `string`, `any`."})
    description = fields.String()
    required = fields.Boolean()
    default = fields.Raw(allow_none=True, metadata={"description": "The value used when an optional parameter is not given."})


class ExpressionFunctionSchema(JsonShape):
    name = fields.String()
    params = fields.List(fields.Nested(ParamSchema))
    returns = fields.String()
    doc = fields.String()
    plugin = fields.String(metadata=PLUGIN)


class CaseTypeSchema(JsonShape):
    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    source = fields.String()
    description = fields.String()
    default_time_limit_hours = fields.Float(allow_none=True, metadata={"description": "The promised time limit, if the source names one."})
    plugin = fields.String(metadata=PLUGIN)


class EventTypeSchema(JsonShape):
    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    source = fields.String()
    description = fields.String()
    payload = fields.List(fields.Nested(ParamSchema), metadata={"description": "The fields an event of this type carries."})
    plugin = fields.String(metadata=PLUGIN)


class AnalysisMethodSchema(JsonShape):
    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    description = fields.String()
    params = fields.List(fields.Nested(ParamSchema))
    plugin = fields.String(metadata=PLUGIN)


class CapabilitiesSchema(JsonShape):
    plugins = fields.List(fields.String(), metadata={"description": "The plugins called for this tenant: the core's and those it enabled."})
    scales = fields.List(fields.Nested(CatalogueScaleSchema), metadata={"description": "Scales its configurations may reference by code without defining them."})
    expression_functions = fields.List(fields.Nested(ExpressionFunctionSchema), metadata={"description": "Functions its rule expressions may call."})
    case_types = fields.List(fields.Nested(CaseTypeSchema))
    event_types = fields.List(fields.Nested(EventTypeSchema))
    analysis_methods = fields.List(fields.Nested(AnalysisMethodSchema))
