"""Visits and workshops: a cooperative's workshops with their sessions, the bookings
buyers make for them, and its visiting hours (docs/visits.md).

A workshop is one document with its sessions inside (``workshop:<cooperative>:<code>``),
written by the cooperative's coordinators. A booking (``booking:<uuid>``) is written by
the server alone, on the cooperative's home server, where the places are counted.
"""

from __future__ import annotations

import re
from datetime import datetime

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .document_base import MAX_CENTIMES, DocumentSchema, Localised, example

WORKSHOP_PREFIX = "workshop:"
BOOKING_PREFIX = "booking:"
WORKSHOP_STATUSES = ("draft", "published", "cancelled")
BOOKING_STATUSES = ("confirmed", "cancelled")
CANCELLED_BY = ("buyer", "coordinator", "admin")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Languages a workshop is given in: ISO 639 codes (Darija is ary, Tamazight tzm, the
# Tachelhit of the Souss shi, Tarifit rif, Standard Moroccan Amazigh zgh).
SPOKEN = ("ar", "ary", "tzm", "zgh", "shi", "rif", "fr", "en", "es", "de", "it")
MAX_PLACES = 50  # one booking: a family, a school class, a small group
MAX_CAPACITY = 500
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
KEY = validate.Regexp(_KEY, error="1-40 of a-z, 0-9 and -, not starting with -")


def workshop_id(cooperative: str, code: str) -> str:
    return f"{WORKSHOP_PREFIX}{cooperative}:{code}"


def workshop_cooperative(doc_id: str) -> str | None:
    """The cooperative a workshop id names (``workshop:<cooperative>:<code>``)."""
    if not doc_id.startswith(WORKSHOP_PREFIX):
        return None
    coop, sep, code = doc_id.removeprefix(WORKSHOP_PREFIX).rpartition(":")
    return coop if sep and coop and code else None


def booking_id(key: str) -> str:
    return f"{BOOKING_PREFIX}{key}"


def parse_instant(value: str) -> datetime | None:
    """An ISO 8601 date and time with its offset (``2026-12-05T10:00:00+01:00``), or None
    when it has no offset or is not one."""
    try:
        found = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return found if found.tzinfo is not None and "T" in value else None


class Instant(fields.String):
    """An ISO 8601 date and time with its UTC offset: a session happens at one moment,
    whatever the reader's time zone."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if len(raw) > 40 or parse_instant(raw) is None:
            raise ValidationError(
                "an ISO 8601 date and time with its offset, such as 2026-12-05T10:00:00+01:00"
            )
        return raw


class Session(Schema):
    """One date of a workshop."""

    id = fields.String(required=True, validate=KEY, metadata=example("2026-12-05-am"))
    starts_at = Instant(required=True, metadata=example("2026-12-05T10:00:00+01:00"))
    capacity = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MAX_CAPACITY),
        allow_none=True,
        metadata={"description": "this session's places, if not the workshop's", "example": 6},
    )


class WorkshopContent(Schema):
    """What a cooperative says of a workshop: shared by the document and the REST bodies."""

    title = fields.Nested(
        Localised,
        required=True,
        metadata=example({"ar": "ورشة نسج الزربية", "fr": "Atelier de tissage de tapis"}),
    )
    description = fields.Nested(
        Localised, metadata=example({"fr": "Nouez vos premiers rangs avec les tisserandes."})
    )
    duration_minutes = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=15, max=24 * 60),
        metadata=example(180),
    )
    price_centimes = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=0, max=MAX_CENTIMES),
        metadata={"description": "per person, in centimes of dirham", "example": 35000},
    )
    languages = fields.List(
        fields.String(validate=validate.OneOf(SPOKEN)),
        required=True,
        validate=validate.Length(min=1, max=len(SPOKEN)),
        metadata={"description": "spoken at the workshop", "example": ["ary", "fr"]},
    )
    capacity = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=MAX_CAPACITY),
        metadata={"description": "places per session", "example": 8},
    )
    sessions = fields.List(
        fields.Nested(Session),
        load_default=list,
        validate=validate.Length(max=200),
        metadata=example([{"id": "2026-12-05-am", "starts_at": "2026-12-05T10:00:00+01:00"}]),
    )

    @validates_schema
    def distinct_sessions(self, data, **kwargs):
        ids = [s["id"] for s in data.get("sessions") or []]
        if len(ids) != len(set(ids)):
            raise ValidationError({"sessions": ["each session has its own id"]})


class WorkshopDocSchema(DocumentSchema, WorkshopContent):
    """``workshop:<cooperative>:<code>``."""

    cooperative = fields.String(required=True, metadata=example("coop-taza-zerbia"))
    status = fields.String(required=True, validate=validate.OneOf(WORKSHOP_STATUSES))


class Cancellation(Schema):
    by = fields.String(required=True, metadata=example("buy_sophie"))
    role = fields.String(
        required=True, validate=validate.OneOf(CANCELLED_BY), metadata=example("buyer")
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata=example("Notre vol a été annulé."),
    )
    at = fields.String(required=True, metadata=example("2026-12-01T09:00:00Z"))


class BookingDocSchema(DocumentSchema):
    """``booking:<uuid>``: places in one session, written by the home server."""

    buyer = fields.String(required=True)
    cooperative = fields.String(required=True)
    workshop = fields.String(required=True)
    session = fields.String(required=True, validate=KEY)
    starts_at = Instant()
    places = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=MAX_PLACES)
    )
    status = fields.String(required=True, validate=validate.OneOf(BOOKING_STATUSES))
    contact_name = fields.String(validate=validate.Length(max=120))
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)
    cancelled = fields.Nested(Cancellation, allow_none=True)


class OpeningHours(Schema):
    """The days a cooperative welcomes visitors, and from when to when."""

    days = fields.List(
        fields.String(validate=validate.OneOf(DAYS)),
        required=True,
        validate=validate.Length(min=1, max=7),
        metadata=example(["mon", "tue", "wed", "thu", "fri", "sat"]),
    )
    opens = fields.String(
        required=True,
        validate=validate.Regexp(_CLOCK, error="HH:MM, 24 h"),
        metadata=example("09:00"),
    )
    closes = fields.String(
        required=True,
        validate=validate.Regexp(_CLOCK, error="HH:MM, 24 h"),
        metadata=example("16:00"),
    )

    @validates_schema
    def opens_before_closing(self, data, **kwargs):
        if data.get("opens") and data.get("closes") and data["opens"] >= data["closes"]:
            raise ValidationError({"closes": ["closes after it opens"]})
        days = data.get("days") or []
        if len(days) != len(set(days)):
            raise ValidationError({"days": ["each day once"]})
