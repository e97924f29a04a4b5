"""What every synced document's schema shares: the base schemas, localised text, bounds."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from schemas.taxonomy import LOCALES


class DocumentSchema(Schema):
    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)
    created_at = fields.String(metadata={"description": "ISO 8601, set by the first writer"})
    updated_at = fields.String()


class Localised(Schema):
    """A text in up to three languages; at least one."""

    ar = fields.String(validate=validate.Length(max=5000), metadata={"example": "زربية بني ورين"})
    fr = fields.String(
        validate=validate.Length(max=5000), metadata={"example": "Tapis Beni Ouarain"}
    )
    en = fields.String(validate=validate.Length(max=5000), metadata={"example": "Beni Ouarain rug"})

    @validates_schema
    def one_language(self, data, **kwargs):
        if not any(data.get(lang) for lang in LOCALES):
            raise ValidationError("Give the text in at least one of ar, fr, en.")


class OwnedSchema(DocumentSchema):
    owner = fields.String(required=True, metadata={"description": "the artisan's user id"})
    cooperative = fields.String(required=True)


# Bounds that keep every number inside SQLite's 64-bit integers (the catalogue indexes
# prices) and inside reason: 10 billion dirhams, a billion pieces or grams.
MAX_CENTIMES = 10**12
MAX_COUNT = 10**9


def example(value):
    return {"example": value}
