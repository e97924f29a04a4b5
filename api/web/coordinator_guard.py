"""Who may see the coordinator's pages (bulk orders, earnings, inventory, insights): a
coordinator (or an admin) signed in on the review page, whose cookies are scoped to
/review (api/web/review_pages.py); and which of her cooperatives a page shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, redirect, request

from ..services import accounts
from ..services.accounts import User
from ..state import hirfa
from .rendering import error_page
from .review_pages import COOKIE_PATH, REVIEWERS, csrf_ok, sign_in_form, signed_in


def coordinator_or_answer(back: str) -> tuple[User | None, Any]:
    """(the coordinator, None), or (None, the answer to give instead)."""
    if request.method == "POST" and not csrf_ok():
        return None, error_page(400, "form_expired", back=back)
    user = signed_in()
    if user is None:
        return None, redirect(back, 303) if request.method == "POST" else sign_in_form(back=back)
    if user.role not in REVIEWERS:
        return None, error_page(403, "not_coordinator")
    return user, None


def her_cooperatives(user: User) -> list[dict[str, Any]]:
    """The cooperatives she may look at: her own; every one for an admin."""
    everyone = accounts.list_cooperatives(hirfa().db())
    if user.role == "admin":
        return everyone
    return [c for c in everyone if c["id"] in user.cooperative_ids]


def coordinator_and_cooperative(
    back: str, default: Callable[[list[dict[str, Any]]], str] | None = None
) -> tuple[User, list[dict[str, Any]], dict[str, Any]] | Response:
    """(the coordinator, her cooperatives, the one ``?cooperative=`` asks for, else
    ``default``'s choice, else the first), or the answer to give instead: the sign-in,
    403 when she has no cooperative or asks for another's."""
    user, refused = coordinator_or_answer(back)
    if user is None:
        return refused
    coops = her_cooperatives(user)
    if not coops:
        return error_page(403, "not_your_cooperative", back=COOKIE_PATH)
    asked = request.args.get("cooperative") or (default or (lambda cs: cs[0]["id"]))(coops)
    coop = next((c for c in coops if c["id"] == asked), None)
    if coop is None:
        return error_page(403, "not_your_cooperative", back=back)
    return user, coops, coop
