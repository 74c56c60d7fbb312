from marshmallow import Schema, fields


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


class CapabilitiesSchema(Schema):
    plugins = fields.List(fields.String(), metadata={"description": "The plugins called for this tenant: the core's and those it enabled."})
    scales = fields.List(fields.Dict(), metadata={"description": "Scales its configurations may reference by code without defining them."})
    expression_functions = fields.List(fields.Dict(), metadata={"description": "Functions its rule expressions may call."})
    case_types = fields.List(fields.Dict())
    event_types = fields.List(fields.Dict())
    analysis_methods = fields.List(fields.Dict())
