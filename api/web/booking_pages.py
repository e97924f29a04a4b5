"""Booking a workshop on the web: a buyer books places in a session, follows, cancels.

The cooperative's page (/c/{id}) links each session to ``/buy/book/{workshop}/{session}``
on the cooperative's home server. The pages share the buyer's cookie session under /buy
(api/web/buyer_pages.py) and go through the very services of ``POST /api/v1/bookings``
and ``POST /api/v1/bookings/{id}/cancel`` (api/services/visits/bookings.py): places are
taken in one write transaction, only if they are left. Each render of the form carries
its own idempotency token, so a double click or a resent form books once. No script.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

from flask import g, redirect, request, session

from schemas.visits import MAX_PLACES, parse_instant

from ..errors import AppError, NotFound
from ..services import directory_docs
from ..services.accounts import User
from ..services.visits import bookings, docs, workshops
from ..state import hirfa
from . import booking_text, i18n, visits_view
from .buyer_pages import PATH, WEB
from .rendering import page_blueprint, render
from .web_sessions import csrf_ok, csrf_token

i18n.add(booking_text.TEXT)
blueprint = page_blueprint("book")

BOOK = f"{PATH}/book"
BOOKINGS = f"{PATH}/bookings"
FLASH = "booking_flash"  # apart from the orders' own, so each list shows only its news
NAME_MAX = 120  # the booking document's contact_name
NOTE_MAX = 1000
REFUSED = {  # a refusal of bookings.book: its message, and whether the form stays useful
    "session_past": "bk_past",
    "workshop_not_open": "bk_not_open",
}


def _error(status: int, title_key: str, text_key: str | None = None, back: str = BOOKINGS):
    return render(
        "error.html",
        status=status,
        title_key=title_key,
        text_key=text_key,
        back=back,
        back_key="my_bookings" if back == BOOKINGS else "back",
    )


def _buyer() -> tuple[User | None, Any]:
    """(the signed-in buyer, None), or (None, the sign-in form returning here)."""
    user = WEB.signed_in()
    if user is None:
        return None, WEB.sign_in_form(back=request.path)
    if user.role != "buyer":
        return None, WEB.sign_in_form(403, "not_buyer", back=request.path)
    return user, None


def _flash() -> dict | None:
    return session.pop(FLASH) if FLASH in session else None


def _languages(codes: list[str]) -> str:
    names = visits_view.SPOKEN_NAMES[g.lang]
    return ("، " if g.lang == "ar" else ", ").join(names.get(c, c) for c in codes)


def _coop_name(coop: str) -> str:
    names = directory_docs.cooperative_names(hirfa().db(), coop) or {}
    order = ("en", "fr", "ar") if g.lang == "en" else (g.lang, "ar", "fr", "en")
    return next((names[f"name_{c}"] for c in order if names.get(f"name_{c}")), coop)


# --- the booking form ---------------------------------------------------------------


def _session(workshop_id: str, session_id: str) -> tuple[dict | None, str | None]:
    """(the session as the form shows it, why it cannot be booked now or None); (None,
    None) when there is no such published workshop and session."""
    db = hirfa().db()
    workshop = docs.get(db, workshop_id, "workshop")
    if workshop is None or workshop.get("status") == "draft":  # drafts are not shown
        return None, None
    found = next((s for s in workshop.get("sessions") or [] if s.get("id") == session_id), None)
    if found is None:
        return None, None
    coop = workshop["cooperative"]
    capacity = workshops.session_capacity(workshop, found)
    left = max(capacity - workshops.booked_places(db, workshop).get(session_id, 0), 0)
    title, title_lang = i18n.pick(workshop.get("title"), g.lang)
    shown = {
        "workshop_id": workshop_id,
        "session_id": session_id,
        "cooperative": coop,
        "coop_name": _coop_name(coop),
        "title": title,
        "title_lang": title_lang,
        "when": visits_view.when(found["starts_at"], g.lang),
        "duration": visits_view.duration(workshop.get("duration_minutes"), g.lang),
        "price_centimes": workshop.get("price_centimes"),
        "languages": _languages(workshop.get("languages") or []),
        "places_left": left,
        "max_places": min(left, MAX_PLACES),
        "action": bookings.book_path(workshop_id, session_id),
    }
    public_url = hirfa().settings.public_url
    if not bookings.is_home(db, coop, public_url):
        shown["home_url"] = bookings.book_url(db, coop, public_url, workshop_id, session_id)
        return shown, "book_on_home_server"
    starts = parse_instant(found["starts_at"])
    if workshop.get("status") != "published":
        return shown, "workshop_not_open"
    if starts is None or starts <= datetime.now(UTC):
        return shown, "session_past"
    if left == 0:
        return shown, "session_full"
    return shown, None


def _form(s: dict, user: User, status: int = 200, errors=None, values=None, key=None):
    return render(
        "buy_book.html",
        status=status,
        s=s,
        errors=errors or {},
        v=values or {"places": 1, "contact_name": user.display_name[:NAME_MAX]},
        key=key or secrets.token_urlsafe(18),
        csrf=csrf_token(),
        user=user,
        # Past, closed and full sessions keep what was typed, with no button to send it.
        open=s["places_left"] > 0 and (errors or {}).get("_form") not in REFUSED.values(),
        max_quantity=s["max_places"],
        left=s["places_left"],
    )


def _home_page(s: dict, status: int = 200):
    url = s.get("home_url") or ""
    url = url if url.startswith(("https://", "http://")) else None  # never a script: URL
    return render("buy_book.html", status=status, s=s, home_url=url, errors={})


def _refusal(s: dict, why: str) -> dict[str, str]:
    if why == "session_full":
        return {"_form": "bk_full" if s["places_left"] == 0 else "bk_not_enough"}
    return {"_form": REFUSED[why]}


@blueprint.get(f"{BOOK}/<string:workshop_id>/<string:session_id>")
def book_page(workshop_id: str, session_id: str):
    s, why = _session(workshop_id, session_id)
    if s is None:
        return _error(404, "ws_not_found", "ws_not_found_text", back="/catalog")
    if why == "book_on_home_server":  # no sign-in here: the booking is made there
        return _home_page(s)
    user, refused = _buyer()
    if user is None:
        return refused
    if why is not None:
        return _form(s, user, 409, _refusal(s, why))
    return _form(s, user)


def _read() -> tuple[dict[str, Any], dict[str, str]]:
    form, errors = request.form, {}
    raw = form.get("places", "").strip()
    places = int(raw) if re.fullmatch(r"[0-9]{1,3}", raw) else 0
    values = {
        "places": places or raw[:4],
        "contact_name": form.get("contact_name", "").strip()[: NAME_MAX + 1],
        "note": form.get("note", "").strip()[: NOTE_MAX + 1],
    }
    if not 1 <= places <= MAX_PLACES:
        errors["places"] = "bk_err_places"
    if not values["contact_name"]:
        errors["contact_name"] = "err_required"
    elif len(values["contact_name"]) > NAME_MAX:
        errors["contact_name"] = "err_too_long"
    if len(values["note"]) > NOTE_MAX:
        errors["note"] = "err_too_long"
    return values, errors


@blueprint.post(f"{BOOK}/<string:workshop_id>/<string:session_id>")
def book(workshop_id: str, session_id: str):
    back = bookings.book_path(workshop_id, session_id)
    if not csrf_ok():
        return _error(400, "form_expired", back=back)
    user, refused = _buyer()
    if user is None:
        return refused
    s, _ = _session(workshop_id, session_id)
    if s is None:
        return _error(404, "ws_not_found", "ws_not_found_text", back="/catalog")
    key = request.form.get("key", "").strip()[:100]
    if not key:  # every form carries one: without it a resend could book twice
        return _error(400, "form_expired", back=back)
    values, errors = _read()
    if errors:
        return _form(s, user, 400, errors, values, key)
    try:
        made = bookings.book(
            hirfa().store(),
            user,
            workshop_id,
            session_id,
            values["places"],
            values["note"] or None,
            f"web:{key}",
            contact_name=values["contact_name"],
        )
    except bookings.BookOnHomeServer as exc:
        s["home_url"] = (exc.details or {}).get("url") or s.get("home_url")
        return _home_page(s, 409)
    except bookings.SessionFull as exc:
        s["places_left"] = int((exc.details or {}).get("places_left") or 0)
        s["max_places"] = min(s["places_left"], MAX_PLACES)
        return _form(s, user, 409, _refusal(s, "session_full"), values, key)
    except (bookings.SessionPast, bookings.WorkshopNotOpen) as exc:
        return _form(s, user, 409, _refusal(s, exc.code), values, key)
    except bookings.IdempotencyKeyReused:
        return _form(s, user, 400, {"_form": "form_expired"}, values)
    except NotFound:
        return _error(404, "ws_not_found", "ws_not_found_text", back="/catalog")
    except AppError:  # the service's own field rules, already checked above
        return _form(s, user, 400, {"_form": "bad_request"}, values, key)
    session[FLASH] = {"kind": "ok", "key": "bk_done", "id": made["id"]}
    return redirect(BOOKINGS, 303)


# --- her bookings -------------------------------------------------------------------


def _shown(booking: dict) -> dict:
    title, title_lang = i18n.pick(booking.get("workshop_title"), g.lang)
    starts = parse_instant(booking.get("starts_at") or "")
    cancelled = booking.get("cancelled") or {}
    return {
        **booking,
        "title": title,
        "title_lang": title_lang,
        "coop_name": _coop_name(booking["cooperative"]),
        "when": visits_view.when(booking.get("starts_at") or "", g.lang),
        "cancellable": booking.get("status") == "confirmed"
        and starts is not None
        and starts > datetime.now(UTC),
        "cancelled_key": "bk_cancelled_by_you"
        if cancelled.get("role") == "buyer"
        else "bk_cancelled_by_coop",
    }


def _list(user: User, status: int = 200, errors: dict | None = None, flash=None):
    return render(
        "buy_bookings.html",
        status=status,
        user=user,
        items=[_shown(b) for b in bookings.for_buyer(hirfa().store(), user)],
        flash=flash,
        errors=errors or {},
        csrf=csrf_token(),
        reason_max=bookings.REASON_MAX,
    )


@blueprint.get(BOOKINGS)
def bookings_page():
    user, refused = _buyer()
    if user is None:
        return refused
    return _list(user, flash=_flash())


@blueprint.post(f"{BOOKINGS}/<string:booking_id>/cancel")
def cancel(booking_id: str):
    if not csrf_ok():
        return _error(400, "form_expired")
    user, refused = _buyer()
    if user is None:
        return refused
    store = hirfa().store()
    try:
        found = bookings.get(store, user, booking_id)
    except AppError:
        found = None
    if found is None or found.get("buyer") != user.id:  # another buyer's: not hers to see
        return _error(404, "bk_not_found", "bk_not_found_text")
    reason = request.form.get("reason", "").strip()
    if not reason or len(reason) > bookings.REASON_MAX:
        error = "err_required" if not reason else "err_too_long"
        return _list(user, 400, {booking_id: error})
    try:
        bookings.cancel(store, user, booking_id, reason)
        session[FLASH] = {"kind": "ok", "key": "bk_cancelled_done", "id": booking_id}
    except bookings.BookOnHomeServer as exc:  # the home server has changed since
        return _home_page({"home_url": (exc.details or {}).get("url")}, 409)
    except AppError:  # the session has started
        session[FLASH] = {"kind": "error", "key": "bk_cannot_cancel", "id": booking_id}
    return redirect(BOOKINGS, 303)
