from marshmallow import Schema, fields, validate

from core.api.tenants.schemas import KeySchema


class KeyCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class KeyCreatedSchema(Schema):
    key = fields.Nested(KeySchema)
    api_key = fields.String(metadata={"description": "The new key. Shown once; store it now."})


__all__ = ["KeyCreateSchema", "KeyCreatedSchema", "KeySchema"]
