"""REST bodies of the orders namespace. The order document itself is described in
api/services/orders.py; its moves are checked by api/services/order_states.py."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .documents import ORDER_STATUSES
from .fields import Phone
from .products import DOC_ID


class DeliverySchema(Schema):
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=100), metadata={"example": "Claire"}
    )
    phone = Phone(required=True, metadata={"example": "+33600000001"})
    address = fields.String(
        required=True,
        validate=validate.Length(min=1, max=300),
        metadata={"example": "12 rue des Tanneurs"},
    )
    city = fields.String(
        required=True, validate=validate.Length(min=1, max=100), metadata={"example": "Lyon"}
    )
    postal_code = fields.String(validate=validate.Length(max=20), metadata={"example": "69001"})
    country = fields.String(
        load_default="MA",
        validate=validate.Regexp(r"^[A-Z]{2}$"),
        metadata={"description": "ISO 3166-1 alpha-2", "example": "FR"},
    )


class OrderCreateSchema(Schema):
    product_id = fields.String(
        required=True, validate=DOC_ID, metadata={"example": "product:9b1c2f"}
    )
    quantity = fields.Integer(
        strict=True,
        load_default=1,
        validate=validate.Range(min=1, max=100),
        metadata={"example": 1},
    )
    options = fields.Dict(
        keys=fields.String(validate=validate.Length(max=40)),
        values=fields.String(validate=validate.Length(max=40)),
        load_default=dict,
        metadata={
            "description": "option code -> chosen choice code, from the product's options",
            "example": {"colour": "indigo"},
        },
    )
    delivery = fields.Nested(DeliverySchema, required=True)
    message = fields.String(
        validate=validate.Length(max=1000),
        metadata={"description": "a note to the artisan", "example": "Pour un cadeau, merci !"},
    )


class OrderMoveSchema(Schema):
    status = fields.String(
        required=True,
        validate=validate.OneOf([s for s in ORDER_STATUSES if s != "placed"]),
        metadata={"example": "accepted"},
    )


class OptionChosenSchema(Schema):
    code = fields.String(metadata={"example": "colour"})
    choice = fields.String(metadata={"example": "indigo"})
    price_delta_centimes = fields.Integer(metadata={"example": 5000})


class StepSchema(Schema):
    status = fields.String(metadata={"example": "accepted"})
    by = fields.String(metadata={"example": "art_fatima"})
    role = fields.String(metadata={"example": "artisan"})
    at = fields.String(metadata={"example": "2026-11-22T10:05:00Z"})


class OrderSchema(Schema):
    id = fields.String(metadata={"example": "order:5d1f0a9e2b7c4e11"})
    rev = fields.String(metadata={"description": "send it back as If-Match", "example": "2-ab"})
    status = fields.String(metadata={"example": "placed"})
    buyer = fields.String(metadata={"example": "buy_claire"})
    artisan = fields.String(metadata={"example": "art_fatima"})
    cooperative = fields.String(metadata={"example": "coop-taza-zerbia"})
    product_id = fields.String(metadata={"example": "product:9b1c2f"})
    product_rev = fields.String(metadata={"example": "3-9f2e"})
    product_title = fields.Dict(metadata={"example": {"fr": "Tapis Beni Ouarain"}})
    stock_mode = fields.String(allow_none=True, metadata={"example": "in_stock"})
    quantity = fields.Integer(metadata={"example": 1})
    options = fields.List(fields.Nested(OptionChosenSchema))
    unit_price_centimes = fields.Integer(metadata={"example": 455000})
    total_centimes = fields.Integer(metadata={"example": 455000})
    currency = fields.String(metadata={"example": "MAD"})
    delivery = fields.Nested(DeliverySchema)
    message = fields.String(metadata={"example": "Pour un cadeau, merci !"})
    history = fields.List(fields.Nested(StepSchema))
    superseded = fields.List(
        fields.Nested(StepSchema),
        metadata={"description": "concurrent moves that lost to the convergence rule"},
    )
    allowed_moves = fields.List(
        fields.String(), metadata={"description": "what you may do next", "example": ["accepted"]}
    )
    created_at = fields.String(metadata={"example": "2026-11-22T10:00:00Z"})
    updated_at = fields.String(metadata={"example": "2026-11-22T10:05:00Z"})


class UseMovementSchema(Schema):
    """A use movement as POST /movements takes it (the server fills `owner`); through
    /sync, record it under its `id` with `type` "material_movement" and `owner` added."""

    id = fields.String(
        metadata={
            "description": "one use per order and material, so confirming twice does not "
            "count twice",
            "example": "use:5d1f0a9e2b7c4e11:wool",
        }
    )
    cooperative = fields.String(metadata={"example": "coop-taza-zerbia"})
    kind = fields.String(metadata={"example": "use"})
    material = fields.String(metadata={"example": "material:coop-taza-zerbia:wool"})
    quantity = fields.Integer(
        metadata={"description": "base units: per piece x pieces ordered", "example": 18000}
    )
    source = fields.String(
        attribute="from", data_key="from", metadata={"example": "artisan:art_fatima"}
    )
    order_id = fields.String(metadata={"example": "order:5d1f0a9e2b7c4e11"})
    product_id = fields.String(metadata={"example": "product:9b1c2f"})


class ProposedUseSchema(Schema):
    movement = fields.Nested(UseMovementSchema)
    name = fields.Dict(metadata={"example": {"ar": "صوف", "fr": "Laine", "en": "Wool"}})
    unit = fields.String(allow_none=True, metadata={"example": "kg"})
    shown = fields.String(
        metadata={"description": "the quantity in the material's unit", "example": "18 kg"}
    )


class MaterialUsesSchema(Schema):
    order_id = fields.String(metadata={"example": "order:5d1f0a9e2b7c4e11"})
    proposed_material_uses = fields.List(fields.Nested(ProposedUseSchema))


class OrderMovedSchema(OrderSchema):
    proposed_material_uses = fields.List(
        fields.Nested(ProposedUseSchema),
        metadata={
            "description": "on acceptance only: the use movements of the product's bill of "
            "materials for the artisan to confirm (nothing is recorded by the server)"
        },
    )


class OrderPageSchema(Schema):
    items = fields.List(fields.Nested(OrderSchema))
    next = fields.String(metadata={"description": "cursor for `since`", "example": "42"})
    more = fields.Boolean(metadata={"example": False})
