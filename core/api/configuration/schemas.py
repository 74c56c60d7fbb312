"""Configuration answers: validation results, versions and the resolved document.

The resolved document is the configuration as scores use it (template merged, default
weights filled in), in the tenant format of the README without ``template``/``overrides``
and with empty fields left out; it is described here so clients can read it typed."""

from marshmallow import Schema, fields, validate

from core.api.common import LABEL_PATTERN, JsonShape
from core.config.sections import CORE_SECTIONS

SOURCE = {"description": "Where this was taken from (templates of industry plugins name their source)."}


class ConfigSummarySchema(JsonShape):
    indicator_set = fields.String()
    name = fields.String()
    industry = fields.String(allow_none=True)
    template = fields.String(allow_none=True)
    groups = fields.Integer()
    questions = fields.Integer()
    scored_questions = fields.Integer()
    scales = fields.List(fields.String())
    analyses = fields.List(fields.String(), metadata={"description": "With an `analysis` section: the analyses it configures."})
    calendars = fields.List(fields.String(), metadata={"description": "With a `calendars` section: the calendar codes."})
    commitments = fields.List(fields.String(), metadata={"description": "With a `commitments` section: the commitment codes."})
    customer_attributes = fields.Integer(metadata={"description": "With a `customers` section: how many attributes it declares."})
    grades = fields.List(fields.String(), metadata={"description": "With a `customers` section: the grades, highest first."})
    services = fields.Integer(metadata={"description": "With a `services` section: how many services the menu has."})
    service_categories = fields.Integer(metadata={"description": "With a `services` section: how many categories."})


class ValidationResultSchema(Schema):
    valid = fields.Boolean()
    summary = fields.Nested(ConfigSummarySchema)


class ResolvedOptionSchema(JsonShape):
    code = fields.String()
    label = fields.String()
    label_zh = fields.String()
    score = fields.Float()
    satisfied = fields.Boolean()
    source = fields.String(metadata=SOURCE)


class ResolvedScaleSchema(JsonShape):
    kind = fields.String(validate=validate.OneOf(["ordinal", "numeric", "nps", "text"]))
    name = fields.String()
    name_zh = fields.String()
    min = fields.Float()
    max = fields.Float()
    source = fields.String(metadata=SOURCE)
    options = fields.List(fields.Nested(ResolvedOptionSchema), metadata={"description": "Ordinal scales only."})


class ResolvedNodeSchema(JsonShape):
    """A node of the indicator tree: a group (``children``) or a question (``scale``)."""

    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    weight = fields.Float(metadata={"description": "Among its siblings; filled in (equal shares) where the upload left it out."})
    source = fields.String(metadata=SOURCE)
    children = fields.List(fields.Nested(lambda: ResolvedNodeSchema()), metadata={"description": "Groups only."})
    scale = fields.String(metadata={"description": "Questions only: the scale's code."})
    question = fields.String()
    question_zh = fields.String()
    touchpoint = fields.String()
    reverse = fields.Boolean()


class ResolvedIndicatorSetSchema(JsonShape):
    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    source = fields.String(metadata=SOURCE)
    children = fields.List(fields.Nested(ResolvedNodeSchema))


class TemplateReferenceSchema(JsonShape):
    industry = fields.String()
    code = fields.String()


class _ResolvedConfigBase(JsonShape):
    format_version = fields.Integer(metadata={"description": "How the stored document is written (2); older formats are read and migrated."})
    version = fields.Integer(metadata={"description": "Syntax version of the tenant document (1)."})
    industry = fields.String(allow_none=True)
    source = fields.String(metadata=SOURCE)
    scales = fields.Dict(keys=fields.String(), values=fields.Nested(ResolvedScaleSchema), metadata={"description": "Scale code → scale."})
    indicator_set = fields.Nested(ResolvedIndicatorSetSchema)
    template = fields.Nested(TemplateReferenceSchema, metadata={"description": "The plugin template the upload started from, if any."})


def _section_field(section) -> fields.Field:
    """Every other core section as the document resolved it (its own rules are the README's)."""
    return fields.Raw(metadata={"description": f"The `{section.name}` section as resolved, when the document has one: {section.description}"})


# The header and the typed sections above, plus one entry per other registered core
# section, so a section added to CORE_SECTIONS is documented without an edit here.
ResolvedConfigSchema = type(
    "ResolvedConfigSchema",
    (_ResolvedConfigBase,),
    {s.name: _section_field(s) for s in CORE_SECTIONS if s.name not in _ResolvedConfigBase._declared_fields},
)


class VersionSchema(Schema):
    version = fields.Integer()
    indicator_set = fields.String(attribute="indicator_set_code")
    checksum = fields.String()
    created_at = fields.DateTime()
    created_by_key_id = fields.Integer(allow_none=True)


class VersionDetailSchema(VersionSchema):
    yaml = fields.String(attribute="yaml_text", metadata={"description": "The YAML exactly as uploaded."})
    document = fields.Nested(ResolvedConfigSchema, metadata={"description": "The resolved configuration (template merged, default weights filled in) that scores use."})


class VersionCreatedSchema(VersionSchema):
    summary = fields.Nested(ConfigSummarySchema)


CONFIG_BODY = {
    "required": True,
    "description": "A configuration document: the YAML itself (UTF-8) as `application/yaml` (any other media type but JSON is read "
    "as YAML too, e.g. `text/yaml`), or JSON `{\"yaml\": \"...\", \"filename\": \"store.yaml\"}`. "
    "A document that is not a configuration of the README's format (empty, not YAML, not a mapping, an unknown key, "
    "a rule broken) is a 422 listing every problem with its path and line.",
    "content": {
        "application/yaml": {"schema": {"type": "string", "format": "binary", "minLength": 1}},
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["yaml"],
                "properties": {
                    "yaml": {"type": "string", "minLength": 1, "description": "The YAML document (UTF-8 text)."},
                    "filename": {"type": "string", "maxLength": 255, "pattern": LABEL_PATTERN, "description": "Named in error messages; default `config.yaml`."},
                },
                "additionalProperties": False,
            }
        },
    },
}
