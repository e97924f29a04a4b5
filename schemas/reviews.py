"""Bodies of the review and catalogue endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .documents import REASON_CODES, REVIEW_DECISIONS, Localised


class DecisionSchema(Schema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf(REVIEW_DECISIONS),
        metadata={"example": "request_changes"},
    )
    reason_codes = fields.List(
        fields.String(validate=validate.OneOf(REASON_CODES)),
        load_default=list,
        metadata={"description": f"any of {', '.join(REASON_CODES)}", "example": ["photo_blurry"]},
    )
    comment = fields.String(
        validate=validate.Length(max=2000),
        load_default="",
        metadata={
            "description": "required when a reason is `other`",
            "example": "صورة أوضح من فضلك / une photo plus nette",
        },
    )
    product_rev = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "the product revision you looked at (`rev` in the queue); "
            "409 `product_changed` if the product has changed since",
            "example": "3-1f0e...",
        },
    )


class BatchItemSchema(DecisionSchema):
    product_id = fields.String(required=True, metadata={"example": "product:9b1c2f"})


class BatchDecisionSchema(Schema):
    decisions = fields.List(
        fields.Nested(BatchItemSchema),
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={
            "example": [
                {"product_id": "product:9b1c2f", "decision": "approve"},
                {
                    "product_id": "product:77aa01",
                    "decision": "request_changes",
                    "reason_codes": ["photo_too_dark"],
                },
            ]
        },
    )


class BatchResultSchema(Schema):
    product_id = fields.String(metadata={"example": "product:9b1c2f"})
    ok = fields.Boolean(metadata={"example": True})
    review_rev = fields.String(metadata={"example": "2-77a0..."})
    error = fields.Dict(metadata={"example": {"code": "conflict", "message": "..."}})


class BatchResultsSchema(Schema):
    results = fields.List(fields.Nested(BatchResultSchema))


class HistoryEntrySchema(Schema):
    decision = fields.String(metadata={"example": "approve"})
    by = fields.String(metadata={"example": "coo_naima"})
    at = fields.String(metadata={"example": "2026-11-22T10:00:00Z"})
    reason_codes = fields.List(fields.String(), metadata={"example": []})
    comment = fields.String(metadata={"example": ""})
    product_rev = fields.String(metadata={"example": "3-1f0e..."})


class ReviewSchema(Schema):
    id = fields.String(attribute="_id", metadata={"example": "review:product:9b1c2f"})
    rev = fields.String(attribute="_rev", metadata={"example": "1-77a0..."})
    product_id = fields.String(metadata={"example": "product:9b1c2f"})
    artisan = fields.String(metadata={"example": "art_fatima"})
    cooperative = fields.String(metadata={"example": "coop-taza-zerbia"})
    decision = fields.String(metadata={"example": "approve"})
    reason_codes = fields.List(fields.String(), metadata={"example": []})
    comment = fields.String(metadata={"example": ""})
    history = fields.List(fields.Nested(HistoryEntrySchema))


class QueueItemSchema(Schema):
    id = fields.String(metadata={"example": "product:9b1c2f"})
    rev = fields.String(
        metadata={"description": "send it back as `product_rev`", "example": "3-1f0e..."}
    )
    title = fields.Nested(Localised)
    category = fields.String(metadata={"example": "carpets"})
    owner = fields.String(metadata={"example": "art_fatima"})
    cooperative = fields.String(metadata={"example": "coop-taza-zerbia"})
    price_centimes = fields.Integer(allow_none=True, metadata={"example": 450000})
    updated_at = fields.String(metadata={"example": "2026-11-22T10:00:00Z"})
    thumb_url = fields.String(allow_none=True, metadata={"example": "/media/ab12.../thumb"})


class QueueSchema(Schema):
    items = fields.List(fields.Nested(QueueItemSchema))
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"example": {"submitted": 12, "approved": 40}},
    )


class PublicPartySchema(Schema):
    id = fields.String(metadata={"example": "art_fatima"})
    display_name = fields.String(allow_none=True, metadata={"example": "فاطمة أيت علي"})
    name_ar = fields.String(allow_none=True, metadata={"example": "تعاونية الزربية التازية"})
    name_fr = fields.String(allow_none=True, metadata={"example": "Coopérative Zerbia"})


class CatalogItemSchema(Schema):
    id = fields.String(metadata={"example": "product:9b1c2f"})
    title = fields.Nested(Localised)
    description = fields.Nested(Localised)
    category = fields.String(metadata={"example": "carpets"})
    price_centimes = fields.Integer(allow_none=True, metadata={"example": 450000})
    currency = fields.String(metadata={"example": "MAD"})
    region = fields.String(allow_none=True, metadata={"example": "fes-meknes"})
    stock_mode = fields.String(metadata={"example": "made_to_order"})
    artisan = fields.Nested(PublicPartySchema)
    cooperative = fields.Nested(PublicPartySchema)
    thumb_url = fields.String(allow_none=True, metadata={"example": "/media/ab12.../thumb"})
    url = fields.String(metadata={"example": "/p/product:9b1c2f"})


class CatalogPageSchema(Schema):
    items = fields.List(fields.Nested(CatalogItemSchema))
    next = fields.String(allow_none=True, metadata={"example": "WzQyLCJwcm9kdWN0OjEiXQ=="})
    sort = fields.String(metadata={"example": "newest"})


class PublicLotSchema(Schema):
    lot = fields.String(metadata={"example": "ARG-2026-10-A"})
    produced_at = fields.String(
        allow_none=True,
        metadata={"description": "when its batch took place", "example": "2026-10-12T09:00:00Z"},
    )


class CatalogProductSchema(CatalogItemSchema):
    story = fields.Nested(Localised)
    materials = fields.List(fields.String(), metadata={"example": ["wool"]})
    technique = fields.String(allow_none=True, metadata={"example": "hand-knotted"})
    dimensions = fields.Dict(allow_none=True, metadata={"example": {"length_cm": 200}})
    options = fields.List(fields.Dict(), metadata={"example": []})
    production_days = fields.Integer(allow_none=True, metadata={"example": 21})
    display_url = fields.String(allow_none=True, metadata={"example": "/media/ab12.../display"})
    lots = fields.List(
        fields.Nested(PublicLotSchema),
        metadata={"description": "the production lots it names that a batch produced"},
    )


class ArtisanProfileSchema(Schema):
    id = fields.String(metadata={"example": "art_fatima"})
    display_name = fields.String(metadata={"example": "فاطمة أيت علي"})
    cooperative = fields.Nested(PublicPartySchema)
    region = fields.String(allow_none=True, metadata={"example": "fes-meknes"})
    products = fields.Integer(metadata={"description": "approved products", "example": 7})
