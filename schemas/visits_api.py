"""REST bodies and answers of visits: workshops, their upcoming sessions with places
left, bookings (docs/visits.md). The documents are schemas/visits.py's."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .document_base import Localised, example
from .visits import (
    BOOKING_STATUSES,
    KEY,
    MAX_PLACES,
    SPOKEN,
    WORKSHOP_STATUSES,
    Cancellation,
    WorkshopContent,
)

WORKSHOP_ID = "workshop:coop-taza-zerbia:weaving"
TITLE = {"ar": "ورشة نسج الزربية", "fr": "Atelier de tissage de tapis"}


class WorkshopUpdateSchema(WorkshopContent):
    """Every field of the workshop, replacing the last revision's."""

    status = fields.String(
        required=True, validate=validate.OneOf(WORKSHOP_STATUSES), metadata=example("published")
    )


class WorkshopCreateSchema(WorkshopContent):
    code = fields.String(
        required=True,
        validate=KEY,
        metadata={
            "description": "the workshop is workshop:<cooperative>:<code>",
            "example": "weaving",
        },
    )
    cooperative = fields.String(
        metadata={
            "description": "one of your cooperatives (optional if you have one; admins name it)",
            "example": "coop-taza-zerbia",
        }
    )
    status = fields.String(
        validate=validate.OneOf(WORKSHOP_STATUSES),
        load_default="draft",
        metadata=example("published"),
    )


class WorkshopSchema(WorkshopContent):
    id = fields.String(metadata=example(WORKSHOP_ID))
    rev = fields.String(metadata=example("2-5f0c"))
    code = fields.String(metadata=example("weaving"))
    cooperative = fields.String(metadata=example("coop-taza-zerbia"))
    status = fields.String(metadata=example("published"))
    created_at = fields.String(metadata=example("2026-11-22T10:00:00.000Z"))
    updated_at = fields.String(metadata=example("2026-11-22T10:05:00.000Z"))


class WorkshopListSchema(Schema):
    items = fields.List(fields.Nested(WorkshopSchema))


class UpcomingSessionSchema(Schema):
    workshop_id = fields.String(metadata=example(WORKSHOP_ID))
    session_id = fields.String(metadata=example("2026-12-05-am"))
    cooperative = fields.String(metadata=example("coop-taza-zerbia"))
    starts_at = fields.String(metadata=example("2026-12-05T10:00:00+01:00"))
    title = fields.Nested(Localised, metadata=example(TITLE))
    description = fields.Nested(Localised, metadata=example({"fr": "Vos premiers rangs."}))
    duration_minutes = fields.Integer(metadata=example(180))
    price_centimes = fields.Integer(metadata={"description": "per person", "example": 35000})
    languages = fields.List(
        fields.String(validate=validate.OneOf(SPOKEN)), metadata=example(["ary", "fr"])
    )
    capacity = fields.Integer(metadata=example(8))
    places_left = fields.Integer(metadata=example(3))
    full = fields.Boolean(metadata=example(False))
    book_url = fields.String(
        metadata={
            "description": "where to book: this server's, or the cooperative's home server's",
            "example": "https://taza.hirfa.ma/buy/book/workshop:coop-taza-zerbia:weaving/2026-12-05-am",
        }
    )


class UpcomingSessionListSchema(Schema):
    items = fields.List(fields.Nested(UpcomingSessionSchema))
    home_server = fields.String(
        allow_none=True,
        metadata={"description": "where places are booked (null: this server)", "example": None},
    )


class BookingCreateSchema(Schema):
    workshop = fields.String(required=True, metadata=example(WORKSHOP_ID))
    session = fields.String(required=True, validate=KEY, metadata=example("2026-12-05-am"))
    places = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=MAX_PLACES),
        metadata=example(2),
    )
    note = fields.String(
        validate=validate.Length(max=1000),
        allow_none=True,
        metadata=example("Nous arriverons en taxi depuis la gare."),
    )


class BookingSchema(Schema):
    id = fields.String(metadata=example("booking:0b6f2a8e-58f4-4b8e-9d0e-3c1f0a7d9e21"))
    rev = fields.String(metadata=example("1-9a1b"))
    buyer = fields.String(metadata=example("buy_sophie"))
    cooperative = fields.String(metadata=example("coop-taza-zerbia"))
    workshop = fields.String(metadata=example(WORKSHOP_ID))
    workshop_title = fields.Nested(Localised, metadata=example(TITLE))
    session = fields.String(metadata=example("2026-12-05-am"))
    starts_at = fields.String(metadata=example("2026-12-05T10:00:00+01:00"))
    duration_minutes = fields.Integer(metadata=example(180))
    price_centimes = fields.Integer(metadata={"description": "per person", "example": 35000})
    places = fields.Integer(metadata=example(2))
    status = fields.String(validate=validate.OneOf(BOOKING_STATUSES), metadata=example("confirmed"))
    contact_name = fields.String(metadata=example("Sophie Martin"))
    note = fields.String(allow_none=True, metadata=example("Nous arriverons en taxi."))
    cancelled = fields.Nested(Cancellation, allow_none=True)
    created_at = fields.String(metadata=example("2026-11-22T10:00:00.000Z"))
    updated_at = fields.String(metadata=example("2026-11-22T10:00:00.000Z"))


class BookingListSchema(Schema):
    items = fields.List(fields.Nested(BookingSchema))


class CancelSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata=example("Notre vol a été annulé."),
    )
