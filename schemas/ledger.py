"""The raw-materials ledger's documents: a cooperative's materials and the movements of
them (docs/ledger.md).

Quantities are integers in a material's base unit (grams, millilitres, centimetres,
pieces, skeins, bundles) and costs integer centimes: a ledger summed over years must not
drift by float rounding. A movement is never edited; a mistake is undone by a reversal.
"""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .document_base import MAX_CENTIMES, MAX_COUNT, DocumentSchema, Localised, example
from .fields import StrictBoolean

# The unit a material is shown in -> (the base unit it is stored in, base units per unit).
UNITS: dict[str, tuple[str, int]] = {
    "g": ("g", 1),
    "kg": ("g", 1000),
    "ml": ("ml", 1),
    "l": ("ml", 1000),
    "cm": ("cm", 1),
    "m": ("cm", 100),
    "piece": ("piece", 1),
    "skein": ("skein", 1),
    "bundle": ("bundle", 1),
}
MAX_QUANTITY = MAX_COUNT  # a billion base units: a thousand tonnes of wool, in grams
MOVEMENT_KINDS = ("receive", "transfer", "use", "waste", "count", "batch", "reversal")
# Where materials are: the cooperative's store, or an artisan's home.
STORE = "store"
ARTISAN_PLACE = "artisan:"
MATERIAL_PREFIX = "material:"
REVERSAL_PREFIX = "reversal:"
MATERIAL_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_LOT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
_PLACE = re.compile(rf"^(?:{STORE}|{ARTISAN_PLACE}[^\s:]{{1,100}})$")


def material_id(cooperative: str, code: str) -> str:
    """``material:<cooperative>:<code>``: the cooperative is in the id, so a movement
    naming another cooperative's material is seen at a glance, without a look-up."""
    return f"{MATERIAL_PREFIX}{cooperative}:{code}"


def material_cooperative(doc_id: str) -> str | None:
    if not doc_id.startswith(MATERIAL_PREFIX):
        return None
    coop, sep, code = doc_id.removeprefix(MATERIAL_PREFIX).rpartition(":")
    return coop if sep and coop and MATERIAL_CODE.match(code) else None


def artisan_place(user_id: str) -> str:
    return f"{ARTISAN_PLACE}{user_id}"


def place_artisan(place: str) -> str | None:
    """The artisan a place is the home of; None for the store."""
    return place.removeprefix(ARTISAN_PLACE) if place.startswith(ARTISAN_PLACE) else None


class MaterialContent(Schema):
    """What a coordinator writes about a material: the document's and the REST bodies'."""

    name = fields.Nested(
        Localised, required=True, metadata=example({"ar": "صوف", "fr": "Laine", "en": "Wool"})
    )
    unit = fields.String(
        required=True,
        validate=validate.OneOf(list(UNITS)),
        metadata={
            "description": "the unit it is shown in; quantities are stored in its base "
            "unit (kg in g, l in ml, m in cm)",
            "example": "kg",
        },
    )
    low_stock = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MAX_QUANTITY),
        metadata={
            "description": "below this many base units in the store, coordinators are told",
            "example": 5000,
        },
    )
    supplier = fields.String(
        validate=validate.Length(max=200), metadata=example("Coopérative lainière d'Azrou")
    )


class MaterialDocSchema(DocumentSchema, MaterialContent):
    """``material:<cooperative>:<code>``: one material of a cooperative's catalogue."""

    cooperative = fields.String(required=True, metadata=example("coop-taza-zerbia"))
    archived = StrictBoolean(metadata=example(False))


class LotNumber(fields.String):
    """A production lot: up to 40 letters, digits and . _ / -."""

    def __init__(self, **kwargs):
        error = "a lot number is up to 40 letters, digits, . _ / -"
        super().__init__(validate=validate.Regexp(_LOT, error=error), **kwargs)


def _quantity(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY), **kwargs)


def place_field(**kwargs):
    return fields.String(
        validate=validate.Regexp(_PLACE, error='a place is "store" or "artisan:<user id>"'),
        **kwargs,
    )


class MaterialQuantity(Schema):
    """One input or output of a production batch."""

    material = fields.String(required=True, metadata=example("material:coop-argan:kernels"))
    quantity = _quantity(required=True, metadata=example(30000))


