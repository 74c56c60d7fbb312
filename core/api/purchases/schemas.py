"""Request and answer shapes of purchase records."""

from marshmallow import Schema, fields, validate

from core.api.cases.schemas import required_id
from core.api.responses.schemas import ItemList
from core.batch.limits import MAX_BATCH, MAX_ID_LENGTH


class PurchaseItemSchema(Schema):
    """One purchase (documentation of the item shape; validated in bulk by core.ingest.purchases)."""

    purchase_id = required_id("Your id for the purchase (text, or a number read as its text); unique per tenant. Posting it again with other values replaces it; identical, it changes nothing.")
    customer_id = required_id("The customer, as its responses carry it (the link between what a customer says and what it buys).")
    purchased_at = fields.String(required=True, metadata={"description": "When (ISO 8601; an offset is converted to UTC, none is taken as UTC); not in the future.", "example": "2026-03-31T14:05:00+08:00"})
    amount = fields.Raw(required=True, metadata={"anyOf": [{"type": "number"}, {"type": "string"}], "description": "What the customer paid: a finite number >= 0 (or its text).", "example": 1200.5})
    category_spend = fields.Raw(allow_none=True, metadata={"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "null"}], "description": "Optional: the customer's whole spend in the category, with you and elsewhere (> 0); share of wallet = spend with you / the latest one given."})


class PurchaseIngestSchema(Schema):
    purchases = ItemList(fields.Nested(PurchaseItemSchema), required=True, validate=validate.Length(min=1), metadata={"description": f"Up to {MAX_BATCH:,} purchases (setting CSM_MAX_BATCH), all stored or none."})


class PurchaseIngestResultSchema(Schema):
    accepted = fields.Integer(metadata={"description": "Purchases in the batch."})
    created = fields.Integer()
    updated = fields.Integer(metadata={"description": "Stored purchases the batch changed (the same id, other values)."})
    unchanged = fields.Integer(metadata={"description": "Purchases identical to the stored ones (e.g. a batch sent again)."})


class PurchaseSchema(Schema):
    purchase_id = fields.String()
    customer_id = fields.String()
    purchased_at = fields.DateTime()
    amount = fields.Float()
    category_spend = fields.Float(allow_none=True)
    recorded_at = fields.DateTime(metadata={"description": "When it was stored (or last changed)."})


class PurchaseQuerySchema(Schema):
    customer_id = fields.String(validate=validate.Length(min=1, max=MAX_ID_LENGTH), metadata={"description": "Only this customer's purchases."})
