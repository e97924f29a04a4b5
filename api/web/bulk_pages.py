"""The coordinator's bulk-order pages: her cooperatives' bulk orders, those needing action
first; one order to answer, share out among her artisans, check, ship and follow; and
what the cooperative owes each artisan, with a form to record a payment
(docs/bulk-orders.md).

Under /review, behind the review page's sign-in (its cookies are scoped there). Every
form is a POST answered by a redirect with a message (no script); whatever a service
refuses is said on the page in the coordinator's language, and nothing is written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import sqlite_utils
from flask import Response, g, redirect, request, session
from markupsafe import Markup

from schemas.bulk_orders import BULK_PREFIX, PAYMENT_METHODS, REFUSAL_REASONS

from ..errors import AppError, PreconditionFailed
from ..services import accounts, orders
from ..services.accounts import User
from ..services.bulk import earnings, export, parts, quality, requests, shipments, words
from ..state import hirfa
from . import bulk_text, i18n
from .rendering import error_page, page_blueprint, render
from .review_pages import COOKIE_PATH, REVIEWERS, csrf_ok, csrf_token, sign_in_form, signed_in

i18n.add(bulk_text.WORDS)
blueprint = page_blueprint("bulk")

PATH = f"{COOKIE_PATH}/bulk"
EARNINGS = f"{COOKIE_PATH}/earnings"
# What the REST API gives as GET /api/v1/earnings.csv, with the page's sign-in (its
# cookies never reach /api/v1), as /review/inventory does for the ledger.
EARNINGS_CSV = f"{EARNINGS}/earnings.csv"
# Bulk orders are requested over REST only, under a server-made id (requests.create).
TOKEN = r"[0-9a-f]{16}"
# Enough for a cooperative's bulk orders; each is a few hundred bytes on the page.
MAX_ORDERS = 200
LATEST_ENTRIES = 20
_DIRHAMS = re.compile(r"([0-9]{1,7})(?:[.,]([0-9]{1,2}))?")
_COUNT = re.compile(r"[0-9]{1,6}")
_ENDED = ("delivered", "declined", "cancelled")


class _Refused(Exception):
    """A form's input the page refuses before any service sees it."""

    def __init__(self, key: str, **values: Any):
        super().__init__(key)
        self.key, self.values = key, values


def _flash(kind: str, key: str, **values: Any) -> None:
    session["flash"] = {"kind": kind, "key": key, "values": values}


def _said(error: AppError) -> None:
    """A service's refusal as a message she can act on."""
    details, code = error.details or {}, error.code
    if isinstance(error, PreconditionFailed):
        _flash("error", "bo_err_changed")
    elif code == "beyond_bulk_order":
        _flash("error", "bo_err_beyond_bulk_order", n=details.get("to_assign", 0))
    elif code == "more_than_part":
        _flash("error", "bo_err_more_than_part", n=details.get("unchecked", 0))
    elif f"bo_err_{code}" in i18n.STRINGS["en"]:
        _flash("error", f"bo_err_{code}")
    else:
        _flash("error", "bo_err_other", message=error.message)


def _count(name: str, *, zero: bool = False) -> int:
    value = request.form.get(name, "").strip()
    if not _COUNT.fullmatch(value) or (int(value) == 0 and not zero):
        raise _Refused("bo_bad_count")
    return int(value)


def centimes(text: str) -> int | None:
    """Dirhams as a person writes them ("120", "120.5", "120,50") in integer centimes,
    exactly; None for anything else ("12.345", "abc", "-3")."""
    found = _DIRHAMS.fullmatch(text.strip())
    if found is None:
        return None
    return int(found[1]) * 100 + int((found[2] or "0").ljust(2, "0"))


def _guard(back: str) -> tuple[User | None, Any]:
    """(the coordinator, None), or (None, the answer to give instead)."""
    if request.method == "POST" and not csrf_ok():
        return None, error_page(400, "form_expired", back=back)
    user = signed_in()
    if user is None:
        return None, redirect(back, 303) if request.method == "POST" else sign_in_form(back=back)
    if user.role not in REVIEWERS:
        return None, error_page(403, "not_coordinator")
    return user, None


def _names(db: sqlite_utils.Database) -> Any:
    found: dict[str, str] = {}

    def name(user_id: str) -> str:
        if user_id not in found:
            user = accounts.get_user(db, user_id)
            found[user_id] = user.display_name if user else user_id
        return found[user_id]

    return name


