"""REST answers of bulk orders and of what the cooperative owes its artisans: what a
REST client gets back; what it sends is schemas/bulk_api.py's, the documents
schemas/bulk_orders.py's. Counts are integer pieces and amounts integer centimes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .bulk_api import RUG
from .bulk_orders import BULK_STAGES, BULK_STATUSES, EARNING_KINDS, SHIPMENT_STATUSES
from .document_base import example
from .orders import DeliverySchema, OrderSchema, StepSchema


class FiguresSchema(Schema):
    """Where the pieces are; each piece in one of the first six."""

    awaiting_answer = fields.Integer(metadata=example(0))
    in_production = fields.Integer(metadata=example(10))
    ready = fields.Integer(metadata=example(0))
    checked = fields.Integer(metadata=example(0))
    shipped = fields.Integer(metadata=example(12))
    delivered = fields.Integer(metadata=example(15))
    refused = fields.Integer(metadata={"description": "refused, to be made again", "example": 3})
    quantity = fields.Integer(metadata=example(40))
    assigned = fields.Integer(metadata=example(37))
    to_assign = fields.Integer(metadata=example(3))
    excess = fields.Integer(
        metadata={"description": "assigned beyond the quantity (offline)", "example": 0}
    )


class PartPiecesSchema(FiguresSchema):
    status = fields.String(metadata=example("in_production"))


class ProblemSchema(Schema):
    code = fields.String(metadata=example("overchecked"))
    part = fields.String(metadata=example("order:5d1f0a9e2b7c4e11"))
    pieces = fields.Integer(metadata=example(2))


class BulkPartSchema(Schema):
    id = fields.String(metadata=example("order:5d1f0a9e2b7c4e11"))
    rev = fields.String(metadata=example("2-ab"))
    artisan = fields.String(metadata=example("art_fatima"))
    quantity = fields.Integer(metadata=example(15))
    status = fields.String(metadata=example("accepted"))
    created_at = fields.String(metadata=example("2026-12-01T10:00:00.000Z"))
    pieces = fields.Nested(PartPiecesSchema)
    allowed_moves = fields.List(fields.String(), metadata=example(["in_production"]))


class CheckSchema(Schema):
    id = fields.String(metadata=example("check:5d1f0a9e2b7c4e11"))
    bulk_order = fields.String(metadata=example("bulk:5d1f0a9e2b7c4e11"))
    part = fields.String(metadata=example("order:5d1f0a9e2b7c4e11"))
    artisan = fields.String(metadata=example("art_fatima"))
    cooperative = fields.String(metadata=example("coop-taza-zerbia"))
    passed = fields.Integer(metadata=example(12))
    refused = fields.Integer(metadata=example(3))
    reason = fields.String(allow_none=True, metadata=example("finish"))
    note = fields.String(metadata=example("Les bords ne sont pas droits."))
    by = fields.String(metadata=example("coo_naima"))
    at = fields.String(metadata=example("2026-12-10T09:00:00.000Z"))


class ShippedLineSchema(Schema):
    part = fields.String(metadata=example("order:5d1f0a9e2b7c4e11"))
    artisan = fields.String(metadata=example("art_fatima"))
    count = fields.Integer(metadata=example(12))


class ShipmentSchema(Schema):
    """A parcel; the buyer is shown how many pieces, the cooperative which."""

    id = fields.String(metadata=example("shipment:5d1f0a9e2b7c4e11"))
    rev = fields.String(metadata=example("1-cd"))
    bulk_order = fields.String(metadata=example("bulk:5d1f0a9e2b7c4e11"))
    cooperative = fields.String(metadata=example("coop-taza-zerbia"))
    buyer = fields.String(metadata=example("buy_claire"))
    pieces = fields.List(fields.Nested(ShippedLineSchema))
    count = fields.Integer(metadata={"description": "pieces in the parcel", "example": 12})
    tracking = fields.String(metadata=example("CP123456789MA"))
    status = fields.String(validate=validate.OneOf(SHIPMENT_STATUSES), metadata=example("shipped"))
    by = fields.String(metadata=example("coo_naima"))
    shipped_at = fields.String(metadata=example("2026-12-12T09:00:00.000Z"))
    delivered_at = fields.String(allow_none=True, metadata=example(None))
    delivered_by = fields.String(allow_none=True, metadata=example(None))


class BulkOrderSchema(Schema):
    """A bulk order as its caller sees it: the buyer its terms and how far the pieces
    have gone; the cooperative, besides, the artisans' share, each part and each check."""

    id = fields.String(metadata=example("bulk:5d1f0a9e2b7c4e11"))
    rev = fields.String(metadata={"description": "send it back as If-Match", "example": "2-ab"})
    buyer = fields.String(metadata=example("buy_claire"))
    cooperative = fields.String(metadata=example("coop-taza-zerbia"))
    product_id = fields.String(allow_none=True, metadata=example(None))
    title = fields.Dict(metadata=example(RUG))
    quantity = fields.Integer(metadata=example(40))
    unit_price_centimes = fields.Integer(metadata=example(450000))
    artisan_share_centimes = fields.Integer(
        allow_none=True,
        metadata={"description": "the cooperative's view only", "example": 315000},
    )
    currency = fields.String(metadata=example("MAD"))
    due = fields.String(metadata=example("2027-03-01"))
    delivery = fields.Nested(DeliverySchema)
    message = fields.String(metadata=example("Pour l'aile sud."))
    status = fields.String(validate=validate.OneOf(BULK_STATUSES), metadata=example("accepted"))
    stage = fields.String(
        validate=validate.OneOf(BULK_STAGES),
        metadata={"description": "how far it has gone, computed", "example": "in_production"},
    )
    history = fields.List(fields.Nested(StepSchema))
    totals = fields.Nested(FiguresSchema)
    problems = fields.List(
        fields.Nested(ProblemSchema),
        metadata={"description": "what offline edits got wrong together, to settle"},
    )
    allowed_moves = fields.List(fields.String(), metadata=example(["cancelled"]))
    parts = fields.List(fields.Nested(BulkPartSchema), metadata={"description": "cooperative only"})
    checks = fields.List(fields.Nested(CheckSchema), metadata={"description": "cooperative only"})
    shipments = fields.List(fields.Nested(ShipmentSchema))
    created_at = fields.String(metadata=example("2026-12-01T09:00:00.000Z"))
    updated_at = fields.String(metadata=example("2026-12-01T10:00:00.000Z"))


