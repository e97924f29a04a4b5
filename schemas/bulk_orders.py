"""Bulk orders' documents: the buyer's request, the pieces checked, the parcels shipped,
and what the cooperative owes each artisan (docs/bulk-orders.md).

An artisan's part of a bulk order is an ordinary ``order`` document carrying
``bulk_order`` (schemas/documents.py); it moves through the orders' state machine.
Amounts are integer centimes, counts integer pieces: a ledger summed over years must
not drift by float rounding.
"""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .document_base import MAX_CENTIMES, DocumentSchema, Localised

BULK_PREFIX = "bulk:"
CHECK_PREFIX = "check:"
SHIPMENT_PREFIX = "shipment:"
EARNING_PREFIX = "earning:"
ORDER_PREFIX = "order:"

# A bulk order's own statuses, moved by people. Its progress past "accepted" (in
# production, partly shipped, delivered) is computed from its parts and shipments
# (``stage`` in sync/rules/bulk_orders.py), never written, so no server and no phone can
# disagree on it.
BULK_STATUSES = ("requested", "accepted", "declined", "cancelled")
BULK_STAGES = (
    "requested",
    "accepted",
    "in_production",
    "partly_shipped",
    "delivered",
    "declined",
    "cancelled",
)
SHIPMENT_STATUSES = ("shipped", "delivered")
# Why pieces were refused at the quality check; the artisan reads it in her language
# (api/services/bulk/words.py), with the coordinator's note beside it.
REFUSAL_REASONS = ("size", "colour", "finish", "damage", "materials", "other")
EARNING_KINDS = ("earned", "paid", "correction")
PAYMENT_METHODS = ("cash", "transfer", "mobile_money")
# A bulk order is for many pieces, but not for more than one cooperative can answer.
MAX_BULK_PIECES = 100_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def shipment_earning_id(shipment_id: str, part_id: str) -> str:
    """Where the server writes what a shipped part earned her: one per shipment and part,
    the same on every server, so two servers settling one shipment write one document."""
    return (
        f"{EARNING_PREFIX}{shipment_id.removeprefix(SHIPMENT_PREFIX)}:"
        f"{part_id.removeprefix(ORDER_PREFIX)}"
    )


def _positive(maximum: int) -> validate.Range:
    return validate.Range(min=1, max=maximum)


class Step(Schema):
    status = fields.String(required=True)
    by = fields.String(required=True)
    role = fields.String(required=True)
    at = fields.String(required=True)


class BulkOrderDocSchema(DocumentSchema):
    buyer = fields.String(required=True)
    cooperative = fields.String(required=True)
    product_id = fields.String(allow_none=True)
    title = fields.Nested(Localised, required=True)
    quantity = fields.Integer(strict=True, required=True, validate=_positive(MAX_BULK_PIECES))
    unit_price_centimes = fields.Integer(
        strict=True, required=True, validate=_positive(MAX_CENTIMES)
    )
    artisan_share_centimes = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=MAX_CENTIMES)
    )
    due = fields.String(required=True, validate=validate.Regexp(_DATE))
    status = fields.String(required=True, validate=validate.OneOf(BULK_STATUSES))
    history = fields.List(fields.Nested(Step), required=True, validate=validate.Length(min=1))

    @validates_schema
    def share_within_price(self, data, **kwargs):
        share = data.get("artisan_share_centimes")
        if share is not None and share > data.get("unit_price_centimes", share):
            raise ValidationError(
                "the artisan's share cannot be more than the price per piece",
                "artisan_share_centimes",
            )
        if data.get("status") == "accepted" and share is None:
            raise ValidationError(
                "accepting sets the artisan's share per piece", "artisan_share_centimes"
            )


class PieceCheckDocSchema(DocumentSchema):
    bulk_order = fields.String(required=True, validate=validate.Regexp(rf"^{BULK_PREFIX}"))
    part = fields.String(required=True, validate=validate.Regexp(rf"^{ORDER_PREFIX}"))
    artisan = fields.String(required=True)
    cooperative = fields.String(required=True)
    passed = fields.Integer(strict=True, required=True, validate=validate.Range(0, MAX_BULK_PIECES))
    refused = fields.Integer(
        strict=True, required=True, validate=validate.Range(0, MAX_BULK_PIECES)
    )
    reason = fields.String(allow_none=True, validate=validate.OneOf(REFUSAL_REASONS))
    note = fields.String(validate=validate.Length(max=300))
    by = fields.String(required=True)
    at = fields.String(required=True)

    @validates_schema
    def some_pieces(self, data, **kwargs):
        if data.get("passed", 0) + data.get("refused", 0) < 1:
            raise ValidationError("a check counts at least one piece, passed or refused")
        if data.get("refused") and not data.get("reason"):
            raise ValidationError("refused pieces need a reason the artisan can read", "reason")