# What each kind of movement must say, besides owner, cooperative and kind.
REQUIRED_BY_KIND: dict[str, tuple[str, ...]] = {
    "receive": ("material", "quantity", "to"),
    "transfer": ("material", "quantity", "from", "to"),
    "use": ("material", "quantity", "from"),
    "waste": ("material", "quantity", "from"),
    "count": ("material", "at", "counted", "expected"),
    "batch": ("at", "inputs", "outputs", "lot"),
    "reversal": ("reverses",),
}


class MaterialMovementDocSchema(DocumentSchema):
    """A movement of materials, written once and never edited."""

    owner = fields.String(required=True, metadata={"description": "who recorded it (user id)"})
    cooperative = fields.String(required=True, metadata=example("coop-taza-zerbia"))
    kind = fields.String(
        required=True, validate=validate.OneOf(MOVEMENT_KINDS), metadata=example("receive")
    )
    occurred_at = fields.String(
        validate=validate.Length(max=40),
        metadata={"description": "when it happened (ISO 8601)", "example": "2026-11-02T09:30:00Z"},
    )
    material = fields.String(metadata=example("material:coop-taza-zerbia:wool"))
    quantity = _quantity(metadata={"description": "base units, > 0", "example": 12000})
    # "from" is a Python keyword: the attribute is ``source``, the JSON name "from".
    source = place_field(data_key="from", metadata=example("store"))
    to = place_field(metadata=example("artisan:art_fatima"))
    at = place_field(metadata={"description": "where a count or a batch took place"})
    supplier = fields.String(validate=validate.Length(max=200))
    cost_centimes = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MAX_CENTIMES),
        metadata={"description": "what the whole receipt cost", "example": 96000},
    )
    product_id = fields.String(validate=validate.Length(max=200))
    order_id = fields.String(validate=validate.Length(max=200))
    counted = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MAX_QUANTITY),
        metadata={"description": "what the stocktaking found, base units"},
    )
    expected = fields.Integer(
        strict=True,
        validate=validate.Range(min=-MAX_QUANTITY, max=MAX_QUANTITY),
        metadata={
            "description": "what the recorder's ledger showed at that place; the count "
            "adjusts the balance by counted - expected, the same on every server"
        },
    )
    inputs = fields.List(fields.Nested(MaterialQuantity), validate=validate.Length(min=1, max=20))
    outputs = fields.List(fields.Nested(MaterialQuantity), validate=validate.Length(min=1, max=20))
    lot = LotNumber(metadata=example("ARG-2026-11-A"))
    reverses = fields.String(validate=validate.Length(min=1, max=200))
    note = fields.String(validate=validate.Length(max=500))

    @validates_schema
    def shape_of_its_kind(self, data, **kwargs):
        kind = data.get("kind")
        missing = [n for n in REQUIRED_BY_KIND.get(kind, ()) if _value(data, n) is None]
        if missing:
            raise ValidationError({n: [f"a {kind} movement needs {n}"] for n in missing})
        if kind == "transfer" and data["source"] == data["to"]:
            raise ValidationError({"to": ["a transfer goes to another place than its from"]})
        coop = data.get("cooperative")
        named = [data.get("material")] + [
            q["material"] for q in (data.get("inputs") or []) + (data.get("outputs") or [])
        ]
        for material in filter(None, named):
            if material_cooperative(material) != coop:
                raise ValidationError(
                    {"material": [f"{material!r} is not a material of cooperative {coop!r}"]}
                )


def _value(data: dict, name: str):
    return data.get("source") if name == "from" else data.get(name)


def shown(quantity: int, unit: str) -> str:
    """A base-unit quantity in the unit the material is shown in: 3500 g of a material
    counted in kg is "3.5 kg" (exact: decimals as many as the unit needs, no float)."""
    base, per = UNITS.get(unit, (unit, 1))
    whole, rest = divmod(abs(quantity), per)
    sign = "-" if quantity < 0 else ""
    if not rest:
        return f"{sign}{whole} {unit}"
    digits = len(str(per)) - 1
    decimals = f"{rest:0{digits}d}".rstrip("0")
    return f"{sign}{whole}.{decimals} {unit}"
