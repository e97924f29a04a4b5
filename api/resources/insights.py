"""Insights over REST (issue 17): a cooperative's or an artisan's views, shared previews,
orders and deliveries by ISO week, source and page, and the cooperative's as CSV.

The period is the last ``weeks`` whole ISO weeks (Monday to Sunday, UTC), this one
included: 1 to 52. More than a year is a 400 that says so, never a silent clamp, so
an export never looks complete when it is not.
"""

from __future__ import annotations

from flask import Response, request
from flask_restx import Resource

from schemas.insights import InsightsSchema
from schemas.taxonomy import LOCALES

from ..errors import BadRequest
from ..rest import dump, model, namespace
from ..security import current_user, login_required
from ..services.insights import export, figures, reads
from ..services.insights.periods import DEFAULT_WEEKS, MAX_WEEKS, last_weeks
from ..state import hirfa
from .params import INTEGER, choice_param, language_arg, single_arg

ns = namespace(
    "insights",
    "Views of the public pages, shared previews, orders and deliveries, by week, source "
    "and product.",
    path="/insights",
)

COORDINATORS = ("coordinator", "admin")
COOPERATIVE = {
    "cooperative": {
        "type": "string",
        "description": "the cooperative; optional when you coordinate only one",
        "example": "coop-taza-zerbia",
    }
}
WEEKS = {
    "weeks": {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_WEEKS,
        "default": DEFAULT_WEEKS,
        "allowEmptyValue": True,
        "description": f"the last n whole ISO weeks, this one included; 1 to {MAX_WEEKS} "
        "(a year): more is a 400",
        "example": 12,
    }
}
ARTISAN_ID = {"description": "The artisan's user id", "example": "art_fatima"}
EXAMPLE = {
    "cooperative": "coop-taza-zerbia",
    "artisan": None,
    "weeks": ["2026-W44", "2026-W45"],
    "period_start": "2026-10-26",
    "period_end": "2026-11-08",
    "totals": {"views": 160, "previews": 21, "visitors": 118, "orders": 3, "delivered": 1,
               "delivered_centimes": 280000},
    "by_week": [
        {"week": "2026-W44", "start": "2026-10-26", "views": 70, "previews": 9, "visitors": 52,
         "orders": 1, "delivered": 0, "delivered_centimes": 0},
        {"week": "2026-W45", "start": "2026-11-02", "views": 90, "previews": 12, "visitors": 66,
         "orders": 2, "delivered": 1, "delivered_centimes": 280000},
    ],
    "by_source": [
        {"source": "whatsapp", "views": 96, "previews": 18, "visitors": 70},
        {"source": "facebook", "views": 30, "previews": 3, "visitors": 22},
        {"source": "qr", "views": 14, "previews": 0, "visitors": 12},
        {"source": "direct", "views": 20, "previews": 0, "visitors": 14},
    ],
    "by_page": [
        {"page": "cooperative", "product_id": None, "title": None, "views": 25, "previews": 2,
         "visitors": 20, "orders": 0, "delivered": 0, "delivered_centimes": 0},
        {"page": "product", "product_id": "product:demo-zerbia-1",
         "title": {"ar": "زربية بني ورين بيضاء", "fr": "Tapis Beni Ouarain blanc"},
         "views": 135, "previews": 19, "visitors": 98, "orders": 3, "delivered": 1,
         "delivered_centimes": 280000},
    ],
}  # fmt: skip


def weeks_arg() -> int:
    """``weeks``: 1 to 52, given at most once; more than a year is refused in words."""
    values = request.args.getlist("weeks")
    if len(values) > 1:
        raise BadRequest("Give `weeks` once.", details={"weeks": values})
    raw = values[0] if values else ""
    if raw == "":
        return DEFAULT_WEEKS
    if not INTEGER.fullmatch(raw):
        raise BadRequest("`weeks` is an integer.", details={"weeks": raw})
    weeks = int(raw)
    if weeks > MAX_WEEKS:
        raise BadRequest(
            f"Insights cover at most a year: ask for {MAX_WEEKS} weeks or fewer.",
            details={"weeks": weeks, "max": MAX_WEEKS},
        )
    if weeks < 1:
        raise BadRequest("`weeks` is at least 1.", details={"weeks": weeks, "min": 1})
    return weeks


