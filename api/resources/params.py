"""Query parameters and response headers that several namespaces share."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import request

from schemas.taxonomy import LOCALES

from ..errors import AppError, BadRequest
from ..security import current_user
from ..services import idempotency
from ..state import hirfa

INTEGER = re.compile(r"-?[0-9]{1,20}")


class IntParam:
    """An integer query parameter: its Swagger entry and its reading from one definition,
    so the documented type and bounds are the ones enforced."""

    def __init__(
        self, name: str, description: str, low: int, high: int, default: int | None, example: int
    ):
        self.name, self.low, self.high, self.default = name, low, high, default
        self.description, self.example = description, example

    def doc(self) -> dict[str, dict[str, Any]]:
        """``{name: entry}`` for ``@ns.doc(params=...)``."""
        entry = {
            "type": "integer",
            "minimum": self.low,
            "maximum": self.high,
            "allowEmptyValue": True,  # `?limit=` is no limit given
            "description": self.description,
            "example": self.example,
        }
        if self.default is not None:
            entry["default"] = self.default
        return {self.name: entry}

    def read(self) -> int | None:
        return int_arg(self.name, self.default, self.low, self.high)


SINCE = IntParam("since", "cursor: `next` of the previous page", 0, 2**62, 0, 0)
LIMIT = IntParam("limit", "page size", 1, 200, 50, 50)


def choice_param(
    description: str, choices, example: str, *, empty_is_absent: bool = False
) -> dict[str, Any]:
    """A query parameter that takes one of ``choices`` (anything else is a 400)."""
    entry = {"type": "string", "enum": list(choices), "description": description}
    if empty_is_absent:
        entry["allowEmptyValue"] = True
    return {**entry, "example": example}


def bool_param(description: str) -> dict[str, Any]:
    """The Swagger entry of a ``bool_arg``."""
    return {
        "type": "boolean",
        "allowEmptyValue": True,
        "description": f"{description}; absent or empty: false",
        "example": True,
    }


# A header that must carry something: an empty or blank value counts as no header.
NOT_BLANK = r"\S"


def bool_arg(name: str) -> bool:
    """A boolean query parameter, ``true`` or ``false`` (as Swagger sends them) or 1/0;
    absent is false, anything else a 400 rather than a filter silently dropped."""
    raw = request.args.get(name, "").lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise BadRequest(f"`{name}` is true or false.", details={name: raw})


def single_arg(name: str) -> str | None:
    """A query parameter given at most once: 400 rather than one of two silently used."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"Give `{name}` once.", details={name: values})
    return values[0] if values else None


def language_arg() -> str | None:
    """The ``lang`` of an export, given at most once: one of the languages, or None when
    absent or empty (documented with ``choice_param(..., empty_is_absent=True)``: a form's
    empty choice means "my language"); anything else is a 400 naming the languages."""
    asked = single_arg("lang") or None
    if asked is not None and asked not in LOCALES:
        raise BadRequest(f"Unknown language {asked!r}.", details={"allowed": list(LOCALES)})
    return asked


def choice_arg(name: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    """A query parameter that is one of ``allowed``, or absent (None); anything else a
    400 naming the choices, rather than a filter that silently matches nothing."""
    value = request.args.get(name)
    if value is not None and value not in allowed:
        raise BadRequest(f"Unknown {name} {value!r}.", details={"allowed": list(allowed)})
    return value


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    """An integer query parameter within [low, high], or a 400 that says so."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    # Digits as Swagger's `integer` has them: int() would also take "+5", " 5", "1_000"
    # and Arabic-Indic digits.
    if not INTEGER.fullmatch(raw):
        raise BadRequest(f"`{name}` is an integer.", details={name: raw})
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"`{name}` is between {low} and {high}.", details={name: value})
    return value


def with_etag(body: dict, status: int = 200):
    """A document's body with its revision as the ETag (for If-Match / If-None-Match)."""
    return body, status, {"ETag": f'"{body["rev"]}"'}


class IdempotencyKeyRequired(AppError):
    """A create that needs an Idempotency-Key came without one: a retry after a lost answer
    would make a second order, so the header is required."""

    status = 428
    code = "idempotency_key_required"
    message = (
        "Send an `Idempotency-Key` header: any unique string for this request (a UUID), the "
        "same on every retry, so a retry after a lost answer does not place a second order."
    )


# The header of a create that must not happen twice (POST /orders, POST /bulk-orders).
IDEMPOTENCY_KEY = {
    "Idempotency-Key": {
        "in": "header",
        "description": "required: any unique string, the same on every retry",
        "required": True,
        "pattern": NOT_BLANK,
        "maxLength": idempotency.MAX_KEY_LENGTH,
        "example": "c1a7-order-1",
    }
}


def require_idempotency_key() -> None:
    if not (request.headers.get("Idempotency-Key") or "").strip():
        raise IdempotencyKeyRequired()


def idempotent(run: Callable[[], tuple[Any, int]]) -> tuple[Any, int]:
    """Run a create once per ``Idempotency-Key`` of the signed-in user: a retry after an
    answer lost on a bad link gets the first answer, not a second product or order."""
    return idempotency.once(
        hirfa().db(),
        current_user().id,
        request.headers.get("Idempotency-Key"),
        (request.method, request.path, request.get_json(silent=True)),
        run,
    )


# The If-Match header of a replacing PUT: the revision the client edited.
IF_MATCH = {
    "If-Match": {
        "in": "header",
        "description": "the revision you edited",
        "example": '"2-5f0c"',
        "required": True,
        "pattern": NOT_BLANK,
    }
}
