"""Schemas of the synced documents. ``validate`` in sync/rules/access.py is built on them.

Unknown fields are kept (INCLUDE): a phone running a newer app may add fields, and a
sync must not refuse its listing for that. Known fields are checked strictly.
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from schemas.taxonomy import CATEGORY_CODES, LOCALES, REGION_CODES

from .fields import StrictFloat

PRODUCT_STATUSES = ("draft", "submitted", "changes_requested", "approved", "rejected", "archived")
# What an artisan (or a coordinator editing for her) may set; the rest is the review's.
AUTHOR_STATUSES = ("draft", "submitted", "archived")
# Fields an approved product may change without a new review: keeping its stock up to
# date (pieces left, in stock or made to order, production time) is not new content.
STOCK_FIELDS = ("stock",)
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


def _example(value):
    return {"example": value}


class Dimensions(Schema):
    length_cm = StrictFloat(validate=validate.Range(min=0), metadata=_example(200.0))
    width_cm = StrictFloat(validate=validate.Range(min=0), metadata=_example(140.0))
    height_cm = StrictFloat(validate=validate.Range(min=0), metadata=_example(1.5))


class Stock(Schema):
    """Either pieces in stock, or made to order with a production time."""

    mode = fields.String(
        required=True,
        validate=validate.OneOf(["in_stock", "made_to_order"]),
        metadata=_example("made_to_order"),
    )
    quantity = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=MAX_COUNT), metadata=_example(2)
    )
    production_days = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=365), metadata=_example(21)
    )


class OptionChoice(Schema):
    code = fields.String(
        required=True, validate=validate.Length(min=1, max=40), metadata=_example("indigo")
    )
    label = fields.Nested(
        Localised, required=True, metadata=_example({"ar": "نيلي", "fr": "Indigo"})
    )
    price_delta_centimes = fields.Integer(
        strict=True,
        load_default=0,
        validate=validate.Range(min=-MAX_CENTIMES, max=MAX_CENTIMES),
        metadata=_example(5000),
    )


class Option(Schema):
    """A choice a buyer makes when ordering (colour, size...), each with a price difference."""

    code = fields.String(
        required=True, validate=validate.Length(min=1, max=40), metadata=_example("colour")
    )
    label = fields.Nested(
        Localised, required=True, metadata=_example({"ar": "اللون", "fr": "Couleur"})
    )
    choices = fields.List(
        fields.Nested(OptionChoice), required=True, validate=validate.Length(min=1, max=30)
    )


class ProductContent(Schema):
    """What an artisan writes about a piece: shared by the document and the REST bodies."""

    title = fields.Nested(
        Localised,
        required=True,
        metadata=_example({"ar": "زربية بني ورين", "fr": "Tapis Beni Ouarain"}),
    )
    description = fields.Nested(
        Localised, metadata=_example({"fr": "Laine naturelle, nouée main."})
    )
    category = fields.String(
        required=True, validate=validate.OneOf(sorted(CATEGORY_CODES)), metadata=_example("carpets")
    )
    materials = fields.List(
        fields.String(validate=validate.Length(max=80)),
        validate=validate.Length(max=20),
        metadata=_example(["wool", "henna"]),
    )
    technique = fields.String(validate=validate.Length(max=200), metadata=_example("hand-knotted"))
    region = fields.String(
        validate=validate.OneOf(sorted(REGION_CODES)), metadata=_example("fes-meknes")
    )
    dimensions = fields.Nested(Dimensions)
    weight_g = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=MAX_COUNT), metadata=_example(8500)
    )
    # Money is integer centimes of dirham: no float rounding, ever.
    price_centimes = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MAX_CENTIMES),
        allow_none=True,
        metadata=_example(450000),
    )
    stock = fields.Nested(Stock)
    options = fields.List(fields.Nested(Option), validate=validate.Length(max=10))
    story = fields.Nested(Localised, metadata=_example({"ar": "نسجتها أمي قبلي"}))
    photos = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        validate=validate.Length(max=12),
        load_default=list,
        metadata=_example(["photo:3f2a"]),
    )


class ProductDocSchema(OwnedSchema, ProductContent):
    status = fields.String(required=True, validate=validate.OneOf(PRODUCT_STATUSES))
    listed_by = fields.String()


PHOTO_STATUSES = ("pending", "ready")


class PhotoDocSchema(OwnedSchema):
    """Metadata of a photo; its bytes travel apart (tus upload) and are found by hash."""

    product_id = fields.String()
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    status = fields.String(required=True, validate=validate.OneOf(PHOTO_STATUSES))
    width = fields.Integer(strict=True)
    height = fields.Integer(strict=True)


REVIEW_DECISIONS = ("approve", "request_changes", "reject")
# Reasons a phone can show in the artisan's own language.
REASON_CODES = (
    "photo_blurry",
    "photo_too_dark",
    "price_missing",
    "description_missing",
    "wrong_category",
    "other",
)


class ReviewDocSchema(DocumentSchema):
    product_id = fields.String(required=True)
    artisan = fields.String(required=True)
    cooperative = fields.String(required=True)
    decision = fields.String(validate=validate.OneOf(REVIEW_DECISIONS))
    reason_codes = fields.List(fields.String(validate=validate.OneOf(REASON_CODES)))
    comment = fields.String(validate=validate.Length(max=2000))
    history = fields.List(fields.Dict())


class OrderDocSchema(DocumentSchema):
    buyer = fields.String(required=True)
    artisan = fields.String(required=True)
    cooperative = fields.String(required=True)
    product_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))
    quantity = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_COUNT))


class MaterialMovementDocSchema(OwnedSchema):
    material = fields.String(required=True)
    quantity = fields.Float(required=True, allow_nan=False)
    unit = fields.String(required=True)


# Fields that belong to an account, never to a public profile: they stay in local tables.
ACCOUNT_FIELDS = ("phone", "pin", "password", "secret", "secret_hash", "role", "session_version")
# A cooperative says where to visit it by commune or village, never by a home's position.
POSITION_FIELDS = (
    "location",
    "position",
    "coordinates",
    "gps",
    "lat",
    "lng",
    "latitude",
    "longitude",
)
CONTACT_KINDS = ("whatsapp", "phone", "email", "website", "facebook", "instagram")


class PublicProfile(DocumentSchema):
    """A document anyone may read: nothing of an account, nothing of a home's position."""

    @validates_schema
    def nothing_private(self, data, **kwargs):
        errors = {name: ["belongs to an account, not a public profile"] for name in ACCOUNT_FIELDS}
        errors.update({name: ["a home's position is never published"] for name in POSITION_FIELDS})
        found = {name: message for name, message in errors.items() if name in data}
        if found:
            raise ValidationError(found)


