"""Schemas of the synced documents. ``validate`` in sync/rules/access.py is built on them.

Unknown fields are kept (INCLUDE): a phone running a newer app may add fields, and a
sync must not refuse its listing for that. Known fields are checked strictly.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.taxonomy import CATEGORY_CODES, REGION_CODES

from .bulk_orders import BULK_DOCUMENT_SCHEMAS, BULK_PREFIX
from .document_base import MAX_CENTIMES, MAX_COUNT, DocumentSchema, Localised, OwnedSchema, example
from .fields import StrictFloat
from .insights import InsightsSummaryDocSchema
from .ledger import (
    LotNumber,
    MaterialDocSchema,
    MaterialMovementDocSchema,
    MaterialQuantity,
    material_cooperative,
)
from .training import (
    AssessmentResultDocSchema,
    CertificateDocSchema,
    CourseDocSchema,
    ProgressDocSchema,
)
from .visits import BookingDocSchema, OpeningHours, WorkshopDocSchema

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


class Dimensions(Schema):
    length_cm = StrictFloat(validate=validate.Range(min=0), metadata=example(200.0))
    width_cm = StrictFloat(validate=validate.Range(min=0), metadata=example(140.0))
    height_cm = StrictFloat(validate=validate.Range(min=0), metadata=example(1.5))


class Stock(Schema):
    """Either pieces in stock, or made to order with a production time."""

    mode = fields.String(
        required=True,
        validate=validate.OneOf(["in_stock", "made_to_order"]),
        metadata=example("made_to_order"),
    )
    quantity = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=MAX_COUNT), metadata=example(2)
    )
    production_days = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=365), metadata=example(21)
    )


class OptionChoice(Schema):
    code = fields.String(
        required=True, validate=validate.Length(min=1, max=40), metadata=example("indigo")
    )
    label = fields.Nested(
        Localised, required=True, metadata=example({"ar": "نيلي", "fr": "Indigo"})
    )
    price_delta_centimes = fields.Integer(
        strict=True,
        load_default=0,
        validate=validate.Range(min=-MAX_CENTIMES, max=MAX_CENTIMES),
        metadata=example(5000),
    )


class Option(Schema):
    """A choice a buyer makes when ordering (colour, size...), each with a price difference."""

    code = fields.String(
        required=True, validate=validate.Length(min=1, max=40), metadata=example("colour")
    )
    label = fields.Nested(
        Localised, required=True, metadata=example({"ar": "اللون", "fr": "Couleur"})
    )
    choices = fields.List(
        fields.Nested(OptionChoice), required=True, validate=validate.Length(min=1, max=30)
    )


class ProductContent(Schema):
    """What an artisan writes about a piece: shared by the document and the REST bodies."""

    title = fields.Nested(
        Localised,
        required=True,
        metadata=example({"ar": "زربية بني ورين", "fr": "Tapis Beni Ouarain"}),
    )
    description = fields.Nested(Localised, metadata=example({"fr": "Laine naturelle, nouée main."}))
    category = fields.String(
        required=True, validate=validate.OneOf(sorted(CATEGORY_CODES)), metadata=example("carpets")
    )
    materials = fields.List(
        fields.String(validate=validate.Length(max=80)),
        validate=validate.Length(max=20),
        metadata=example(["wool", "henna"]),
    )
    technique = fields.String(validate=validate.Length(max=200), metadata=example("hand-knotted"))
    region = fields.String(
        validate=validate.OneOf(sorted(REGION_CODES)), metadata=example("fes-meknes")
    )
    dimensions = fields.Nested(Dimensions)
    weight_g = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=MAX_COUNT), metadata=example(8500)
    )
    # Money is integer centimes of dirham: no float rounding, ever.
    price_centimes = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MAX_CENTIMES),
        allow_none=True,
        metadata=example(450000),
    )
    stock = fields.Nested(Stock)
    options = fields.List(fields.Nested(Option), validate=validate.Length(max=10))
    story = fields.Nested(Localised, metadata=example({"ar": "نسجتها أمي قبلي"}))
    bill_of_materials = fields.List(
        fields.Nested(MaterialQuantity),
        validate=validate.Length(max=30),
        metadata={
            "description": "the materials of one piece, in base units: they give its "
            "materials cost and the use movements an accepted order proposes",
            "example": [{"material": "material:coop-taza-zerbia:wool", "quantity": 9000}],
        },
    )
    lots = fields.List(
        LotNumber(),
        validate=validate.Length(max=10),
        metadata={
            "description": "production lots its pieces come from",
            "example": ["ARG-2026-11-A"],
        },
    )
    photos = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        validate=validate.Length(max=12),
        load_default=list,
        metadata=example(["photo:3f2a"]),
    )


class ProductDocSchema(OwnedSchema, ProductContent):
    status = fields.String(required=True, validate=validate.OneOf(PRODUCT_STATUSES))
    listed_by = fields.String()

    @validates_schema
    def own_materials(self, data, **kwargs):
        for line in data.get("bill_of_materials") or []:
            if material_cooperative(line["material"]) != data.get("cooperative"):
                raise ValidationError(
                    {
                        "bill_of_materials": [
                            f"{line['material']!r} is not a material of its cooperative"
                        ]
                    }
                )


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
    # An artisan's part of a bulk order (schemas/bulk_orders.py) names it.
    bulk_order = fields.String(validate=validate.Regexp(rf"^{BULK_PREFIX}"))


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
        required=True, validate=validate.OneOf(CONTACT_KINDS), metadata=example("whatsapp")
    )
    value = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=example("+212600000999")
    )


def _crafts() -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(sorted(CATEGORY_CODES))),
        validate=validate.Length(max=20),
        metadata=example(["carpets"]),
    )


class CooperativeContent(Schema):
    """What a cooperative says of itself: shared by the document and the REST bodies."""

    name = fields.Nested(
        Localised,
        required=True,
        metadata=example({"ar": "تعاونية زربية تازة", "fr": "Coopérative Zerbia de Taza"}),
    )
    region = fields.String(
        required=True,
        validate=validate.OneOf(sorted(REGION_CODES)),
        metadata=example("fes-meknes"),
    )
    commune = fields.String(
        validate=validate.Length(max=120),
        metadata={"description": "commune or village", "example": "Taza"},
    )
    crafts = _crafts()
    story = fields.Nested(Localised, metadata=example({"fr": "Vingt tisserandes depuis 1998."}))
    photos = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        validate=validate.Length(max=12),
        metadata=example(["photo:3f2a"]),
    )
    contacts = fields.List(
        fields.Nested(ContactChannel),
        validate=validate.Length(max=10),
        metadata=example([{"kind": "whatsapp", "value": "+212600000999"}]),
    )
    visiting = fields.Nested(
        Localised, metadata=example({"fr": "Du lundi au samedi, de 9 h à 16 h."})
    )
    visiting_hours = fields.List(
        fields.Nested(OpeningHours),
        validate=validate.Length(max=14),
        metadata={
            "description": "when visitors are welcome (the page shows the days in its language)",
            "example": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "09:00", "closes": "16:00"}
            ],
        },
    )
    home_server = fields.Url(
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=200),
        allow_none=True,
        metadata={
            "description": "the server where the cooperative's accounts live: workshop "
            "places are counted and booked there",
            "example": "https://taza.hirfa.ma",
        },
    )


class CooperativeDocSchema(PublicProfile, CooperativeContent):
    """``cooperative:<id>``: a cooperative's public profile."""

    cooperative = fields.String(
        required=True, metadata={"description": "its own id", "example": "coop-taza-zerbia"}
    )


