"""Request and answer shapes of customers, their grades and service requests."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.api.cases.schemas import required_id
from core.api.common import Text, UtcDateTime
from core.api.responses.schemas import ItemList
from core.batch.limits import MAX_BATCH, MAX_CODE_LENGTH, MAX_ID_LENGTH
from core.rules.services import ABOVE_GRADE, ENTITLED, UNKNOWN_SERVICE

OUTCOMES = (ENTITLED, ABOVE_GRADE, UNKNOWN_SERVICE)
PERIOD_LENGTH = 16
PERIOD_PATTERN = r"^\d{4}-(\d{2}|Q[1-4])$"
ATTRIBUTES = "The attributes the configuration's `customers.attributes` declares, each of its type (number, integer, string, boolean); an unknown one is refused."
CUSTOMER_ID_PATH = f"<string(maxlength={MAX_ID_LENGTH}):customer_id>"


def period_field(description: str) -> fields.String:
    return fields.String(validate=[validate.Length(max=PERIOD_LENGTH), validate.Regexp(PERIOD_PATTERN)], metadata={"description": description, "example": "2026-03"})


class CustomerItemSchema(Schema):
    """One customer (documentation of the item shape; validated in bulk against the section)."""

    customer_id = required_id("Your id for the customer (text, or an integer read as its text); unique per tenant. Posting it again replaces its attributes.")
    attributes = fields.Dict(keys=fields.String(), values=fields.Raw(), allow_none=True, metadata={"description": ATTRIBUTES + " null: none.", "example": {"contribution": 90, "compliance": 80, "capability": 70}})


class CustomerIngestSchema(Schema):
    customers = ItemList(fields.Nested(CustomerItemSchema), required=True, validate=validate.Length(min=1), metadata={"description": f"Up to {MAX_BATCH:,} customers (setting CSM_MAX_BATCH), all stored or none."})
    period = period_field("The evaluation period to grade the batch for: 2026-03 (monthly, bimonthly: an odd month), 2026-Q1 (quarterly); default the current one (UTC).")


class CustomerIngestResultSchema(Schema):
    accepted = fields.Integer(metadata={"description": "Customers in the batch."})
    created = fields.Integer()
    updated = fields.Integer(metadata={"description": "Stored customers whose attributes the batch changed."})
    unchanged = fields.Integer(metadata={"description": "Customers identical to the stored ones (e.g. a batch sent again)."})
    period = fields.String(allow_none=True, metadata={"description": "The period the batch was graded for; null when the configuration does not grade."})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "Customers of the batch per grade, highest first (`ungraded` when some are below every band)."})


class GradeSchema(Schema):
    period = fields.String()
    grade = fields.String(allow_none=True, metadata={"description": "null: ungraded (below every band, or matched by no rule)."})
    score = fields.Float(allow_none=True, metadata={"description": "What the score formula gave; null without one."})
    inputs = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": "The attributes the grade was computed from."})
    config_version = fields.Integer(metadata={"description": "The configuration version that graded it."})
    graded_at = fields.DateTime()


class CustomerSchema(Schema):
    customer_id = fields.String()
    attributes = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": "As last posted, typed."})
    grade = fields.String(allow_none=True, metadata={"description": "The grade in force now: the current period's, else the latest earlier period's; null when never graded (or ungraded)."})
    period = fields.String(allow_none=True, metadata={"description": "The period that grade was given for; null when never graded."})
    score = fields.Float(allow_none=True, metadata={"description": "Its score; its inputs are in the grade history."})
    config_version = fields.Integer(allow_none=True, metadata={"description": "The configuration version that gave it."})
    graded_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CustomerDetailSchema(CustomerSchema):
    services = fields.List(fields.String(), metadata={"description": "The codes of the services the grade in force entitles to, in menu order."})


class ServiceRequestSchema(Schema):
    customer_id = Text(required=True, validate=validate.Length(min=1, max=MAX_ID_LENGTH), metadata={"description": "The customer (stored through POST /customers)."})
    service = Text(required=True, validate=validate.Length(min=1, max=MAX_CODE_LENGTH), metadata={"description": "A service code of the menu (`services.menu`); any other is `unknown_service`.", "example": "agreement_supply"})
    at = UtcDateTime(metadata={"description": "When it was requested (ISO 8601; no offset: UTC); default now. The grade in force then decides."})


class StoredServiceRequestSchema(Schema):
    id = fields.Integer()
    customer_id = fields.String()
    service = fields.String()
    requested_at = fields.DateTime()
    outcome = fields.String(metadata={"description": " | ".join(OUTCOMES) + ": `above_grade` is to be played down (淡化), and raises an alert."})
    grade = fields.String(allow_none=True, metadata={"description": "The customer's grade in force at the time; null: ungraded."})
    period = fields.String(metadata={"description": "The evaluation period the request fell in."})
    config_version = fields.Integer()
    recorded_at = fields.DateTime()


class CheckedServiceRequestSchema(StoredServiceRequestSchema):
    alert_id = fields.Integer(allow_none=True, metadata={"description": "The `above_grade` alert the request raised; null for the other outcomes."})


class ServiceRequestQuerySchema(Schema):
    customer_id = fields.String(validate=validate.Length(min=1, max=MAX_ID_LENGTH), metadata={"description": "Only this customer's requests."})
    service = fields.String(validate=validate.Length(min=1, max=MAX_CODE_LENGTH), metadata={"description": "Only requests for this service."})
    outcome = fields.String(validate=validate.OneOf(OUTCOMES), metadata={"description": "Only requests with this outcome."})
    start = UtcDateTime(data_key="from", metadata={"description": "Only requests made at or after this ISO 8601 time (UTC without an offset)."})
    end = UtcDateTime(data_key="to", metadata={"description": "Only requests made before this ISO 8601 time (UTC without an offset)."})

    @validates_schema
    def _range(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise ValidationError("`from` must be before `to`", "to")
