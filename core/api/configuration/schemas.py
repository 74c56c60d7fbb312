from marshmallow import Schema, fields


class ConfigSummarySchema(Schema):
    indicator_set = fields.String()
    name = fields.String()
    industry = fields.String(allow_none=True)
    template = fields.String(allow_none=True)
    groups = fields.Integer()
    questions = fields.Integer()
    scored_questions = fields.Integer()
    scales = fields.List(fields.String())


class ValidationResultSchema(Schema):
    valid = fields.Boolean()
    summary = fields.Nested(ConfigSummarySchema)


class VersionSchema(Schema):
    version = fields.Integer()
    indicator_set = fields.String(attribute="indicator_set_code")
    checksum = fields.String()
    created_at = fields.DateTime()
    created_by_key_id = fields.Integer(allow_none=True)


class VersionDetailSchema(VersionSchema):
    yaml = fields.String(attribute="yaml_text", metadata={"description": "The YAML exactly as uploaded."})
    document = fields.Dict(metadata={"description": "The resolved configuration (template merged, default weights filled in) that scores use."})


class VersionCreatedSchema(VersionSchema):
    summary = fields.Nested(ConfigSummarySchema)


CONFIG_BODY = {
    "required": True,
    "description": "A configuration document: raw YAML, or JSON `{\"yaml\": \"...\", \"filename\": \"store.yaml\"}`.",
    "content": {
        "application/yaml": {"schema": {"type": "string"}},
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["yaml"],
                "properties": {"yaml": {"type": "string"}, "filename": {"type": "string"}},
            }
        },
    },
}
