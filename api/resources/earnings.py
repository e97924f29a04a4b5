"""What the cooperative owes each artisan, over REST: her entries and balance, every
artisan's balance for her coordinators, payments and corrections, and the entries as CSV
(api/services/bulk/earnings.py; docs/bulk-orders.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response
from flask_restx import Resource

from schemas.bulk_api import CorrectionCreateSchema, PaymentCreateSchema
from schemas.bulk_views import ArtisanBalanceListSchema, EarningEntrySchema, EarningPageSchema
from schemas.taxonomy import LOCALES

from ..errors import ValidationFailed
from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services.bulk import earnings, export
from ..services.ledger.materials import cooperative_for
from ..state import hirfa
from .params import LIMIT, SINCE, choice_param, language_arg, single_arg

ns = namespace("earnings", "What the cooperative owes each artisan: earned, paid, owed.", path="/")

WRITERS = ("coordinator", "admin")
COOPERATIVE = {
    "cooperative": {
        "type": "string",
        "description": "the cooperative; optional when you coordinate one only",
        "example": "coop-taza-zerbia",
    }
}


@ns.route("/earnings")
class Earnings(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "An artisan's entries, oldest first, and her balance (what she is owed; below "
            "zero, an advance). An artisan reads her own (`artisan` defaults to her); a "
            "coordinator names an artisan of her cooperatives (400 without it, 403 "
            "`artisan_of_another_cooperative` for another's). `since` is the `next` of "
            "the previous page."
        ),
        params={
            "artisan": {
                "type": "string",
                "description": "the artisan; an artisan's own by default",
                "example": "art_fatima",
            },
            **SINCE.doc(),
            **LIMIT.doc(),
        },
    )
    @ns.response(200, "Her entries and balance", model(EarningPageSchema))
    @ns.response(403, "`artisan_of_another_cooperative`, or another artisan's entries")
    @login_required("artisan", *WRITERS)
    def get(self):
        """List an artisan's entries"""
        user = current_user()
        artisan = single_arg("artisan") or (user.id if user.role == "artisan" else None)
        if not artisan:
            raise ValidationFailed(
                details={"fields": {"artisan": ["A coordinator says whose entries."]}}
            )
        page = earnings.entries(hirfa().store(), user, artisan, SINCE.read(), LIMIT.read())
        return dump(EarningPageSchema, page)


@ns.route("/earnings/balances")
class Balances(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "Every artisan of a cooperative with what she earned, was paid, the "
            "corrections and her balance, by name. A coordinator of one cooperative need "
            "not name it; an admin does (400 without it, 404 for an unknown one); 403 for "
            "a cooperative not yours."
        ),
        params=COOPERATIVE,
    )
    @ns.response(200, "The balances", model(ArtisanBalanceListSchema))
    @ns.response(403, "Not one of your cooperatives")
    @ns.response(404, "No such cooperative")
    @login_required(*WRITERS)
    def get(self):
        """List the artisans' balances"""
        db, user = hirfa().db(), current_user()
        coop = cooperative_for(db, user, single_arg("cooperative"))
        items = earnings.balances(db, user, coop)
        return dump(ArtisanBalanceListSchema, {"cooperative": coop, "items": items})


@ns.route("/earnings/payments")
class Payments(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "A coordinator records a payment to an artisan of her cooperatives: cash, a "
            "bank transfer or mobile money (those two with their `reference`). A payment "
            "beyond what she is owed is recorded, the rest as an advance "
            "(`advance_centimes`; her balance goes below zero): cash handed over is not "
            "undone by refusing its record. 403 `artisan_of_another_cooperative`."
        ),
    )
    @ns.expect(model(PaymentCreateSchema), validate=False)
    @ns.response(201, "Recorded", model(EarningEntrySchema))
    @ns.response(403, "`artisan_of_another_cooperative`")
    @login_required(*WRITERS)
    def post(self):
        """Record a payment"""
        data = load_body(PaymentCreateSchema)
        return dump(EarningEntrySchema, earnings.pay(hirfa().store(), current_user(), data)), 201


@ns.route("/earnings/corrections")
class Corrections(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "A coordinator corrects an entry: a new entry naming it (`corrects`), with a "
            "signed amount (added to her balance; negative takes away) and a note saying "
            "why. Entries are never edited. 404 for an unknown entry; 403 "
            "`artisan_of_another_cooperative`."
        ),
    )
    @ns.expect(model(CorrectionCreateSchema), validate=False)
    @ns.response(201, "Recorded", model(EarningEntrySchema))
    @ns.response(403, "`artisan_of_another_cooperative`")
    @ns.response(404, "No such entry to correct")
    @login_required(*WRITERS)
    def post(self):
        """Correct an entry"""
        data = load_body(CorrectionCreateSchema)
        entry = earnings.correct(hirfa().store(), current_user(), data)
        return dump(EarningEntrySchema, entry), 201


@ns.route("/earnings.csv")
class EarningsCsv(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "A cooperative's entries as CSV (UTF-8 with a byte-order mark), one row per "
            "entry, oldest first: date, entry id, artisan and her name, kind, the amount in "
            "MAD signed as it counts (a payment negative: an artisan's rows add up to her "
            "balance), pieces and the share per piece, bulk order, shipment, part, method "
            "(and its name in `lang`, else your language), reference, advance, the entry "
            "a correction corrects, note, who recorded it. The cooperative as for "
            "`/earnings/balances`."
        ),
        params={
            **COOPERATIVE,
            "lang": choice_param("the language of names", LOCALES, "fr", empty_is_absent=True),
        },
    )
    @ns.produces(["text/csv", "application/json"])
    @ns.response(
        200,
        "The entries, as an attachment",
        headers={
            "Content-Disposition": {
                "type": "string",
                "description": "attachment; its file name",
                "x-example": 'attachment; filename="earnings-coop-taza-zerbia-20261220.csv"',
            }
        },
    )
    @ns.response(403, "Not one of your cooperatives")
    @ns.response(404, "No such cooperative")
    @login_required(*WRITERS)
    def get(self):
        """Download the entries as CSV"""
        user = current_user()
        asked = language_arg()
        coop = cooperative_for(hirfa().db(), user, single_arg("cooperative"))
        name = export.filename(coop, datetime.now(UTC).strftime("%Y%m%d"))
        return Response(
            export.streamed(hirfa().pool, coop, asked or user.locale),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
