"""The buyer's sign-in on the web: signing in, registering, signing out.

A cookie session scoped to /buy (api/web/web_sessions.py), like the coordinator's to
/review. What a signed-in buyer does is in api/web/buyer_orders.py (orders) and
api/web/booking_pages.py (workshop bookings). Plain HTML, no script.
"""

from __future__ import annotations

from typing import Any

from flask import g, redirect, request, session
from marshmallow import ValidationError

from schemas.accounts import RegisterBuyerSchema
from schemas.taxonomy import LOCALES

from ..errors import Conflict, ValidationFailed
from ..services import accounts, tokens
from ..services.accounts import User
from ..state import hirfa
from . import buyer_text, i18n
from .rendering import error_page, page_blueprint, render
from .web_sessions import CookieSession, csrf_ok, csrf_token

i18n.add(buyer_text.TEXT)
blueprint = page_blueprint("buy")

PATH = "/buy"
ORDERS = f"{PATH}/orders"
MAX_QUANTITY = 100  # schemas/orders.py's bound
ID = r"[A-Za-z0-9:_.-]{1,120}"
WEB = CookieSession(
    PATH,
    ("buyer",),
    {PATH: "my_orders", ORDERS: "my_orders", f"{PATH}/bookings": "my_bookings"},
    refused="not_buyer",
    patterns=(
        (rf"{PATH}/p/{ID}", "buy"),
        (rf"{ORDERS}/{ID}", "order"),
        (rf"{PATH}/book/{ID}/{ID}", "book_title"),  # api/web/booking_pages.py
    ),
    register=f"{PATH}/register",
)
token_cookies = WEB.token_cookies
# Order history shown on /buy/orders: a buyer's whole list, newest first, up to this.
LIST_LIMIT = 200


def flash() -> dict | None:
    # Popped only when there: any pop would rewrite the session cookie on every view.
    return session.pop("flash") if "flash" in session else None


def _back_arg() -> str:
    return WEB.safe_back(request.args.get("back") or request.form.get("back"))


# --- signing in, registering, signing out -------------------------------------------


@blueprint.get(PATH)
def home():
    return redirect(ORDERS, 303)


@blueprint.get(f"{PATH}/sign-in")
def sign_in_page():
    if WEB.signed_in() is not None and WEB.signed_in().role == "buyer":
        return redirect(_back_arg(), 303)
    return WEB.sign_in_form(back=_back_arg())


@blueprint.post(f"{PATH}/sign-in")
def sign_in():
    return WEB.sign_in()


def _register_form(status: int = 200, errors: dict | None = None, values: dict | None = None):
    values = values or {}
    return render(
        "buy_register.html",
        status=status,
        errors=errors or {},
        v=values,
        locales=LOCALES,
        back=_back_arg(),
        home=PATH,
        csrf=csrf_token(),
    )


@blueprint.get(f"{PATH}/register")
def register_page():
    return _register_form(values={"locale": g.lang})


@blueprint.post(f"{PATH}/register")
def register():
    sent = {
        "phone": request.form.get("phone", "").strip()[:40],
        "display_name": request.form.get("display_name", "").strip()[:200],
        "locale": request.form["locale"] if request.form.get("locale") in LOCALES else g.lang,
    }
    if not csrf_ok():
        return _register_form(400, {"_form": "form_expired"}, sent)
    password = request.form.get("password", "")
    errors: dict[str, str] = {}
    try:  # the rules of POST /api/v1/buyers, from its own schema
        data = RegisterBuyerSchema().load({**sent, "password": password})
    except ValidationError as exc:
        for name in exc.messages:
            if name == "phone":
                errors["phone"] = "err_phone" if sent["phone"] else "err_required"
            elif name == "password":
                errors["password"] = "err_password" if password else "err_required"
            elif name == "display_name":
                errors["display_name"] = "err_too_long" if sent["display_name"] else "err_required"
            else:
                errors["_form"] = "bad_request"
        return _register_form(400, errors, sent)
    app = hirfa()
    try:
        user = accounts.register_buyer(app.db(), app.hasher, data)
    except Conflict:
        return _register_form(409, {"phone": "err_phone_taken"}, sent)
    except ValidationFailed:  # the service's own secret rule
        return _register_form(400, {"password": "err_password"}, sent)
    WEB.start(tokens.issue_pair(app.db(), app.settings, user))
    if user.locale in i18n.LANGS:  # the pages from now on in the language she chose
        g.lang, g.remember_lang = user.locale, True
    return redirect(_back_arg(), 303)


@blueprint.post(f"{PATH}/sign-out")
def sign_out():
    if not csrf_ok():
        return error_page(400, "form_expired", back=ORDERS)
    WEB.sign_out()
    return redirect("/catalog", 303)


def signed_in_buyer() -> tuple[User | None, Any]:
    """(the signed-in buyer, None), or (None, the answer to give instead)."""
    user = WEB.signed_in()
    if user is None:
        return None, WEB.sign_in_form(back=request.path)
    if user.role != "buyer":
        return None, WEB.sign_in_form(403, "not_buyer", back=request.path)
    return user, None
