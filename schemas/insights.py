"""Insights (issue 17): the artisan's summary document, and the REST answers of
``/api/v1/insights``.

``insights:<artisan id>`` (type ``insights_summary``) is written by the server alone,
in the artisan's channel and her cooperative's (sync/rules/insights.py): her last four
weeks, per product. The REST answers carry the same figures by week, source and page.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .document_base import DocumentSchema, Localised, example

SUMMARY_TYPE = "insights_summary"
SUMMARY_PREFIX = "insights:"
SUMMARY_WEEKS = 4

TITLE = {"ar": "زربية عزيلال ملونة", "fr": "Tapis Azilal coloré", "en": "Colourful Azilal rug"}


def summary_id(artisan: str) -> str:
    return f"{SUMMARY_PREFIX}{artisan}"


def _count(description: str, value: int) -> fields.Integer:
    return fields.Integer(
        required=True,
        validate=validate.Range(min=0),
        metadata={"description": description, "example": value},
    )


class Counts(Schema):
    """What a page, a week or a source did."""

    views = _count("page views (people, not bots or link previews)", 120)
    previews = _count("link previews fetched when the page was shared (WhatsApp...)", 14)
    visitors = _count("distinct visitors, summed over the days", 87)
    orders = _count("orders placed", 3)
    delivered = _count("orders delivered", 1)
    delivered_centimes = _count("the delivered orders' value, in centimes of MAD", 280000)


class SummaryProduct(Schema):
    product_id = fields.String(required=True, metadata=example("product:demo-zerbia-2"))
    title = fields.Dict(keys=fields.String(), values=fields.String(), metadata=example(TITLE))
    views = fields.Integer(required=True, validate=validate.Range(min=0))
    previews = fields.Integer(required=True, validate=validate.Range(min=0))
    orders = fields.Integer(required=True, validate=validate.Range(min=0))
    delivered_centimes = fields.Integer(required=True, validate=validate.Range(min=0))


class InsightsSummaryDocSchema(DocumentSchema):
    """``insights:<artisan id>``: her last four weeks, written by the server only."""

    owner = fields.String(required=True, metadata={"description": "the artisan's user id"})
    cooperative = fields.String(required=True)
    weeks = fields.List(fields.String(), required=True, metadata=example(["2026-W42"]))
    period_start = fields.String(required=True, metadata=example("2026-10-12"))
    period_end = fields.String(required=True, metadata=example("2026-11-08"))
    products = fields.List(fields.Nested(SummaryProduct), required=True)
    totals = fields.Nested(SummaryProduct(exclude=("product_id", "title")), required=True)


# REST answers


class WeekFigures(Counts):
    week = fields.String(required=True, metadata=example("2026-W45"))
    start = fields.String(
        required=True, metadata={"description": "its Monday", "example": "2026-11-02"}
    )


class SourceFigures(Schema):
    source = fields.String(
        required=True,
        metadata={
            "description": "whatsapp, facebook, link, qr, other, direct, internal, or "
            "ref:<host> (another site)",
            "example": "whatsapp",
        },
    )
    views = _count("page views", 80)
    previews = _count("link previews", 12)
    visitors = _count("distinct visitors, summed over the days", 61)


class PageFigures(Counts):
    page = fields.String(
        required=True,
        validate=validate.OneOf(("product", "cooperative")),
        metadata={
            "description": "a product's page, or the cooperative's own",
            "example": "product",
        },
    )
    product_id = fields.String(
        allow_none=True,
        metadata={
            "description": "null for the cooperative's page",
            "example": "product:demo-zerbia-2",
        },
    )
    title = fields.Nested(Localised, allow_none=True, metadata=example(TITLE))


class InsightsSchema(Schema):
    """A cooperative's or an artisan's figures over a period of whole ISO weeks."""

    cooperative = fields.String(allow_none=True, metadata=example("coop-taza-zerbia"))
    artisan = fields.String(allow_none=True, metadata=example(None))
    weeks = fields.List(fields.String(), required=True, metadata=example(["2026-W44", "2026-W45"]))
    period_start = fields.String(required=True, metadata=example("2026-10-26"))
    period_end = fields.String(required=True, metadata=example("2026-11-08"))
    totals = fields.Nested(Counts, required=True)
    by_week = fields.List(fields.Nested(WeekFigures), required=True)
    by_source = fields.List(fields.Nested(SourceFigures), required=True)
    by_page = fields.List(fields.Nested(PageFigures), required=True)