def _money(centimes_: int) -> Markup:
    return Markup('<bdi dir="ltr">{}</bdi>').format(words.money(centimes_, g.lang))


def _bar(totals: dict[str, int]) -> dict[str, Any]:
    """The pieces' states as segments of one bar, widths in % of what is ordered (or
    assigned, when more is)."""
    whole = max(totals["quantity"], totals["assigned"], 1)
    states = [(s, totals[s]) for s in (*bulk_text.STATES, "to_assign") if totals[s]]
    return {
        "segments": [(s, n, round(100 * n / whole, 2)) for s, n in states],
        "refused": totals["refused"],
        "excess": totals["excess"],
    }


def _needs_action(order: dict[str, Any]) -> bool:
    figures = order["totals"]
    return (
        order["status"] == "requested"
        or bool(order["problems"])
        or (order["status"] == "accepted" and (figures["to_assign"] or figures["checked"]))
    )


@blueprint.get(PATH)
def bulk_list():
    user, refused = _guard(PATH)
    if user is None:
        return refused
    store, lang = hirfa().store(), g.lang
    found, since = [], 0
    while len(found) < MAX_ORDERS:
        page = requests.list_bulk_orders(store, user, since, 100, None)
        found += page["items"]
        if not page["more"]:
            break
        since = int(page["next"])
    coops = {c["id"]: c for c in accounts.list_cooperatives(store.db)}
    several = len({o["cooperative"] for o in found}) > 1
    items = []
    for order in found:
        items.append(
            {
                "token": order["id"].removeprefix(BULK_PREFIX),
                "title": i18n.pick(order.get("title"), lang),
                "stage": order["stage"],
                "stage_text": words.STAGES[order["stage"]][lang],
                "quantity": order["quantity"],
                "due": i18n.date(order["due"], lang),
                "coop": _coop_name(coops.get(order["cooperative"]), lang) if several else None,
                "bar": _bar(order["totals"]),
                "excess": order["totals"]["excess"],
                "problems": len(order["problems"]),
                "action": _needs_action(order),
                "ended": order["stage"] in _ENDED,
                "sort": order["due"],
            }
        )
    items.sort(key=lambda o: (not o["action"], o["ended"], o["sort"]))
    return render(
        "review_bulk.html",
        user=user,
        urgent=[o for o in items if o["action"]],
        others=[o for o in items if not o["action"]],
        flash=session.pop("flash") if "flash" in session else None,
        csrf=csrf_token(),
    )


def _coop_name(coop: dict[str, Any] | None, lang: str) -> str:
    if coop is None:
        return ""
    return i18n.pick({"ar": coop.get("name_ar"), "fr": coop.get("name_fr")}, lang)[0]


@blueprint.get(f"{PATH}/<token>")
def bulk_page(token: str):
    here = f"{PATH}/{token}"
    user, refused = _guard(here if re.fullmatch(TOKEN, token) else PATH)
    if user is None:
        return refused
    store, lang = hirfa().store(), g.lang
    try:
        order = requests.get(store, user, f"{BULK_PREFIX}{token}")
    except AppError:
        return error_page(404, "bo_err_not_found", back=PATH)
    name = _names(store.db)
    artisans = _artisans(store.db, user, order["cooperative"])
    names = dict(artisans)
    problems = []
    part_of = {p["id"]: p for p in order.get("parts", [])}
    for problem in order["problems"]:
        who = part_of.get(problem.get("part") or "", {}).get("artisan")
        values = {"n": problem.get("pieces", 0), "name": name(who) if who else ""}
        problems.append(i18n.text(lang, f"pb_{problem['code']}", **values))
    part_rows = []
    for part in order.get("parts", []):
        pieces = part["pieces"]
        unchecked = sum(pieces.get(s, 0) for s in ("awaiting_answer", "in_production", "ready"))
        part_rows.append(
            {
                **part,
                "name": names.get(part["artisan"]) or name(part["artisan"]),
                "states": [(s, pieces[s]) for s in bulk_text.STATES if pieces.get(s)],
                "refused": pieces.get("refused", 0),
                "cancellable": part["status"] == "placed",
                "checkable": part["status"] in quality.CHECKABLE and unchecked > 0,
                "unchecked": unchecked,
            }
        )
    checks = [
        {
            **c,
            "name": name(c["artisan"]),
            "reason_text": words.REFUSAL_REASONS[c["reason"]][lang] if c.get("reason") else "",
        }
        for c in order.get("checks", [])
    ]
    parcels = [
        {
            **s,
            "count": sum(line["count"] for line in s["pieces"]),
            "shipped": i18n.date(s["shipped_at"], lang),
            "delivered": i18n.date(s["delivered_at"], lang) if s.get("delivered_at") else None,
        }
        for s in order.get("shipments", [])
    ]
    return render(
        "review_bulk_order.html",
        user=user,
        order=order,
        here=here,
        title=i18n.pick(order.get("title"), lang),
        stage_text=words.STAGES[order["stage"]][lang],
        buyer=name(order["buyer"]),
        due=i18n.date(order["due"], lang),
        money=_money,
        bar=_bar(order["totals"]),
        problems=problems,
        parts=part_rows,
        checks=checks,
        shipments=parcels,
        artisans=artisans,
        reasons=[(code, words.REFUSAL_REASONS[code][lang]) for code in REFUSAL_REASONS],
        flash=session.pop("flash") if "flash" in session else None,
        csrf=csrf_token(),
    )