class ShippedPieces(Schema):
    part = fields.String(required=True, validate=validate.Regexp(rf"^{ORDER_PREFIX}"))
    artisan = fields.String(required=True)
    count = fields.Integer(strict=True, required=True, validate=_positive(MAX_BULK_PIECES))


class ShipmentDocSchema(DocumentSchema):
    bulk_order = fields.String(required=True, validate=validate.Regexp(rf"^{BULK_PREFIX}"))
    cooperative = fields.String(required=True)
    buyer = fields.String(required=True)
    pieces = fields.List(
        fields.Nested(ShippedPieces), required=True, validate=validate.Length(min=1, max=500)
    )
    tracking = fields.String(validate=validate.Length(max=200))
    status = fields.String(required=True, validate=validate.OneOf(SHIPMENT_STATUSES))
    by = fields.String(required=True)
    shipped_at = fields.String(required=True)
    delivered_at = fields.String(allow_none=True)
    delivered_by = fields.String(allow_none=True)

    @validates_schema
    def one_line_per_part(self, data, **kwargs):
        parts = [line["part"] for line in data.get("pieces") or []]
        if len(parts) != len(set(parts)):
            raise ValidationError("name each part once in a shipment", "pieces")
        delivered = data.get("status") == "delivered"
        if delivered != bool(data.get("delivered_at")):
            raise ValidationError(
                "delivered_at is set exactly when the shipment is delivered", "delivered_at"
            )


class EarningDocSchema(DocumentSchema):
    artisan = fields.String(required=True)
    cooperative = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(EARNING_KINDS))
    amount_centimes = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(-MAX_CENTIMES, MAX_CENTIMES),
        metadata={"description": "earned and paid: positive; a correction: signed"},
    )
    at = fields.String(required=True)
    by = fields.String(required=True)
    # earned
    bulk_order = fields.String(validate=validate.Regexp(rf"^{BULK_PREFIX}"))
    shipment = fields.String(validate=validate.Regexp(rf"^{SHIPMENT_PREFIX}"))
    part = fields.String(validate=validate.Regexp(rf"^{ORDER_PREFIX}"))
    pieces = fields.Integer(strict=True, validate=_positive(MAX_BULK_PIECES))
    unit_centimes = fields.Integer(strict=True, validate=validate.Range(0, MAX_CENTIMES))
    # paid
    method = fields.String(validate=validate.OneOf(PAYMENT_METHODS))
    reference = fields.String(validate=validate.Length(max=100))
    advance_centimes = fields.Integer(strict=True, validate=validate.Range(0, MAX_CENTIMES))
    # correction
    corrects = fields.String(validate=validate.Regexp(rf"^{EARNING_PREFIX}"))
    # paid and correction
    note = fields.String(validate=validate.Length(max=300))

    @validates_schema
    def what_each_kind_needs(self, data, **kwargs):
        kind, amount = data.get("kind"), data.get("amount_centimes", 0)
        if kind in ("earned", "paid") and amount <= 0:
            raise ValidationError(f"a {kind} entry's amount is positive", "amount_centimes")
        if kind == "correction" and amount == 0:
            raise ValidationError("a correction changes the balance", "amount_centimes")
        needs = {
            "earned": ("bulk_order", "shipment", "part", "pieces", "unit_centimes"),
            "paid": ("method",),
            "correction": ("corrects", "note"),
        }.get(kind, ())
        missing = [name for name in needs if data.get(name) in (None, "")]
        if missing:
            raise ValidationError(f"a {kind} entry needs {', '.join(missing)}")
        if kind == "paid" and data.get("method") != "cash" and not data.get("reference"):
            raise ValidationError(
                "a transfer or a mobile-money payment needs its reference", "reference"
            )


BULK_DOCUMENT_SCHEMAS: dict[str, type[Schema]] = {
    "bulk_order": BulkOrderDocSchema,
    "piece_check": PieceCheckDocSchema,
    "shipment": ShipmentDocSchema,
    "earning": EarningDocSchema,
}
