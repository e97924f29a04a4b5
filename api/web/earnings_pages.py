"""What the cooperative owes each artisan, for her coordinator: every artisan's balance,
the latest entries, a form to record a payment, and the entries as CSV
(docs/bulk-orders.md).

Under /review, behind the review page's sign-in (its cookies are scoped there). The form
is a POST answered by a redirect with a message (no script); whatever a service refuses
is said on the page in the coordinator's language, and nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Response, g, redirect, request, session
from markupsafe import Markup

from schemas.bulk_orders import PAYMENT_METHODS

from ..errors import AppError
from ..services import accounts
from ..services.bulk import earnings, export, words
from ..state import hirfa
from . import bulk_text, earnings_text, i18n
from .bulk_messages import Refused, flash, say_refusal
from .coordinator_guard import coordinator_and_cooperative, coordinator_or_answer
from .dirhams import centimes, money
from .display_names import cooperative_name, user_names
from .rendering import error_page, page_blueprint, render
from .review_pages import COOKIE_PATH, csrf_token

i18n.add(bulk_text.WORDS)
i18n.add(earnings_text.WORDS)
blueprint = page_blueprint("earnings")

EARNINGS = f"{COOKIE_PATH}/earnings"
# What the REST API gives as GET /api/v1/earnings.csv, with the page's sign-in (its
# cookies never reach /api/v1), as /review/inventory does for the ledger.
EARNINGS_CSV = f"{EARNINGS}/earnings.csv"
LATEST_ENTRIES = 20


@blueprint.get(EARNINGS)
def earnings_page():
    store, lang = hirfa().store(), g.lang
    found = coordinator_and_cooperative(
        EARNINGS, lambda coops: earnings.busiest(store.db, [c["id"] for c in coops])
    )
    if isinstance(found, Response):
        return found
    user, coops, coop = found
    rows = earnings.balances(store.db, user, coop["id"])
    for row in rows:  # below zero: paid ahead of what she earned, said in words
        owed = row["balance_centimes"]
        advance = Markup(i18n.text(lang, "bo_advance")).format(amount=money(-owed))
        row["advance"] = advance if owed < 0 else None
    name = user_names(store.db)
    entries = []
    for entry in earnings.latest(store, coop["id"], LATEST_ENTRIES):
        text = Markup(i18n.text(lang, f"en_{entry['kind']}")).format(
            name=Markup("<bdi>{}</bdi>").format(name(entry["artisan"])),
            amount=money(entry["amount_centimes"]),
            n=Markup('<bdi dir="ltr">{}</bdi>').format(entry.get("pieces", "")),
        )
        method = _method_text(entry.get("method"), lang)
        details = [i18n.date(entry["at"], lang), method, entry.get("reference") or ""]
        entries.append({"id": entry["id"], "kind": entry["kind"], "text": text,
                        "details": " · ".join(d for d in details if d),
                        "note": entry.get("note") or ""})  # fmt: skip
    return render(
        "review_bulk_earnings.html",
        user=user,
        coops=[(c["id"], cooperative_name(c, lang)) for c in coops],
        coop=coop,
        coop_name=cooperative_name(coop, lang),
        rows=rows,
        money=money,
        entries=entries,
        methods=[(m, words.PAYMENT_METHODS[m][lang]) for m in PAYMENT_METHODS],
        csv_url=f"{EARNINGS_CSV}?{urlencode({'cooperative': coop['id']})}",
        flash=session.pop("flash") if "flash" in session else None,
        csrf=csrf_token(),
    )


@blueprint.get(EARNINGS_CSV)
def earnings_csv():
    """The same CSV as GET /api/v1/earnings.csv, in the page's language, for a browser
    signed in on the page (its cookies never reach /api/v1)."""
    user, refused = coordinator_or_answer(EARNINGS)
    if user is None:
        return refused
    coop = request.args.get("cooperative", "")
    if user.role != "admin" and coop not in user.cooperative_ids:
        return error_page(403, "not_your_cooperative", back=EARNINGS)
    if not any(c["id"] == coop for c in accounts.list_cooperatives(hirfa().db())):
        return error_page(404, "bo_err_not_found", back=EARNINGS)
    name = export.filename(coop, datetime.now(UTC).strftime("%Y%m%d"))
    return Response(
        export.streamed(hirfa().pool, coop, g.lang),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _method_text(method: str | None, lang: str) -> str:
    return words.PAYMENT_METHODS[method][lang] if method in words.PAYMENT_METHODS else ""


@blueprint.post(f"{EARNINGS}/pay")
def pay():
    coop = request.form.get("cooperative", "")
    back = f"{EARNINGS}?{urlencode({'cooperative': coop})}" if coop else EARNINGS
    user, refused = coordinator_or_answer(back)
    if user is None:
        return refused
    form = request.form
    try:
        amount = centimes(form.get("amount", ""))
        if not amount:
            raise Refused("bo_bad_amount")
        if not form.get("artisan"):
            raise Refused("bo_pick_artisan")
        method = form.get("method", "")
        if method not in PAYMENT_METHODS:
            raise Refused("bo_pick_method")
        reference = form.get("reference", "").strip()[:100]
        if method != "cash" and not reference:
            raise Refused("bo_need_reference")
        data = {"artisan": form["artisan"], "amount_centimes": amount, "method": method,
                "reference": reference, "note": form.get("note", "").strip()[:300]}  # fmt: skip
        earnings.pay(hirfa().store(), user, data)
        flash("ok", "bo_ok_paid")
    except Refused as bad:
        flash("error", bad.key, **bad.values)
    except AppError as error:
        say_refusal(error)
    return redirect(back, 303)