def _artisans(db: sqlite_utils.Database, user: User, coop: str) -> list[tuple[str, str]]:
    try:
        return [(r["artisan"], r["display_name"]) for r in earnings.balances(db, user, coop)]
    except AppError:
        return []


@blueprint.post(f"{PATH}/<token>/<action>")
def bulk_form(token: str, action: str):
    here = f"{PATH}/{token}" if re.fullmatch(TOKEN, token) else PATH
    user, refused = _guard(here)
    if user is None:
        return refused
    store, form, bulk_id = hirfa().store(), request.form, f"{BULK_PREFIX}{token}"
    try:
        if action == "answer":
            _answer(store, user, bulk_id)
        elif action == "assign":
            artisan, count = form.get("artisan", ""), _count("count")
            if not artisan:
                raise _Refused("bo_pick_artisan")
            parts.assign(store, user, bulk_id, artisan, count)
            name = accounts.get_user(store.db, artisan)
            _flash("ok", "bo_ok_assigned", n=count, name=name.display_name if name else "")
        elif action == "cancel-part":
            part = form.get("part", "")
            if (
                store.winner_body(part) is None
                or store.winner_body(part).get("bulk_order") != bulk_id
            ):
                raise _Refused("bo_err_not_found")
            orders.move(store, user, part, "cancelled", form.get("rev") or None)
            _flash("ok", "bo_ok_part_cancelled")
        elif action == "check":
            passed, refused_n = _count("passed", zero=True), _count("refused", zero=True)
            if passed + refused_n < 1:
                raise _Refused("bo_bad_counts")
            reason = form.get("reason") or None
            if refused_n and reason not in REFUSAL_REASONS:
                raise _Refused("bo_need_reason")
            data = {"part": form.get("part", ""), "passed": passed, "refused": refused_n,
                    "reason": reason if refused_n else None,
                    "note": form.get("note", "").strip()[:300]}  # fmt: skip
            quality.record(store, user, bulk_id, data)
            _flash("ok", "bo_ok_checked")
        elif action == "ship":
            shipments.ship(store, user, bulk_id, {"tracking": form.get("tracking", "")[:200]})
            _flash("ok", "bo_ok_shipped")
        elif action == "deliver":
            shipments.deliver(
                store, user, bulk_id, form.get("shipment", ""), form.get("rev") or None
            )
            _flash("ok", "bo_ok_delivered")
        else:
            return error_page(404, "bo_err_not_found", back=here)
    except _Refused as bad:
        _flash("error", bad.key, **bad.values)
    except AppError as error:
        _said(error)
    return redirect(here, 303)


def _answer(store, user: User, bulk_id: str) -> None:
    to, form = request.form.get("to", ""), request.form
    share = margin = None
    if to == "accepted":
        share_text, margin_text = form.get("share", "").strip(), form.get("margin", "").strip()
        if bool(share_text) == bool(margin_text):
            raise _Refused("bo_need_share")
        if share_text:
            share = centimes(share_text)
            if share is None:
                raise _Refused("bo_bad_amount")
        elif not _COUNT.fullmatch(margin_text) or int(margin_text) > 100:
            raise _Refused("bo_bad_margin")
        else:
            margin = int(margin_text)
    requests.move(store, user, bulk_id, to, form.get("rev") or None, share, margin)
    _flash("ok", f"bo_ok_{to}")


