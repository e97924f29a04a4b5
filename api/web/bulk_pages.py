"""The coordinator's bulk-order pages: her cooperatives' bulk orders, those needing action
first; one order to answer, share out among her artisans, check, ship and follow
(docs/bulk-orders.md). What the cooperative owes each artisan is api/web/earnings_pages.py.

Under /review, behind the review page's sign-in (its cookies are scoped there). Every
form is a POST answered by a redirect with a message (no script); whatever a service
refuses is said on the page in the coordinator's language, and nothing is written
(api/web/bulk_messages.py).
"""

from __future__ import annotations

import re
from typing import Any

import sqlite_utils
from flask import g, redirect, request, session

from schemas.bulk_orders import BULK_PREFIX, REFUSAL_REASONS

from ..errors import AppError
from ..services import accounts, orders
from ..services.accounts import User
from ..services.bulk import earnings, parts, quality, requests, shipments, words
from ..state import hirfa
from . import bulk_text, i18n
from .bulk_messages import Refused, flash, say_refusal
from .coordinator_guard import coordinator_or_answer
from .dirhams import centimes, money
from .display_names import cooperative_name, user_names
from .rendering import error_page, page_blueprint, render
from .review_pages import COOKIE_PATH, csrf_token

i18n.add(bulk_text.WORDS)
blueprint = page_blueprint("bulk")

PATH = f"{COOKIE_PATH}/bulk"
# Bulk orders are requested over REST only, under a server-made id (requests.create).
TOKEN = r"[0-9a-f]{16}"
# Enough for a cooperative's bulk orders; each is a few hundred bytes on the page.
MAX_ORDERS = 200
_COUNT = re.compile(r"[0-9]{1,6}")
_ENDED = ("delivered", "declined", "cancelled")


def _count(name: str, *, zero: bool = False) -> int:
    value = request.form.get(name, "").strip()
    if not _COUNT.fullmatch(value) or (int(value) == 0 and not zero):
        raise Refused("bo_bad_count")
    return int(value)


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
    user, refused = coordinator_or_answer(PATH)
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
                "coop": cooperative_name(coops.get(order["cooperative"]), lang)
                if several
                else None,
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


@blueprint.get(f"{PATH}/<token>")
def bulk_page(token: str):
    here = f"{PATH}/{token}"
    user, refused = coordinator_or_answer(here if re.fullmatch(TOKEN, token) else PATH)
    if user is None:
        return refused
    store, lang = hirfa().store(), g.lang
    try:
        order = requests.get(store, user, f"{BULK_PREFIX}{token}")
    except AppError:
        return error_page(404, "bo_err_not_found", back=PATH)
    name = user_names(store.db)
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
        money=money,
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
    user, refused = coordinator_or_answer(here)
    if user is None:
        return refused
    store, form, bulk_id = hirfa().store(), request.form, f"{BULK_PREFIX}{token}"
    try:
        if action == "answer":
            _answer(store, user, bulk_id)
        elif action == "assign":
            artisan, count = form.get("artisan", ""), _count("count")
            if not artisan:
                raise Refused("bo_pick_artisan")
            parts.assign(store, user, bulk_id, artisan, count)
            name = accounts.get_user(store.db, artisan)
            flash("ok", "bo_ok_assigned", n=count, name=name.display_name if name else "")
        elif action == "cancel-part":
            part = form.get("part", "")
            if (
                store.winner_body(part) is None
                or store.winner_body(part).get("bulk_order") != bulk_id
            ):
                raise Refused("bo_err_not_found")
            orders.move(store, user, part, "cancelled", form.get("rev") or None)
            flash("ok", "bo_ok_part_cancelled")
        elif action == "check":
            passed, refused_n = _count("passed", zero=True), _count("refused", zero=True)
            if passed + refused_n < 1:
                raise Refused("bo_bad_counts")
            reason = form.get("reason") or None
            if refused_n and reason not in REFUSAL_REASONS:
                raise Refused("bo_need_reason")
            data = {"part": form.get("part", ""), "passed": passed, "refused": refused_n,
                    "reason": reason if refused_n else None,
                    "note": form.get("note", "").strip()[:300]}  # fmt: skip
            quality.record(store, user, bulk_id, data)
            flash("ok", "bo_ok_checked")
        elif action == "ship":
            shipments.ship(store, user, bulk_id, {"tracking": form.get("tracking", "")[:200]})
            flash("ok", "bo_ok_shipped")
        elif action == "deliver":
            shipments.deliver(
                store, user, bulk_id, form.get("shipment", ""), form.get("rev") or None
            )
            flash("ok", "bo_ok_delivered")
        else:
            return error_page(404, "bo_err_not_found", back=here)
    except Refused as bad:
        flash("error", bad.key, **bad.values)
    except AppError as error:
        say_refusal(error)
    return redirect(here, 303)


def _answer(store, user: User, bulk_id: str) -> None:
    to, form = request.form.get("to", ""), request.form
    share = margin = None
    if to == "accepted":
        share_text, margin_text = form.get("share", "").strip(), form.get("margin", "").strip()
        if bool(share_text) == bool(margin_text):
            raise Refused("bo_need_share")
        if share_text:
            share = centimes(share_text)
            if share is None:
                raise Refused("bo_bad_amount")
        elif not _COUNT.fullmatch(margin_text) or int(margin_text) > 100:
            raise Refused("bo_bad_margin")
        else:
            margin = int(margin_text)
    requests.move(store, user, bulk_id, to, form.get("rev") or None, share, margin)
    flash("ok", f"bo_ok_{to}")
