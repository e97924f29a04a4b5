"""What the bulk-order and earnings forms say back: each POST is answered by a redirect,
and the page it lands on shows one message, kept in the session until then. A form's
input refused before any service sees it, or a service's refusal, is said in the
coordinator's language, and nothing is written."""

from __future__ import annotations

from typing import Any

from flask import session

from ..errors import AppError, PreconditionFailed
from . import bulk_messages_text, i18n

i18n.add(bulk_messages_text.WORDS)


class Refused(Exception):
    """A form's input the page refuses before any service sees it."""

    def __init__(self, key: str, **values: Any):
        super().__init__(key)
        self.key, self.values = key, values


def flash(kind: str, key: str, **values: Any) -> None:
    session["flash"] = {"kind": kind, "key": key, "values": values}


def say_refusal(error: AppError) -> None:
    """A service's refusal as a message she can act on."""
    details, code = error.details or {}, error.code
    if isinstance(error, PreconditionFailed):
        flash("error", "bo_err_changed")
    elif code == "beyond_bulk_order":
        flash("error", "bo_err_beyond_bulk_order", n=details.get("to_assign", 0))
    elif code == "more_than_part":
        flash("error", "bo_err_more_than_part", n=details.get("unchecked", 0))
    elif f"bo_err_{code}" in i18n.STRINGS["en"]:
        flash("error", f"bo_err_{code}")
    else:
        flash("error", "bo_err_other", message=error.message)
