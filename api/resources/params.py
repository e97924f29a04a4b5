"""Query parameters and response headers that several namespaces share."""

from __future__ import annotations

from flask import request

from ..errors import BadRequest


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