@ns.route("")
class CooperativeInsights(Resource):
    @ns.doc(
        security="bearer",
        description="A cooperative's figures over the last `weeks` ISO weeks: totals, each "
        "week (empty ones too), each source that brought views or previews (`whatsapp`, "
        "`facebook`, `link`, `qr`, `other`, `direct`, `internal`, `ref:<host>`) and each "
        "page (the cooperative's own, its products). Views exclude bots and link-preview "
        "fetches, which are `previews`; `visitors` are each day's distinct visitors, "
        "summed. An order counts in the week it was placed; a delivery in the week it "
        "was delivered, at the order's total. For its coordinators (403 for another "
        "cooperative) and admins (naming it).",
        params={**COOPERATIVE, **WEEKS},
    )
    @ns.response(200, "The figures", model(InsightsSchema), example=EXAMPLE)
    @ns.response(400, "`weeks` out of 1..52 (more than a year), or no cooperative named")
    @ns.response(403, "Not one of your cooperatives")
    @login_required(*COORDINATORS)
    def get(self):
        """A cooperative's insights"""
        db = hirfa().db()
        weeks = weeks_arg()
        coop = reads.cooperative(db, current_user(), single_arg("cooperative"))
        found = figures.of_cooperative(db, coop, last_weeks(weeks))
        return dump(InsightsSchema, reads.answer(found))


@ns.route("/artisans/<string:artisan_id>")
@ns.param("artisan_id", **ARTISAN_ID)
class ArtisanInsights(Resource):
    @ns.doc(
        security="bearer",
        description="An artisan's figures: her product pages' views and previews, her "
        "orders and deliveries, by week, source and product. For herself, her "
        "cooperative's coordinators and admins. Her phone also has her last four weeks "
        "offline, in the document `insights:<her id>` (type `insights_summary`).",
        params=WEEKS,
    )
    @ns.response(
        200,
        "The figures",
        model(InsightsSchema),
        example={**EXAMPLE, "artisan": "art_fatima", "by_page": EXAMPLE["by_page"][1:]},
    )
    @ns.response(400, "`weeks` out of 1..52")
    @ns.response(403, "Not yours, nor an artisan of your cooperatives")
    @ns.response(404, "No such artisan")
    @login_required("artisan", *COORDINATORS)
    def get(self, artisan_id: str):
        """An artisan's insights"""
        db = hirfa().db()
        weeks = weeks_arg()
        coop = reads.artisan(db, current_user(), artisan_id)
        found = figures.of_artisan(db, artisan_id, coop, last_weeks(weeks))
        return dump(InsightsSchema, reads.answer(found))


@ns.route(".csv")
class InsightsCsv(Resource):
    @ns.doc(
        security="bearer",
        description="A cooperative's figures as CSV (UTF-8 with a byte-order mark), one "
        "row per week, page and source with something in it: week, its Monday, page "
        "(`product` or `cooperative`), product id and title (in `lang`, else your "
        "language), source, views, previews, visitors, orders, delivered orders and "
        "their value in MAD. Order figures are on rows with an empty source. `weeks` "
        "as for GET /insights: more than 52 is a 400.",
        params={
            **COOPERATIVE,
            **WEEKS,
            "lang": choice_param(
                "the language of product titles", LOCALES, "fr", empty_is_absent=True
            ),
        },
    )
    @ns.produces(["text/csv", "application/json"])
    @ns.response(
        200,
        "The figures, as an attachment",
        headers={
            "Content-Disposition": {
                "type": "string",
                "description": "attachment; its file name",
                "x-example": "attachment; "
                'filename="insights-coop-taza-zerbia-2026-W42-2026-W45.csv"',
            }
        },
    )
    @ns.response(400, "`weeks` out of 1..52 (more than a year), or an unknown `lang`")
    @ns.response(403, "Not one of your cooperatives")
    @login_required(*COORDINATORS)
    def get(self):
        """Download a cooperative's insights as CSV"""
        user = current_user()
        asked = language_arg()
        weeks = weeks_arg()
        coop = reads.cooperative(hirfa().db(), user, single_arg("cooperative"))
        period = last_weeks(weeks)
        return Response(
            export.streamed(hirfa().pool, coop, period, asked or user.locale),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{export.filename(coop, period)}"'
            },
        )
