"""Schemas of the synced documents. ``validate`` in sync/access.py is built on them.

Unknown fields are kept (INCLUDE): a phone running a newer app may add fields, and a
sync must not refuse its listing for that. Known fields are checked strictly.
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from seed.taxonomy import CATEGORY_CODES, LOCALES

PRODUCT_STATUSES = ("draft", "submitted", "changes_requested", "approved", "rejected", "archived")
# What an artisan (or a coordinator editing for her) may set; the rest is the review's.
AUTHOR_STATUSES = ("draft", "submitted", "archived")
ORDER_STATUSES = (
    "placed",
    "accepted",
    "declined",
    "cancelled",
    "in_production",
    "ready",
    "shipped",
    "delivered",
)


class DocumentSchema(Schema):
    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)
    created_at = fields.String(metadata={"description": "ISO 8601, set by the first writer"})
    updated_at = fields.String()


class Localised(Schema):
    """A text in up to three languages; at least one."""

    ar = fields.String(validate=validate.Length(max=5000))
    fr = fields.String(validate=validate.Length(max=5000))
    en = fields.String(validate=validate.Length(max=5000))

    @validates_schema
    def one_language(self, data, **kwargs):
        if not any(data.get(lang) for lang in LOCALES):
            raise ValidationError("Give the text in at least one of ar, fr, en.")


class OwnedSchema(DocumentSchema):
    owner = fields.String(required=True, metadata={"description": "the artisan's user id"})
    cooperative = fields.String(required=True)


class ProductDocSchema(OwnedSchema):
    title = fields.Nested(Localised, required=True)
    description = fields.Nested(Localised)
    category = fields.String(required=True, validate=validate.OneOf(sorted(CATEGORY_CODES)))
    price_centimes = fields.Integer(strict=True, validate=validate.Range(min=0), allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(PRODUCT_STATUSES))
    photos = fields.List(fields.String(), load_default=list)
    listed_by = fields.String()


class PhotoDocSchema(OwnedSchema):
    product_id = fields.String()
    sha256 = fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    status = fields.String()


class ReviewDocSchema(DocumentSchema):
    product_id = fields.String(required=True)
    artisan = fields.String(required=True)
    cooperative = fields.String(required=True)
    decision = fields.String(validate=validate.OneOf(["approve", "request_changes", "reject"]))


class OrderDocSchema(DocumentSchema):
    buyer = fields.String(required=True)
    artisan = fields.String(required=True)
    cooperative = fields.String(required=True)
    product_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))
    quantity = fields.Integer(strict=True, validate=validate.Range(min=1))


class MaterialMovementDocSchema(OwnedSchema):
    material = fields.String(required=True)
    quantity = fields.Float(required=True, allow_nan=False)
    unit = fields.String(required=True)


DOCUMENT_SCHEMAS: dict[str, type[Schema]] = {
    "product": ProductDocSchema,
    "photo": PhotoDocSchema,
    "review": ReviewDocSchema,
    "order": OrderDocSchema,
    "material_movement": MaterialMovementDocSchema,
}