class BulkOrderPageSchema(Schema):
    items = fields.List(fields.Nested(BulkOrderSchema))
    next = fields.String(metadata={"description": "cursor for `since`", "example": "42"})
    more = fields.Boolean(metadata=example(False))


class PartSchema(OrderSchema):
    """A part: an order of the artisan's, priced at her share per piece."""

    bulk_order = fields.String(metadata=example("bulk:5d1f0a9e2b7c4e11"))
    due = fields.String(metadata=example("2027-03-01"))


class EarningEntrySchema(Schema):
    id = fields.String(metadata=example("earning:5d1f0a9e2b7c4e11"))
    artisan = fields.String(metadata=example("art_fatima"))
    cooperative = fields.String(metadata=example("coop-taza-zerbia"))
    kind = fields.String(validate=validate.OneOf(EARNING_KINDS), metadata=example("paid"))
    amount_centimes = fields.Integer(
        metadata={
            "description": "earned and paid: positive; a correction: signed",
            "example": 450000,
        }
    )
    signed_centimes = fields.Integer(
        metadata={"description": "what it does to her balance (paid: negative)", "example": -450000}
    )
    at = fields.String(metadata=example("2026-12-20T09:00:00.000Z"))
    by = fields.String(metadata=example("coo_naima"))
    bulk_order = fields.String(metadata=example("bulk:5d1f0a9e2b7c4e11"))
    shipment = fields.String(metadata=example("shipment:5d1f0a9e2b7c4e11"))
    part = fields.String(metadata=example("order:5d1f0a9e2b7c4e11"))
    pieces = fields.Integer(metadata=example(12))
    unit_centimes = fields.Integer(metadata=example(315000))
    method = fields.String(metadata=example("transfer"))
    reference = fields.String(metadata=example("VIR-2026-001"))
    advance_centimes = fields.Integer(
        metadata={"description": "a payment: the part beyond what she was owed", "example": 0}
    )
    corrects = fields.String(metadata=example("earning:9e2b7c4e115d1f0a"))
    note = fields.String(metadata=example("Décembre"))


class EarningPageSchema(Schema):
    artisan = fields.String(metadata=example("art_fatima"))
    balance_centimes = fields.Integer(
        metadata={"description": "what she is owed now (negative: an advance)", "example": 120000}
    )
    items = fields.List(fields.Nested(EarningEntrySchema))
    next = fields.String(
        allow_none=True,
        metadata={"description": "cursor for `since` when there is more", "example": "42"},
    )
    more = fields.Boolean(metadata=example(False))


class ArtisanBalanceSchema(Schema):
    artisan = fields.String(metadata=example("art_fatima"))
    display_name = fields.String(metadata=example("فاطمة أيت علي"))
    earned_centimes = fields.Integer(metadata=example(945000))
    paid_centimes = fields.Integer(metadata=example(800000))
    corrections_centimes = fields.Integer(metadata=example(-2000))
    balance_centimes = fields.Integer(metadata=example(143000))


class ArtisanBalanceListSchema(Schema):
    cooperative = fields.String(metadata=example("coop-taza-zerbia"))
    items = fields.List(fields.Nested(ArtisanBalanceSchema))
