"""Plumbing shared by the CouchDB-protocol endpoints: who is asking, their view of the
store, query parameters as CouchDB encodes them, and CouchDB's error shape."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, g, request

from .access import make_check, user_channels
from .errors import BadRequest, StoreError
from .store import DocumentStore
from .write_checks import seeing


class CouchError(StoreError):
    """An error answered as ``{"error", "reason"}`` with the given status."""

    def __init__(self, status: int, error: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.error = error


@dataclass
class SyncContext:
    user: Any
    store: DocumentStore
    visible: set[str] | None

    def check(self):
        # One lookup per artisan for the request's writes: a batch of a coordinator's
        # listings asks for the same few artisans again and again.
        cooperatives: dict[str, str | None] = {}

        def directory(artisan_id: str) -> str | None:
            if not isinstance(artisan_id, str):  # a forged body: let the lookup say no
                return self.directory(artisan_id)
            if artisan_id not in cooperatives:
                cooperatives[artisan_id] = self.directory(artisan_id)
            return cooperatives[artisan_id]

        return seeing(make_check(self.user, directory), self.visible)

    def directory(self, artisan_id: str) -> str | None:
        from api.services.directory import artisan_cooperative

        return artisan_cooperative(self.store.db, artisan_id)


def sync_settings():
    return current_app.extensions["hirfa"].settings


def context() -> SyncContext:
    """The signed-in user and the store seen through their channels (401 otherwise)."""
    if "sync_context" in g:
        return g.sync_context
    from api.errors import AppError
    from api.security import authenticate

    try:
        user = authenticate()
    except AppError as exc:
        raise CouchError(
            exc.status, "unauthorized" if exc.status == 401 else "forbidden", exc.message
        ) from exc
    g.sync_context = SyncContext(user, open_store(), user_channels(user))
    return g.sync_context


def open_store(db=None) -> DocumentStore:
    """The store on this request's connection, or on ``db`` when given."""
    store = current_app.extensions["hirfa"].store()
    if db is not None:
        store.db = db
    return store


def check_db(db: str) -> None:
    if db != sync_settings().sync_db_name:
        raise CouchError(404, "not_found", "Database does not exist.")


def json_response(obj: Any, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    response = Response(body + "\n", status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(exc: BaseException) -> Response:
    if isinstance(exc, StoreError):
        return json_response(exc.to_couch(), exc.status)
    from api.errors import from_exception

    error = from_exception(exc)
    names = {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        415: "bad_content_type",
    }
    name = names.get(error.status, "unknown_error" if error.status >= 500 else "bad_request")
    return json_response({"error": name, "reason": error.message}, error.status, error.headers)


# SQLite integers are 64-bit: larger numbers are no sequence or count of ours.
MAX_INT = 2**62


def string_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"{name} must be a JSON list of strings")
    return value


def string_param(name: str) -> str | None:
    """A JSON-encoded string key (startkey, endkey); document ids are strings."""
    value = json_param(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"{name} must be a JSON string")
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
        return json.loads(value)
    # ValueError also covers integers past Python's digit limit; RecursionError, nesting
    # deeper than the parser's stack.
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"{name} must be JSON") from exc


def int_param(name: str, default: int | None = None, minimum: int = 0) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise BadRequest(f"{name} must be an integer") from exc
    if not minimum <= number <= MAX_INT:
        raise BadRequest(f"{name} must be between {minimum} and {MAX_INT}")
    return number


def json_body(required: bool = True) -> Any:
    try:
        data = request.get_json(silent=True, force=True)
    except RecursionError as exc:  # silent=True only swallows ValueError
        raise BadRequest("Request body is nested too deeply") from exc
    if data is None and required:
        raise BadRequest("Request body must be a JSON object")
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
        raise BadRequest('since must be a sequence number or "now"') from exc
    if seq > MAX_INT:
        raise BadRequest("since is not a sequence this server gave out")
    return seq
