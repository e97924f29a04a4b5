"""The coordinator's review page: sign in, the queue, decide; made for a phone browser.

The Hirfa access and refresh tokens live in HttpOnly, SameSite=Lax cookies scoped to
/review, so the page needs no script and a stolen XSS could not read them. The access
token is short-lived: when it has expired the server refreshes it with the refresh
cookie (the same rotation as ``POST /api/v1/auth/refresh``) and sets new cookies.
Every POST carries a CSRF token kept in the signed Flask session (the synchronizer
token pattern, OWASP CSRF cheat sheet); SameSite=Lax alone leaves older browsers open.
A browser that has signed in keeps a device cookie (OWASP's device cookies, see
api/services/throttle.py), so wrong passwords from elsewhere never lock it out.
"""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlencode

from flask import Response, g, redirect, request, session

from schemas.phones import InvalidPhone, normalise_phone

from ..errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    SignInLocked,
    TooManyRequests,
)
from ..services import accounts, known_devices, photo_docs, reviews, sessions, tokens
from ..services.accounts import User
from ..state import hirfa
from . import i18n
from .rendering import error_page, page_blueprint, render

blueprint = page_blueprint("review")

ACCESS, REFRESH = "hirfa_access", "hirfa_refresh"
DEVICE = "hirfa_device"  # this browser's device credentials (api/services/known_devices.py)
COOKIE_PATH = "/review"
REVIEWERS = ("coordinator", "admin")
# The pages behind this sign-in (under COOKIE_PATH, where the cookies go) and their
# titles: the form returns to one of these only, never to an address a link chose.
SIGNED_IN_PAGES = {
    COOKIE_PATH: "review",
    f"{COOKIE_PATH}/inventory": "inventory",
    f"{COOKIE_PATH}/training": "training",
}
# Ten per page keeps the page under 50 KB with every item's form open-able in place.
QUEUE_LIMIT = 10


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok() -> bool:
    sent, kept = request.form.get("csrf", ""), session.get("csrf", "")
    return bool(kept) and hmac.compare_digest(sent.encode(), kept.encode())


def _user_from_access(token: str) -> User | None:
    """Like api.security.authenticate, for a cookie instead of a bearer header."""
    app = hirfa()
    claims = tokens.decode_access_token(app.settings, token)
    user = accounts.get_user(app.db(), claims["sub"])
    if user is None or user.disabled or claims.get("sv") != user.session_version:
        return None
    return user


def signed_in() -> User | None:
    """The reviewer behind the cookies, refreshing an expired access token on the way."""
    if "web_user" in g:
        return g.web_user
    user = None
    access, refresh = request.cookies.get(ACCESS), request.cookies.get(REFRESH)
    if access:
        try:
            user = _user_from_access(access)
        except AppError:  # expired or not ours: the refresh token decides
            user = None
    if user is None and refresh:
        app = hirfa()
        try:
            user, pair = sessions.refresh(app.db(), app.settings, refresh)
            g.web_tokens = pair
        except AppError:
            g.web_sign_out = True
    g.web_user = user
    return user


def token_cookies(response: Response) -> Response:
    if not request.path.startswith(COOKIE_PATH):
        return response
    response.headers["Cache-Control"] = "no-store"  # personal, and changes with every decision
    secure = request.is_secure
    pair = g.get("web_tokens")
    if pair is not None:
        days = hirfa().settings.refresh_token_days * 86400
        for name, value in ((ACCESS, pair.access_token), (REFRESH, pair.refresh_token)):
            response.set_cookie(
                name, value, max_age=days, path=COOKIE_PATH, secure=secure,
                httponly=True, samesite="Lax",
            )  # fmt: skip
    elif g.get("web_sign_out"):
        for name in (ACCESS, REFRESH):
            response.delete_cookie(name, path=COOKIE_PATH, secure=secure, samesite="Lax")
    return response


def sign_in_form(
    status: int = 200, error: str | None = None, phone: str = "", back: str | None = None
) -> Response:
    """The sign-in form; ``back`` (else the form's own) is the page to return to after."""
    back = back or request.form.get("back")
    back = back if back in SIGNED_IN_PAGES else COOKIE_PATH
    return render(
        "sign_in.html",
        status=status,
        title_key=SIGNED_IN_PAGES[back],
        error=error,
        phone=phone,
        back=back,
        csrf=csrf_token(),
    )


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
    if not csrf_ok():  # e.g. a form kept open across a restart: offer a fresh one
        return sign_in_form(400, "form_expired")
    app = hirfa()
    phone = request.form.get("phone", "").strip()[:40]
    kept = request.cookies.get(DEVICE)
    try:
        signed = sessions.sign_in(
            app.db(),
            app.settings,
            app.hasher,
            normalise_phone(phone),
            request.form.get("password", ""),
            request.remote_addr or "unknown",
            device_credentials=known_devices.cookie_credentials(kept),
            now=app.clock(),
        )
    except InvalidPhone:
        return sign_in_form(401, "wrong_credentials", phone)
    except TooManyRequests as exc:
        locked = isinstance(exc, SignInLocked)
        refused = sign_in_form(429, "locked_ask" if locked else "locked_out", phone)
        refused.headers.update(exc.headers)  # Retry-After
        return refused
    except AppError:  # wrong secret, disabled account: the same answer, nothing revealed
        return sign_in_form(401, "wrong_credentials", phone)
    user, pair = signed.user, signed.pair
    if user.role not in REVIEWERS:
        # The tokens were issued before the role could be known: end that session now.
        tokens.logout(app.db(), app.settings, user, pair.refresh_token)
        return sign_in_form(403, "not_coordinator", phone)
    session["csrf"] = secrets.token_urlsafe(32)  # a new token for the new session
    g.web_tokens = pair
    back = request.form.get("back")
    response = redirect(back if back in SIGNED_IN_PAGES else COOKIE_PATH, 303)
    # The device cookie outlives the session (signing out keeps it): it is what lets this
    # browser in when wrong passwords from elsewhere have locked new devices out. Always
    # Secure: over plain HTTP a browser drops it, and is then merely an unknown device.
    response.set_cookie(
        DEVICE, known_devices.cookie_value(signed.device_credential, kept),
        max_age=app.settings.device_credential_days * 86400, path=COOKIE_PATH,
        secure=True, httponly=True, samesite="Lax",
    )  # fmt: skip
    return response


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
    user, refresh = signed_in(), request.cookies.get(REFRESH)
    if user is not None and refresh:
        app = hirfa()
        # signed_in() may just have rotated the refresh token: end the session by the newest.
        current = g.web_tokens.refresh_token if g.get("web_tokens") else refresh
        try:
            tokens.logout(app.db(), app.settings, user, current)
        except AppError:
            pass  # already ended elsewhere: signing out still clears the cookies
    g.pop("web_tokens", None)
    g.web_sign_out = True
    session.clear()
    return redirect(COOKIE_PATH, 303)