class ArtisanContent(Schema):
    """What anyone may read about an artisan: shared by the document and the REST bodies."""

    display_name = fields.String(
        required=True, validate=validate.Length(min=1, max=120), metadata=example("فاطمة أيت علي")
    )
    crafts = _crafts()
    story = fields.Nested(Localised, metadata=example({"ar": "أنسج منذ صغري"}))
    photo = fields.String(validate=validate.Length(min=1, max=100), metadata=example("photo:3f2a"))


class ArtisanDocSchema(PublicProfile, ArtisanContent):
    """``artisan:<user id>``: an artisan's public profile."""

    cooperative = fields.String(required=True, metadata=example("coop-taza-zerbia"))


DOCUMENT_SCHEMAS: dict[str, type[Schema]] = {
    "product": ProductDocSchema,
    "cooperative": CooperativeDocSchema,
    "artisan": ArtisanDocSchema,
    "photo": PhotoDocSchema,
    "review": ReviewDocSchema,
    "order": OrderDocSchema,
    "material": MaterialDocSchema,
    "course": CourseDocSchema,
    "progress": ProgressDocSchema,
    "assessment_result": AssessmentResultDocSchema,
    "certificate": CertificateDocSchema,
    "material_movement": MaterialMovementDocSchema,
    "workshop": WorkshopDocSchema,
    "booking": BookingDocSchema,
    "insights_summary": InsightsSummaryDocSchema,
    **BULK_DOCUMENT_SCHEMAS,
}
