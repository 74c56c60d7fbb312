from marshmallow import Schema, fields, validate

from core.api.common import Text


SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"


class TenantCreateSchema(Schema):
    slug = fields.String(required=True, validate=validate.Regexp(SLUG_PATTERN, error="2-63 characters: lower-case letters, digits and '-', not starting with '-'"))
    name = Text(required=True, validate=validate.Length(min=1, max=200))


class TenantSchema(Schema):
    id = fields.Integer(dump_only=True)
    slug = fields.String()
    name = fields.String()
    created_at = fields.DateTime()


class KeySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    role = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class TenantCreatedSchema(Schema):
    tenant = fields.Nested(TenantSchema)
    key = fields.Nested(KeySchema)
    api_key = fields.String(metadata={"description": "The first admin key. Shown once; store it now."})


class TenantDeleteSchema(Schema):
    """The explicit confirmation a tenant deletion needs: the tenant's own slug. The spec
    gives it the slug's pattern; that it names *this* tenant cannot be said in a schema, so
    the operations document that 422."""

    confirm = fields.String(
        required=True,
        validate=validate.Length(min=1, max=63),
        metadata={
            "description": "The slug of the tenant being deleted, typed out to confirm that all its data goes, irreversibly; any other value is a 422.",
            "pattern": SLUG_PATTERN,
        },
    )
