"""Query parameters and response headers that several namespaces share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request

from ..errors import BadRequest
from ..security import current_user
from ..services import idempotency
from ..state import hirfa


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    """An integer query parameter within [low, high], or a 400 that says so."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest(f"`{name}` is an integer.", details={name: raw}) from exc
    if not low <= value <= high:
        raise BadRequest(f"`{name}` is between {low} and {high}.", details={name: value})
    return value


def with_etag(body: dict, status: int = 200):
    """A document's body with its revision as the ETag (for If-Match / If-None-Match)."""
    return body, status, {"ETag": f'"{body["rev"]}"'}


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
