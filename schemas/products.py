"""REST bodies of the products namespace; the content fields are the document's own."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .documents import AUTHOR_STATUSES, PRODUCT_STATUSES, ProductContent

DOC_ID = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$",
    error="Use 1-100 letters, digits, ':', '.', '_' or '-', not starting with a symbol.",
)


class ProductCreateSchema(ProductContent):
    id = fields.String(
        validate=DOC_ID,
        metadata={
            "description": "optional; a phone may choose the id offline",
            "example": "product:9b1c2f",
        },
    )
    status = fields.String(
        validate=validate.OneOf(AUTHOR_STATUSES),
        load_default="draft",
        metadata={"example": "submitted"},
    )
    artisan_id = fields.String(
        metadata={
            "description": "coordinators listing for an artisan of their cooperative",
            "example": "art_fatima",
        },
    )


class ProductUpdateSchema(ProductContent):
    status = fields.String(
        validate=validate.OneOf(AUTHOR_STATUSES), metadata={"example": "submitted"}
    )


class PhotoRefSchema(Schema):
    id = fields.String(metadata={"example": "photo:3f2a"})
    status = fields.String(
        metadata={"description": "pending until the bytes are processed", "example": "ready"}
    )
    thumb_url = fields.String(allow_none=True, metadata={"example": "/media/3f2a.../thumb"})
    display_url = fields.String(allow_none=True, metadata={"example": "/media/3f2a.../display"})


class ProductSchema(ProductContent):
    id = fields.String(metadata={"example": "product:9b1c2f"})
    rev = fields.String(
        metadata={"description": "the revision; send it back as If-Match", "example": "2-5f0c..."}
    )
    status = fields.String(validate=validate.OneOf(PRODUCT_STATUSES), metadata={"example": "draft"})
    owner = fields.String(metadata={"example": "art_fatima"})
    cooperative = fields.String(metadata={"example": "coop-taza-zerbia"})
    listed_by = fields.String(metadata={"example": "art_fatima"})
    created_at = fields.String(metadata={"example": "2026-11-22T10:00:00Z"})
    updated_at = fields.String(metadata={"example": "2026-11-22T10:05:00Z"})
    photo_status = fields.List(fields.Nested(PhotoRefSchema))
    deleted = fields.Boolean(metadata={"example": False})


class ProductPageSchema(Schema):
    items = fields.List(fields.Nested(ProductSchema))
    deleted = fields.List(
        fields.String(),
        metadata={
            "description": "ids deleted since the cursor (tombstones)",
            "example": ["product:1"],
        },
    )
    next = fields.String(
        metadata={"description": "cursor for the next call (`since`)", "example": "42"}
    )
    more = fields.Boolean(metadata={"example": False})


class MaterialCostLineSchema(Schema):
    material = fields.String(metadata={"example": "material:coop-taza-zerbia:wool"})
    name = fields.Dict(metadata={"example": {"ar": "صوف", "fr": "Laine", "en": "Wool"}})
    quantity = fields.Integer(metadata={"description": "base units per piece", "example": 9000})
    unit = fields.String(
        allow_none=True,
        metadata={"description": "the unit the material is shown in", "example": "kg"},
    )
    shown = fields.String(metadata={"description": "the quantity in its unit", "example": "9 kg"})
    average_cost_centimes = fields.Float(
        allow_none=True,
        metadata={
            "description": "centimes per base unit, weighted by receipts; null: never bought",
            "example": 8.0,
        },
    )
    cost_centimes = fields.Integer(
        allow_none=True,
        metadata={"description": "this line, rounded; null: never bought", "example": 72000},
    )


class MaterialsCostSchema(Schema):
    product_id = fields.String(metadata={"example": "product:9b1c2f"})
    lines = fields.List(fields.Nested(MaterialCostLineSchema))
    total_centimes = fields.Integer(
        metadata={
            "description": "the exact sum of the lines, rounded half to even once",
            "example": 72000,
        }
    )
    complete = fields.Boolean(
        metadata={
            "description": "false when a material was never bought (the total is then a "
            "lower bound) or the bill of materials is empty",
            "example": True,
        }
    )
    price_centimes = fields.Integer(allow_none=True, metadata={"example": 450000})
    currency = fields.String(metadata={"example": "MAD"})
    message = fields.String(
        metadata={
            "description": "the comparison in the caller's language (her account's locale)",
            "example": (
                "Les matières de cette pièce coûtent 720 MAD ; vous demandez 4\u202f500 MAD."
            ),
        }
    )


class PhotoCreateSchema(Schema):
    id = fields.String(validate=DOC_ID, metadata={"example": "photo:3f2a"})
    product_id = fields.String(validate=DOC_ID, metadata={"example": "product:9b1c2f"})
    sha256 = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9a-f]{64}$"),
        metadata={
            "description": "SHA-256 of the photo file, lower-case hex",
            "example": "3f2a" + "0" * 60,
        },
    )
    artisan_id = fields.String(metadata={"example": "art_fatima"})


class PhotoSchema(Schema):
    id = fields.String(metadata={"example": "photo:3f2a"})
    rev = fields.String(metadata={"example": "1-8c1d..."})
    product_id = fields.String(allow_none=True, metadata={"example": "product:9b1c2f"})
    sha256 = fields.String(metadata={"example": "3f2a" + "0" * 60})
    status = fields.String(metadata={"example": "pending"})
    owner = fields.String(metadata={"example": "art_fatima"})
    thumb_url = fields.String(allow_none=True, metadata={"example": "/media/3f2a.../thumb"})
    display_url = fields.String(allow_none=True, metadata={"example": "/media/3f2a.../display"})
