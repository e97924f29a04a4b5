"""REST bodies and answers of the raw-materials ledger: materials, movements, balances.

The documents are schemas/ledger.py's; these are what a REST client sends and gets. A
movement's body is the document's fields without what the server fills (owner,
cooperative when the caller has one, created_at, a count's ``expected``), and a
``quantity`` may come in a unit of the material's family (2.5 kg), converted to whole
base units (2500 g) by the server.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from marshmallow import Schema, fields, validate

from .document_base import MAX_CENTIMES, example
from .fields import StrictBoolean
from .ledger import (
    MATERIAL_CODE,
    MAX_QUANTITY,
    MOVEMENT_KINDS,
    UNITS,
    LotNumber,
    MaterialContent,
    place_field,
)

DOC_ID = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$",
    error="Use 1-200 letters, digits, ':', '.', '_' or '-', not starting with a symbol.",
)
CODE = validate.Regexp(
    MATERIAL_CODE, error="A code is 1-40 lowercase letters, digits and '-', not starting with '-'."
)
WOOL = {"ar": "صوف", "fr": "Laine écrue", "en": "Raw wool"}


class Amount(fields.Number):
    """A JSON number, kept exact (a Decimal of its decimal text, never a float's
    binary value): base units when no ``unit`` is given, else that unit's amount."""

    num_type = Decimal
    default_error_messages = {"invalid": "Not a valid number."}

    def _format_num(self, value):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise self.make_error("invalid")
        try:
            found = Decimal(str(value))
        except InvalidOperation as exc:
            raise self.make_error("invalid") from exc
        if not found.is_finite():
            raise self.make_error("invalid")
        return found

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def _amount(**metadata):
    return Amount(
        validate=validate.Range(min=0, min_inclusive=False, max=MAX_QUANTITY),
        metadata=metadata,
    )


UNIT = fields.String(
    validate=validate.OneOf(list(UNITS)),
    metadata={
        "description": "optional: the unit `quantity` is in, of the material's family "
        "(kg or g for a material kept in g); without it, `quantity` is in base units",
        "example": "kg",
    },
)


# Materials


class MaterialCreateSchema(MaterialContent):
    """A new material in a cooperative's catalogue (``material:<cooperative>:<code>``)."""

    swagger_example = {
        "code": "wool",
        "name": WOOL,
        "unit": "kg",
        "low_stock": 5000,
        "supplier": "Coopérative lainière d'Azrou",
    }

    cooperative = fields.String(
        metadata={
            "description": "optional for a coordinator of one cooperative; an admin names it",
            "example": "coop-taza-zerbia",
        }
    )
    code = fields.String(
        required=True,
        validate=CODE,
        metadata={
            "description": "the material's code, unique in its cooperative",
            "example": "wool",
        },
    )


class MaterialUpdateSchema(MaterialContent):
    """Every field of a material, replacing the last revision's (code and cooperative are
    its id's; the unit may change within its family only, kg <-> g). ``archived: true``
    takes it out of lists; it is never deleted."""

    swagger_example = {
        "name": WOOL,
        "unit": "kg",
        "low_stock": 8000,
        "supplier": "Coopérative lainière d'Azrou",
        "archived": False,
    }

    archived = StrictBoolean(load_default=False, metadata=example(False))


class _Name(Schema):
    ar = fields.String(metadata=example("صوف"))
    fr = fields.String(metadata=example("Laine écrue"))
    en = fields.String(metadata=example("Raw wool"))


class MaterialSchema(Schema):
    id = fields.String(metadata=example("material:coop-taza-zerbia:wool"))
    rev = fields.String(
        metadata={"description": "the revision; send it back as If-Match", "example": "2-5f0c"}
    )
    cooperative = fields.String(metadata=example("coop-taza-zerbia"))
    code = fields.String(metadata=example("wool"))
    name = fields.Nested(_Name)
    unit = fields.String(metadata=example("kg"))
    base_unit = fields.String(
        metadata={"description": "the unit quantities are kept in", "example": "g"}
    )
    low_stock = fields.Integer(allow_none=True, metadata=example(5000))
    supplier = fields.String(allow_none=True, metadata=example("Coopérative lainière d'Azrou"))
    archived = fields.Boolean(metadata=example(False))
    average_cost_centimes = fields.Float(
        allow_none=True,
        metadata={
            "description": "centimes per base unit, weighted by what was received; null "
            "if never bought",
            "example": 8.0,
        },
    )
    created_at = fields.String(metadata=example("2026-11-02T09:30:00.000Z"))
    updated_at = fields.String(metadata=example("2026-11-02T09:30:00.000Z"))


class MaterialListSchema(Schema):
    items = fields.List(fields.Nested(MaterialSchema))


# Movements


class QuantityBodySchema(Schema):
    """One input or output of a production batch."""

    material = fields.String(required=True, metadata=example("material:coop-taza-zerbia:wool"))
    quantity = _amount(required=True, example=3)
    unit = UNIT


