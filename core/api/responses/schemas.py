from marshmallow import Schema, fields, validate

from core.api.common import MAX_ID
from core.batch.limits import (
    JSON_VALUES_PER_ITEM,
    MAX_ATTRIBUTE_LENGTH,
    MAX_ATTRIBUTE_NAME_LENGTH,
    MAX_ATTRIBUTES,
    MAX_BATCH,
    MAX_ID_LENGTH,
    MAX_TEXT_ANSWER_LENGTH,
    MAX_TOUCHPOINT_LENGTH,
)


def scalar(description: str, **extra) -> fields.Raw:
    """A value that is a string or a number (or null): what a JSON item may put in a cell.
    Documentation only: ingest checks the cells of a whole batch at once (core.ingest)."""
    typed = {"anyOf": [{"type": "string"}, {"type": "number"}], "nullable": True}
    return fields.Raw(metadata={**typed, "description": description, **extra})


def scalar_mapping(description: str, example: dict | None = None, min_properties: int | None = None, **kwargs) -> fields.Dict:
    """An object whose values are strings or numbers (attributes, answers); the example is
    what Swagger UI shows instead of placeholder keys, ``min_properties`` the spec's
    ``minProperties`` (ingest enforces it with the rest of the batch)."""
    metadata = {"description": description, **({"example": example} if example else {}), **({"minProperties": min_properties} if min_properties else {})}
    return fields.Dict(keys=fields.String(), values=scalar("A string or a number; null or absent: none."), metadata=metadata, **kwargs)


class ResponseItemSchema(Schema):
    """One survey response as JSON (documentation of the item shape; items are checked
    together, in bulk, by core.ingest, whose messages name the item's index and field)."""

    response_id = scalar(
        f"Your id for the response (a number is taken as its text); unique per tenant: sending a stored id again is refused. At most {MAX_ID_LENGTH} characters.",
        example="web-1",
    )
    customer_id = scalar(f"Who answered, in your own ids. At most {MAX_ID_LENGTH} characters.")
    touchpoint = scalar(f"Where the survey was triggered (a breakdown key). At most {MAX_TOUCHPOINT_LENGTH} characters.")
    collected_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "ISO 8601 date-time, with `Z` or an offset (without one: UTC); absent or null: the time of the request. At most a day ahead.", "example": "2026-03-31T14:05:00+08:00"},
    )
    attributes = scalar_mapping(
        f"Respondent attributes (segment, region, store...), usable as breakdowns: name (1-{MAX_ATTRIBUTE_NAME_LENGTH} characters) → "
        f"value (text of at most {MAX_ATTRIBUTE_LENGTH} characters, or a number, stored as text); at most {MAX_ATTRIBUTES} names per batch.",
        example={"segment": "vip", "store": "S-12"},
        allow_none=True,
    )
    answers = scalar_mapping(
        "Question code → answer: an option code, an option label in either language, or a number (a number as text too); "
        f"text for an open question (at most {MAX_TEXT_ANSWER_LENGTH:,} characters). At least one question answered.",
        example={"env_overall": "A", "env_noise": 3, "checkout_speed": "Fairly satisfied", "cashier_attitude": "满意", "nps_recommend": 9},
        required=True,
        min_properties=1,
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
            "description": f"Up to {MAX_BATCH:,} responses (setting CSM_MAX_BATCH), all stored or none; items have the shape of ResponseItem. "
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
    attributes = fields.Dict(
        keys=fields.String(),
        values=fields.String(allow_none=True),
        metadata={"description": "Attribute name → value as text (a number sent is stored as its text; null where a CSV row left it empty)."},
    )
    answers = scalar_mapping("Question code → canonical answer: an option code, a number, or the text of an open question; null: not answered.")
    created_at = fields.DateTime(metadata={"description": "When it was stored."})
