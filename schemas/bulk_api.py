"""REST request bodies of bulk orders and of what the cooperative owes its artisans; the
answers are schemas/bulk_views.py's.

The documents are schemas/bulk_orders.py's; these are what a REST client sends.
Counts are integer pieces and amounts integer centimes, refused when sent as 12.5 or
"100" (``strict``): a ledger summed over years must not drift, nor guess what a client
meant.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from .bulk_orders import (
    BULK_STATUSES,
    EARNING_PREFIX,
    MAX_BULK_PIECES,
    ORDER_PREFIX,
    PAYMENT_METHODS,
    REFUSAL_REASONS,
)
from .document_base import MAX_CENTIMES, Localised, example
from .orders import DeliverySchema
from .products import DOC_ID

PIECES = validate.Range(min=1, max=MAX_BULK_PIECES)
SOME_PIECES = validate.Range(min=0, max=MAX_BULK_PIECES)
# ASCII ids, as the server makes them: the same pattern in Python and in the Swagger.
PART_ID = validate.Regexp(
    rf"^{ORDER_PREFIX}[A-Za-z0-9:._-]{{1,200}}$", error="A part's id is order:<id>."
)
USER_ID = validate.Length(min=1, max=200)
RUG = {"fr": "Tapis Beni Ouarain 2x3 m", "en": "Beni Ouarain rug 2x3 m"}
DELIVERY = {
    "name": "Hôtel La Mamounia",
    "phone": "+212524388600",
    "address": "Avenue Bab Jdid",
    "city": "Marrakech",
    "country": "MA",
}


def _pieces(**metadata) -> fields.Integer:
    return fields.Integer(strict=True, required=True, validate=PIECES, metadata=metadata)


def _centimes(low: int, *, required: bool = False, **metadata) -> fields.Integer:
    return fields.Integer(
        strict=True,
        required=required,
        validate=validate.Range(min=low, max=MAX_CENTIMES),
        metadata=metadata,
    )


class BulkOrderCreateSchema(Schema):
    """A buyer's request: pieces of an approved product (``product_id``), or of a piece she
    describes to a cooperative (``cooperative`` and ``piece``), never both."""

    swagger_example = {
        "cooperative": "coop-taza-zerbia",
        "piece": RUG,
        "quantity": 40,
        "unit_price_centimes": 450000,
        "due": "2027-03-01",
        "delivery": DELIVERY,
        "message": "Pour les 40 chambres de l'aile sud.",
    }

    product_id = fields.String(
        validate=DOC_ID,
        metadata={
            "description": "an approved product of the catalogue; or `cooperative` and `piece`",
            "example": "product:9b1c2f",
        },
    )
    cooperative = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "with `piece`, instead of `product_id`: the cooperative asked",
            "example": "coop-taza-zerbia",
        },
    )
    piece = fields.Nested(
        Localised,
        metadata={"description": "with `cooperative`: the piece wanted", "example": RUG},
    )
    quantity = _pieces(example=40)
    unit_price_centimes = _centimes(
        1, required=True, description="what the buyer pays per piece, in centimes", example=450000
    )
    due = fields.Date(
        required=True,
        metadata={"description": "the day the pieces are due, not past", "example": "2027-03-01"},
    )
    delivery = fields.Nested(DeliverySchema, required=True)
    message = fields.String(
        validate=validate.Length(max=1000),
        metadata={"description": "a note to the cooperative", "example": "Pour l'aile sud."},
    )

    @validates_schema
    def one_piece(self, data, **kwargs):
        described = [name for name in ("cooperative", "piece") if name in data]
        if "product_id" in data and described:
            raise ValidationError(
                "Give either product_id, or cooperative and piece: not both.", "product_id"
            )
        if "product_id" not in data and not described:
            raise ValidationError(
                "Say what is ordered: product_id, or cooperative and piece.", "product_id"
            )
        if len(described) == 1:
            missing = "piece" if described == ["cooperative"] else "cooperative"
            raise ValidationError(f"A described piece needs {missing} too.", missing)

    @post_load
    def due_as_text(self, data, **kwargs):
        data["due"] = data["due"].isoformat()
        return data


class BulkOrderMoveSchema(Schema):
    """Accept (with the artisan's share per piece, or the cooperative's margin), decline
    or cancel."""

    swagger_example = {"status": "accepted", "margin_percent": 30}

    status = fields.String(
        required=True,
        validate=validate.OneOf([s for s in BULK_STATUSES if s != "requested"]),
        metadata={"example": "accepted"},
    )
    artisan_share_centimes = _centimes(
        0,
        description="on acceptance: what each artisan is paid per piece (at most the price)",
        example=315000,
    )
    margin_percent = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=100),
        metadata={
            "description": "on acceptance, instead of the share: the cooperative's margin; "
            "the share is the price less it, rounded down to the centime",
            "example": 30,
        },
    )

    @validates_schema
    def one_share(self, data, **kwargs):
        if "artisan_share_centimes" in data and "margin_percent" in data:
            raise ValidationError(
                "Give artisan_share_centimes or margin_percent, not both.", "margin_percent"
            )


class PartCreateSchema(Schema):
    artisan = fields.String(
        required=True,
        validate=USER_ID,
        metadata={
            "description": "an artisan of the bulk order's cooperative",
            "example": "art_fatima",
        },
    )
    quantity = _pieces(description="at most what is left to assign", example=15)


class CheckCreateSchema(Schema):
    swagger_example = {
        "part": "order:5d1f0a9e2b7c4e11",
        "passed": 12,
        "refused": 3,
        "reason": "finish",
        "note": "Les bords ne sont pas droits.",
    }

    part = fields.String(
        required=True, validate=PART_ID, metadata=example("order:5d1f0a9e2b7c4e11")
    )
    passed = fields.Integer(strict=True, load_default=0, validate=SOME_PIECES, metadata=example(12))
    refused = fields.Integer(
        strict=True,
        load_default=0,
        validate=SOME_PIECES,
        metadata={"description": "pieces sent back to be made again", "example": 3},
    )
    reason = fields.String(
        validate=validate.OneOf(REFUSAL_REASONS),
        metadata={"description": "required when pieces are refused", "example": "finish"},
    )
    note = fields.String(
        validate=validate.Length(max=300),
        metadata={"description": "for the artisan", "example": "Les bords ne sont pas droits."},
    )

    @validates_schema
    def some_pieces(self, data, **kwargs):
        if data.get("passed", 0) + data.get("refused", 0) < 1:
            raise ValidationError("A check counts at least one piece, passed or refused.", "passed")
        if data.get("refused") and not data.get("reason"):
            raise ValidationError("Refused pieces need a reason the artisan can read.", "reason")


class ShipLineSchema(Schema):
    part = fields.String(
        required=True, validate=PART_ID, metadata=example("order:5d1f0a9e2b7c4e11")
    )
    count = _pieces(example=12)


class ShipmentCreateSchema(Schema):
    pieces = fields.List(
        fields.Nested(ShipLineSchema),
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "which checked pieces; left out, every checked piece waiting",
            "example": [{"part": "order:5d1f0a9e2b7c4e11", "count": 12}],
        },
    )
    tracking = fields.String(validate=validate.Length(max=200), metadata=example("CP123456789MA"))

    @validates_schema
    def one_line_per_part(self, data, **kwargs):
        parts = [line["part"] for line in data.get("pieces") or []]
        if len(parts) != len(set(parts)):
            raise ValidationError("Name each part once in a shipment.", "pieces")


class PaymentCreateSchema(Schema):
    swagger_example = {
        "artisan": "art_fatima",
        "amount_centimes": 450000,
        "method": "transfer",
        "reference": "VIR-2026-001",
        "note": "Décembre",
    }

    artisan = fields.String(required=True, validate=USER_ID, metadata=example("art_fatima"))
    amount_centimes = _centimes(
        1,
        required=True,
        description="what was handed over; beyond her balance, the rest is an advance",
        example=450000,
    )
    method = fields.String(
        required=True, validate=validate.OneOf(PAYMENT_METHODS), metadata=example("transfer")
    )
    reference = fields.String(
        validate=validate.Length(max=100),
        metadata={
            "description": "the transfer's or the mobile payment's reference: required "
            "unless the method is cash",
            "example": "VIR-2026-001",
        },
    )
    note = fields.String(validate=validate.Length(max=300), metadata=example("Décembre"))

    @validates_schema
    def reference_unless_cash(self, data, **kwargs):
        if data.get("method", "cash") != "cash" and not (data.get("reference") or "").strip():
            raise ValidationError(
                "A transfer or a mobile-money payment needs its reference.", "reference"
            )


class CorrectionCreateSchema(Schema):
    corrects = fields.String(
        required=True,
        validate=validate.Regexp(
            rf"^{EARNING_PREFIX}[A-Za-z0-9:._-]{{1,200}}$", error="An entry's id is earning:<id>."
        ),
        metadata={"description": "the entry corrected", "example": "earning:5d1f0a9e2b7c4e11"},
    )
    amount_centimes = fields.Integer(
        strict=True,
        required=True,
        validate=[
            validate.Range(min=-MAX_CENTIMES, max=MAX_CENTIMES),
            validate.NoneOf([0], error="A correction changes the balance: not 0."),
        ],
        metadata={
            "description": "signed: what it adds to her balance (negative takes away)",
            "example": -2000,
        },
    )
    note = fields.String(
        required=True,
        validate=validate.Length(min=1, max=300),
        metadata={"description": "why", "example": "Deux pièces comptées deux fois."},
    )