class MovementCreateSchema(Schema):
    """A movement as a REST client records it; what each kind needs is in the
    description of POST /movements."""

    swagger_example = {
        "kind": "receive",
        "material": "material:coop-taza-zerbia:wool",
        "quantity": 12.5,
        "unit": "kg",
        "to": "store",
        "supplier": "Coopérative lainière d'Azrou",
        "cost_centimes": 96000,
        "occurred_at": "2026-11-02T09:30:00Z",
    }

    id = fields.String(
        validate=DOC_ID,
        metadata={
            "description": "optional: the same id on a retry returns the movement recorded "
            "(a different body with it is a 409)",
            "example": "movement:5d1f0a9e2b7c4e11",
        },
    )
    cooperative = fields.String(
        metadata={
            "description": "optional when you belong to one cooperative",
            "example": "coop-taza-zerbia",
        }
    )
    kind = fields.String(
        required=True, validate=validate.OneOf(MOVEMENT_KINDS), metadata=example("receive")
    )
    occurred_at = fields.String(
        validate=validate.Length(max=40),
        metadata={"description": "when it happened (ISO 8601)", "example": "2026-11-02T09:30:00Z"},
    )
    material = fields.String(
        validate=validate.Length(max=300), metadata=example("material:coop-taza-zerbia:wool")
    )
    quantity = _amount(
        description="> 0: whole base units, or an amount in `unit` that is a whole number "
        "of base units (2.5 kg = 2500 g)",
        example=12.5,
    )
    unit = UNIT
    source = place_field(data_key="from", metadata=example("store"))
    to = place_field(metadata=example("artisan:art_fatima"))
    at = place_field(
        metadata={"description": "where a count or a batch took place", "example": "store"}
    )
    supplier = fields.String(
        validate=validate.Length(max=200), metadata=example("Coopérative lainière d'Azrou")
    )
    cost_centimes = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MAX_CENTIMES),
        metadata={"description": "what the whole receipt cost, in centimes", "example": 96000},
    )
    product_id = fields.String(
        validate=validate.Length(max=200), metadata=example("product:9b1c2f")
    )
    order_id = fields.String(
        validate=validate.Length(max=200), metadata=example("order:5d1f0a9e2b7c4e11")
    )
    counted = _amount(
        description="a count: what the stocktaking found (in `unit` if given)", example=11.2
    )
    expected = fields.Integer(
        strict=True,
        validate=validate.Range(min=-MAX_QUANTITY, max=MAX_QUANTITY),
        metadata={
            "description": "a count: what your ledger showed there, base units; left out, "
            "the server's balance at that moment",
            "example": 11500,
        },
    )
    inputs = fields.List(fields.Nested(QuantityBodySchema), validate=validate.Length(min=1, max=20))
    outputs = fields.List(
        fields.Nested(QuantityBodySchema), validate=validate.Length(min=1, max=20)
    )
    lot = LotNumber(metadata=example("ARG-2026-11-A"))
    reverses = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "a reversal: the id it undoes", "example": "movement:5d1f0a9e"},
    )
    note = fields.String(validate=validate.Length(max=500), metadata=example("Sac abîmé"))


class QuantitySchema(Schema):
    material = fields.String(metadata=example("material:coop-taza-zerbia:wool"))
    quantity = fields.Integer(metadata=example(3000))


class MovementSchema(Schema):
    id = fields.String(metadata=example("movement:5d1f0a9e2b7c4e11"))
    rev = fields.String(metadata=example("1-5f0c"))
    owner = fields.String(metadata={"description": "who recorded it", "example": "coo_naima"})
    cooperative = fields.String(metadata=example("coop-taza-zerbia"))
    kind = fields.String(metadata=example("receive"))
    occurred_at = fields.String(metadata=example("2026-11-02T09:30:00Z"))
    created_at = fields.String(metadata=example("2026-11-02T09:31:12.004Z"))
    material = fields.String(metadata=example("material:coop-taza-zerbia:wool"))
    quantity = fields.Integer(metadata={"description": "base units", "example": 12500})
    source = fields.String(attribute="from", data_key="from", metadata=example("store"))
    to = fields.String(metadata=example("artisan:art_fatima"))
    at = fields.String(metadata=example("store"))
    supplier = fields.String(metadata=example("Coopérative lainière d'Azrou"))
    cost_centimes = fields.Integer(metadata=example(96000))
    product_id = fields.String(metadata=example("product:9b1c2f"))
    order_id = fields.String(metadata=example("order:5d1f0a9e2b7c4e11"))
    counted = fields.Integer(metadata=example(11200))
    expected = fields.Integer(metadata=example(11500))
    inputs = fields.List(fields.Nested(QuantitySchema))
    outputs = fields.List(fields.Nested(QuantitySchema))
    lot = fields.String(metadata=example("ARG-2026-11-A"))
    reverses = fields.String(metadata=example("movement:5d1f0a9e"))
    note = fields.String(metadata=example("Sac abîmé"))
    reversed = fields.Boolean(
        metadata={"description": "a reversal undoes it: it counts for nothing", "example": False}
    )


class MovementPageSchema(Schema):
    items = fields.List(fields.Nested(MovementSchema))
    next = fields.String(
        allow_none=True,
        metadata={"description": "`cursor` of the next page; null at the end", "example": "42"},
    )


# Balances


class BalanceSchema(Schema):
    material = fields.String(metadata=example("material:coop-taza-zerbia:wool"))
    place = fields.String(metadata=example("store"))
    quantity = fields.Integer(metadata={"description": "base units", "example": 3500})
    unit = fields.String(allow_none=True, metadata=example("kg"))
    shown = fields.String(
        metadata={"description": "the quantity in the material's unit", "example": "3.5 kg"}
    )
    name = fields.Nested(_Name)
    negative = fields.Boolean(
        metadata={
            "description": "below zero: a use was recorded before the transfer that "
            "covers it arrived",
            "example": False,
        }
    )
    low = fields.Boolean(
        metadata={"description": "the store is below the material's low_stock", "example": True}
    )


class BalanceListSchema(Schema):
    items = fields.List(fields.Nested(BalanceSchema))
