"""Who may see the bulk-order and earnings pages: a coordinator (or an admin) signed in
on the review page, whose cookies are scoped to /review (api/web/review_pages.py)."""

from __future__ import annotations

from typing import Any

from flask import redirect, request

from ..services.accounts import User
from .rendering import error_page
from .review_pages import REVIEWERS, csrf_ok, sign_in_form, signed_in


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
