from marshmallow import Schema, ValidationError, fields, validate, validates

from core.api.common import Text
from core.api.tenants.schemas import KeySchema
from core.roles import ROLES, VIEWER


class KeyCreateSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(load_default=VIEWER, validate=validate.OneOf(ROLES), metadata={"description": "viewer (default), integrator or admin"})
    expires_at = fields.AwareDateTime(load_default=None, metadata={"description": "When the key stops working (ISO 8601 with a time zone); must lie in the future (422 otherwise)."})

    @validates("expires_at")
    def _future(self, value, **kwargs):
        from datetime import datetime, timezone

        if value is None:
            return
        try:  # 9999-12-31T23:59-01:00 parses, but is year 10000 in UTC, where it is stored
            value = value.astimezone(timezone.utc)
        except OverflowError:
            raise ValidationError("must lie before the year 10000 in UTC") from None
        if value <= datetime.now(timezone.utc):
            raise ValidationError("must lie in the future")


class KeyUpdateSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class KeyCreatedSchema(Schema):
    key = fields.Nested(KeySchema)
    api_key = fields.String(metadata={"description": "The new key. Shown once; store it now."})


__all__ = ["KeyCreateSchema", "KeyCreatedSchema", "KeySchema", "KeyUpdateSchema"]
