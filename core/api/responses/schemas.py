from marshmallow import Schema, fields, validate

from core.api.common import MAX_ID
from core.batch.limits import JSON_VALUES_PER_ITEM, MAX_BATCH


class ResponseItemSchema(Schema):
    """One survey response (documentation of the item shape; validated in bulk by core.ingest)."""

    response_id = fields.String(metadata={"description": "Your id for the response; unique per tenant. Retrying a stored id is refused."})
    customer_id = fields.String()
    touchpoint = fields.String(metadata={"description": "Where the survey was triggered (a breakdown key)."})
    collected_at = fields.DateTime(metadata={"description": "ISO 8601; defaults to the time of the request. Naive times are UTC."})
    attributes = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": "Customer attributes (segment, region, store...), usable as breakdowns."})
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        required=True,
        metadata={"description": "Question code → option code, option label (either language) or number."},
    )


class ItemList(fields.List):
    """A JSON array passed through as is: its items are validated together, in bulk, by
    core.ingest (a per-item marshmallow pass would cost more than storing them). The item
    field only documents their shape."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return value


class IngestSchema(Schema):
    version = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Configuration version the answers were collected under; default the latest."})
    responses = ItemList(
        fields.Nested(ResponseItemSchema),
        required=True,
        validate=validate.Length(min=1),
        metadata={
            "description": f"Up to {MAX_BATCH:,} responses (setting CSM_MAX_BATCH); items have the shape of ResponseItem. "
            f"The body may hold at most {JSON_VALUES_PER_ITEM} values (objects, arrays, strings, numbers) per item of the largest batch, counted before it is decoded."
        },
    )


class IngestQuerySchema(Schema):
    version = fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Configuration version; default the latest."})


class IngestResultSchema(Schema):
    accepted = fields.Integer()
    version = fields.Integer()


class ListQuerySchema(Schema):
    version = fields.Integer(validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Only responses collected under this configuration version."})


class StoredResponseSchema(Schema):
    """A stored response as it is kept: answers canonical (option codes, numbers, text)."""

    response_id = fields.String(allow_none=True)
    customer_id = fields.String(allow_none=True)
    touchpoint = fields.String(allow_none=True)
    collected_at = fields.DateTime()
    version = fields.Integer()
    attributes = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": "Attribute name → value as sent (null where a CSV row left it empty)."})
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": "Question code → canonical answer: option code, number or text."})
    created_at = fields.DateTime(metadata={"description": "When it was stored."})
