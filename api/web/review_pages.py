"""The coordinator's review page: sign in, the queue, decide; made for a phone browser.

The sign-in is a cookie session scoped to /review (api/web/web_sessions.py): HttpOnly,
SameSite=Lax token cookies refreshed on expiry, a CSRF token on every POST, a device
cookie against lock-outs.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import g, redirect, request, session

from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..services import accounts, photo_docs, reviews
from ..services.accounts import User
from ..state import hirfa
from . import i18n
from .rendering import error_page, page_blueprint, render
from .web_sessions import CookieSession, csrf_ok, csrf_token

blueprint = page_blueprint("review")

COOKIE_PATH = "/review"
REVIEWERS = ("coordinator", "admin")
# The pages behind this sign-in (under COOKIE_PATH, where the cookies go) and their
# titles: the form returns to one of these only, never to an address a link chose.
SIGNED_IN_PAGES = {
    COOKIE_PATH: "review",
    f"{COOKIE_PATH}/inventory": "inventory",
    f"{COOKIE_PATH}/training": "training",
    f"{COOKIE_PATH}/insights": "insights",
    f"{COOKIE_PATH}/bulk": "bulk",
    f"{COOKIE_PATH}/earnings": "earnings",
}
# A bulk order's page, under its server-made id (api/web/bulk_pages.py).
SIGNED_IN_PATTERNS = ((rf"{COOKIE_PATH}/bulk/[0-9a-f]{{16}}", "bulk"),)
# Ten per page keeps the page under 50 KB with every item's form open-able in place.
QUEUE_LIMIT = 10


WEB = CookieSession(
    COOKIE_PATH, REVIEWERS, SIGNED_IN_PAGES, refused="not_coordinator", patterns=SIGNED_IN_PATTERNS
)
# What the other pages behind this sign-in use (inventory_pages.py, training_pages.py).
signed_in, sign_in_form, token_cookies = WEB.signed_in, WEB.sign_in_form, WEB.token_cookies


def _queue_items(store, user: User, category: str | None, offset: int) -> dict:
    filters = {"category": category, "limit": QUEUE_LIMIT + 1, "offset": offset}
    page = reviews.queue(store, user, filters)
    page["more"] = len(page["items"]) > QUEUE_LIMIT
    page["items"] = page["items"][:QUEUE_LIMIT]
    names: dict[str, str] = {}
    for item in page["items"]:
        photos = item.get("photos") or []
        item["thumb_url"] = (
            photo_docs.reference(store, photos[0], item.get("owner"))["thumb_url"]
            if photos
            else None
        )
        owner = item.get("owner")
        if owner not in names:
            artisan = accounts.get_user(store.db, owner) if owner else None
            names[owner] = artisan.display_name if artisan else ""
        item["artisan_name"] = names[owner]
    return page


@blueprint.get("/review")
def review_page():
    user = signed_in()
    if user is None:
        return sign_in_form()
    if user.role not in REVIEWERS:
        return error_page(403, "not_coordinator")
    category = request.args.get("category") or None
    offset = request.args.get("offset", "0")
    # ASCII digits only ("²".isdigit() is true), and a bound SQLite's OFFSET can take.
    offset = int(offset) if re.fullmatch(r"[0-9]{1,6}", offset) else 0
    page = _queue_items(hirfa().store(), user, category, offset)
    more = {"category": category or "", "offset": offset + QUEUE_LIMIT}
    return render(
        "review.html",
        user=user,
        page=page,
        next_url=f"{COOKIE_PATH}?{urlencode(more)}" if page["more"] else None,
        first_url=COOKIE_PATH if offset else None,
        reasons=i18n.reasons(g.lang),
        categories=i18n.categories(g.lang),
        selected=category,
        # Popped only when there: any pop would rewrite the session cookie on every view.
        flash=session.pop("flash") if "flash" in session else None,
        csrf=csrf_token(),
    )


@blueprint.post("/review/sign-in")
def sign_in():
    return WEB.sign_in()


@blueprint.post("/review/decide")
def decide():
    if not csrf_ok():
        return error_page(400, "form_expired", back=COOKIE_PATH)
    user = signed_in()
    if user is None:
        return redirect(COOKIE_PATH, 303)
    if user.role not in REVIEWERS:
        return error_page(403, "not_coordinator")
    decision = request.form.get("decision", "")
    # Reasons only travel with a request for changes: a ticked box on an approval is noise.
    reasons_ = request.form.getlist("reason") if decision == "request_changes" else []
    try:
        reviews.decide(
            hirfa().store(),
            user,
            request.form.get("product_id", ""),
            decision,
            reasons_,
            request.form.get("comment", "").strip()[:2000],
            request.form.get("product_rev") or None,
        )
        session["flash"] = {"kind": "ok", "key": f"done_{decision}"}
    except reviews.ProductChanged:  # edited since the page was shown: look again
        session["flash"] = {"kind": "error", "key": "product_changed"}
    except Conflict:
        session["flash"] = {"kind": "error", "key": "not_submitted"}
    except (Forbidden, NotFound):
        session["flash"] = {"kind": "error", "key": "forbidden"}
    except BadRequest:
        key = "bad_request"
        if decision == "request_changes" and not reasons_:
            key = "need_reason"
        elif "other" in reasons_ and not request.form.get("comment", "").strip():
            key = "need_comment"
        session["flash"] = {"kind": "error", "key": key}
    return redirect(COOKIE_PATH, 303)


@blueprint.post("/review/sign-out")
def sign_out():
    if not csrf_ok():
        return error_page(400, "form_expired", back=COOKIE_PATH)
    WEB.sign_out()
    return redirect(COOKIE_PATH, 303)
