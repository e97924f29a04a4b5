"""CouchDB's JSON on the wire: query parameters as CouchDB encodes them, request bodies,
and answers."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

from sync.store.errors import InvalidInput
from sync.store.json_values import check_value


def json_response(obj: Any, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    response = Response(body + "\n", status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# SQLite integers are 64-bit: larger numbers are no sequence or count of ours.
MAX_INT = 2**62


def string_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{name} must be a JSON list of strings")
    return value


def string_param(name: str) -> str | None:
    """A JSON-encoded string key (startkey, endkey); document ids are strings."""
    value = json_param(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be a JSON string")
    return value


def flag(name: str, default: bool = False) -> bool:
    value = request.args.get(name)
    if value is None:
        return default
    return value.lower() == "true"


def json_param(name: str, default: Any = None) -> Any:
    """CouchDB encodes lists and keys in query strings as JSON."""
    value = request.args.get(name)
    if value is None:
        return default
    try:
        parsed = json.loads(value)
    # ValueError also covers integers past Python's digit limit; RecursionError, nesting
    # deeper than the parser's stack.
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"{name} must be JSON") from exc
    check_value(parsed, name)
    return parsed


def int_param(name: str, default: int | None = None, minimum: int = 0) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be an integer") from exc
    if not minimum <= number <= MAX_INT:
        raise InvalidInput(f"{name} must be between {minimum} and {MAX_INT}")
    return number


def json_body(required: bool = True) -> Any:
    try:
        data = request.get_json(silent=True, force=True)
    except RecursionError as exc:  # silent=True only swallows ValueError
        raise InvalidInput("Request body is nested too deeply") from exc
    if data is None and required:
        raise InvalidInput("Request body must be a JSON object")
    return data


def seq_param(value: Any) -> int:
    """``since`` as CouchDB clients send it: an integer, "now" or "0"; PouchDB may send
    back whatever we gave it as last_seq."""
    if value in (None, "", 0, "0"):
        return 0
    if value == "now":
        return -1
    try:
        seq = max(0, int(str(value).split("-", 1)[0]))
    except ValueError as exc:
        raise InvalidInput('since must be a sequence number or "now"') from exc
    if seq > MAX_INT:
        raise InvalidInput("since is not a sequence this server gave out")
    return seq