class ContactChannel(Schema):
    """A way to reach the cooperative that it chose to make public."""

    kind = fields.String(
        required=True, validate=validate.OneOf(CONTACT_KINDS), metadata=_example("whatsapp")
    )
    value = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=_example("+212600000999")
    )


def _crafts() -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(sorted(CATEGORY_CODES))),
        validate=validate.Length(max=20),
        metadata=_example(["carpets"]),
    )


class CooperativeContent(Schema):
    """What a cooperative says of itself: shared by the document and the REST bodies."""

    name = fields.Nested(
        Localised,
        required=True,
        metadata=_example({"ar": "تعاونية زربية تازة", "fr": "Coopérative Zerbia de Taza"}),
    )
    region = fields.String(
        required=True,
        validate=validate.OneOf(sorted(REGION_CODES)),
        metadata=_example("fes-meknes"),
    )
    commune = fields.String(
        validate=validate.Length(max=120),
        metadata={"description": "commune or village", "example": "Taza"},
    )
    crafts = _crafts()
    story = fields.Nested(Localised, metadata=_example({"fr": "Vingt tisserandes depuis 1998."}))
    photos = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        validate=validate.Length(max=12),
        metadata=_example(["photo:3f2a"]),
    )
    contacts = fields.List(
        fields.Nested(ContactChannel),
        validate=validate.Length(max=10),
        metadata=_example([{"kind": "whatsapp", "value": "+212600000999"}]),
    )
    visiting = fields.Nested(
        Localised, metadata=_example({"fr": "Du lundi au samedi, de 9 h à 16 h."})
    )


class CooperativeDocSchema(PublicProfile, CooperativeContent):
    """``cooperative:<id>``: a cooperative's public profile."""

    cooperative = fields.String(
        required=True, metadata={"description": "its own id", "example": "coop-taza-zerbia"}
    )


class ArtisanContent(Schema):
    """What anyone may read about an artisan: shared by the document and the REST bodies."""

    display_name = fields.String(
        required=True, validate=validate.Length(min=1, max=120), metadata=_example("فاطمة أيت علي")
    )
    crafts = _crafts()
    story = fields.Nested(Localised, metadata=_example({"ar": "أنسج منذ صغري"}))
    photo = fields.String(validate=validate.Length(min=1, max=100), metadata=_example("photo:3f2a"))


class ArtisanDocSchema(PublicProfile, ArtisanContent):
    """``artisan:<user id>``: an artisan's public profile."""

    cooperative = fields.String(required=True, metadata=_example("coop-taza-zerbia"))


DOCUMENT_SCHEMAS: dict[str, type[Schema]] = {
    "product": ProductDocSchema,
    "cooperative": CooperativeDocSchema,
    "artisan": ArtisanDocSchema,
    "photo": PhotoDocSchema,
    "review": ReviewDocSchema,
    "order": OrderDocSchema,
    "material_movement": MaterialMovementDocSchema,
}