@blueprint.get(EARNINGS)
def earnings_page():
    user, refused = _guard(EARNINGS)
    if user is None:
        return refused
    store, lang = hirfa().store(), g.lang
    everyone = accounts.list_cooperatives(store.db)
    coops = [c for c in everyone if user.role == "admin" or c["id"] in user.cooperative_ids]
    if not coops:
        return error_page(403, "not_your_cooperative", back=COOKIE_PATH)
    asked = request.args.get("cooperative") or _busiest(store.db, coops)
    coop = next((c for c in coops if c["id"] == asked), None)
    if coop is None:
        return error_page(403, "not_your_cooperative", back=EARNINGS)
    rows = earnings.balances(store.db, user, coop["id"])
    for row in rows:  # below zero: paid ahead of what she earned, said in words
        owed = row["balance_centimes"]
        advance = Markup(i18n.text(lang, "bo_advance")).format(amount=_money(-owed))
        row["advance"] = advance if owed < 0 else None
    name = _names(store.db)
    latest = store.db.execute(
        "SELECT id FROM earning_entries WHERE cooperative = ? ORDER BY seq DESC LIMIT ?",
        [coop["id"], LATEST_ENTRIES],
    ).fetchall()
    entries = []
    for (entry_id,) in latest:
        entry = earnings.render({**store.winner_body(entry_id), "_id": entry_id})
        text = Markup(i18n.text(lang, f"en_{entry['kind']}")).format(
            name=Markup("<bdi>{}</bdi>").format(name(entry["artisan"])),
            amount=_money(entry["amount_centimes"]),
            n=Markup('<bdi dir="ltr">{}</bdi>').format(entry.get("pieces", "")),
        )
        method = _method_text(entry.get("method"), lang)
        details = [i18n.date(entry["at"], lang), method, entry.get("reference") or ""]
        entries.append({"id": entry_id, "kind": entry["kind"], "text": text,
                        "details": " · ".join(d for d in details if d),
                        "note": entry.get("note") or ""})  # fmt: skip
    return render(
        "review_bulk_earnings.html",
        user=user,
        coops=[(c["id"], _coop_name(c, lang)) for c in coops],
        coop=coop,
        coop_name=_coop_name(coop, lang),
        rows=rows,
        money=_money,
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
    user, refused = _guard(EARNINGS)
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


def _busiest(db: sqlite_utils.Database, coops: list[dict[str, Any]]) -> str:
    """Of her cooperatives, the one with the latest entry (else the first)."""
    ids = [c["id"] for c in coops]
    row = db.execute(
        f"SELECT cooperative FROM earning_entries WHERE cooperative IN "
        f"({','.join('?' * len(ids))}) ORDER BY seq DESC LIMIT 1",
        ids,
    ).fetchone()
    return row[0] if row else ids[0]


def _method_text(method: str | None, lang: str) -> str:
    return words.PAYMENT_METHODS[method][lang] if method in words.PAYMENT_METHODS else ""


@blueprint.post(f"{EARNINGS}/pay")
def pay():
    coop = request.form.get("cooperative", "")
    back = f"{EARNINGS}?{urlencode({'cooperative': coop})}" if coop else EARNINGS
    user, refused = _guard(back)
    if user is None:
        return refused
    form = request.form
    try:
        amount = centimes(form.get("amount", ""))
        if not amount:
            raise _Refused("bo_bad_amount")
        if not form.get("artisan"):
            raise _Refused("bo_pick_artisan")
        method = form.get("method", "")
        if method not in PAYMENT_METHODS:
            raise _Refused("bo_pick_method")
        reference = form.get("reference", "").strip()[:100]
        if method != "cash" and not reference:
            raise _Refused("bo_need_reference")
        data = {"artisan": form["artisan"], "amount_centimes": amount, "method": method,
                "reference": reference, "note": form.get("note", "").strip()[:300]}  # fmt: skip
        earnings.pay(hirfa().store(), user, data)
        _flash("ok", "bo_ok_paid")
    except _Refused as bad:
        _flash("error", bad.key, **bad.values)
    except AppError as error:
        _said(error)
    return redirect(back, 303)
