from marshmallow import Schema, fields, validate

from core.api.cases.figures import FiguresSchema
from core.api.common import UtcDateTime
from core.api.responses.schemas import ItemList, scalar
from core.batch.limits import MAX_BATCH, MAX_ID_LENGTH

ATTRIBUTES = "Name → text, number or boolean (not lists or objects); kept with their JSON types, for conditions over the case or event."


def required_id(description: str) -> fields.Raw:
    """A required id: text, or a number read as its text (what ingest accepts)."""
    return fields.Raw(required=True, metadata={"anyOf": [{"type": "string"}, {"type": "number"}], "description": description})


class CaseItemSchema(Schema):
    """One case (documentation of the item shape; validated in bulk by core.ingest)."""

    case_id = required_id("Your id for the case (text, or a number read as its text); unique per tenant. Sending it again replaces the stored record.")
    case_type = scalar("A code (letters, digits, _ . : -), e.g. dine_in; a number is read as its text; null: none.")
    customer_id = scalar("Your id for the customer (text, or a number read as its text).")
    touchpoint = scalar("Where the case happens (text, or a number read as its text); null: none.")
    opened_at = fields.DateTime(allow_none=True, metadata={"description": "ISO 8601; naive times are UTC; null: not known."})
    attributes = fields.Dict(keys=fields.String(), values=fields.Raw(), allow_none=True, metadata={"description": ATTRIBUTES + " null: none."})


class EventItemSchema(Schema):
    """One case event (documentation of the item shape; validated in bulk by core.ingest)."""

    case_id = required_id("The case (text, or a number read as its text); an unknown one is created with only its id.")
    type = required_id("A code (letters, digits, _ . : -), e.g. ordered, dish_served, complained; a number is read as its text.")
    at = fields.DateTime(required=True, metadata={"description": "When it happened (ISO 8601; naive times are UTC); events may arrive in any order."})
    event_id = scalar("Your id for the event within its case (text, or a number read as its text); default `type@at`. Sending it again replaces the stored event (a correction).")
    attributes = fields.Dict(keys=fields.String(), values=fields.Raw(), allow_none=True, metadata={"description": ATTRIBUTES + " null: none."})


class CaseIngestSchema(Schema):
    cases = ItemList(fields.Nested(CaseItemSchema), required=True, validate=validate.Length(min=1), metadata={"description": f"Up to {MAX_BATCH:,} cases (setting CSM_MAX_BATCH)."})


class EventIngestSchema(Schema):
    events = ItemList(fields.Nested(EventItemSchema), required=True, validate=validate.Length(min=1), metadata={"description": f"Up to {MAX_BATCH:,} events (setting CSM_MAX_BATCH)."})


class CaseIngestResultSchema(Schema):
    accepted = fields.Integer(metadata={"description": "Records in the batch."})
    created = fields.Integer()
    updated = fields.Integer(metadata={"description": "Stored records that the batch changed (corrections)."})
    unchanged = fields.Integer(metadata={"description": "Records identical to the stored ones (e.g. a batch sent again)."})
    alerts_raised = fields.Integer(metadata={"description": "Alerts the touched cases raised in the same transaction."})
    unknown_types = fields.List(fields.String(), metadata={"description": "The batch's event types (case types, for cases) that no commitment of the latest configuration names, in a clock role, a `delivered` or a condition: stored all the same (conditions see every event in `case.events`), but they start, stop or deliver nothing; a misspelt type shows here. Every type without any configuration."})


class StoredEventSchema(Schema):
    event_id = fields.String()
    type = fields.String()
    at = fields.DateTime()
    attributes = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": ATTRIBUTES})
    updated_at = fields.DateTime()


class CaseSchema(Schema):
    case_id = fields.String()
    case_type = fields.String(allow_none=True)
    customer_id = fields.String(allow_none=True)
    touchpoint = fields.String(allow_none=True)
    opened_at = fields.DateTime(allow_none=True)
    attributes = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": ATTRIBUTES})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    next_check_at = fields.DateTime(allow_none=True, metadata={"description": "When the sweep looks at the case again without a new event (a step falls due); null: not before the next event."})


class CaseWithEventsSchema(CaseSchema):
    events = fields.List(fields.Nested(StoredEventSchema), metadata={"description": "The case's log, oldest first."})
    at = fields.String(metadata={"format": "date-time", "description": "The instant the clocks were evaluated at (`at`, default now)."})
    commitments = fields.Dict(
        keys=fields.String(), values=fields.Nested(FiguresSchema),
        metadata={"description": "Commitment code → its clock on this case at `at`, for every commitment of the latest configuration that applies to the case and whose clock started; {} without any."},
    )


class CaseQuerySchema(Schema):
    at = UtcDateTime(metadata={"description": "Evaluate the clocks as at this ISO 8601 instant (UTC without an offset); default now. Events after it are not yet known."})


CASE_ID_PATH = f"<string(maxlength={MAX_ID_LENGTH}):case_id>"
