"""The one map from the engine's exceptions to HTTP statuses, and CouchDB's error shape.

The engine's errors carry CouchDB's name for the error but no status
(sync/store/errors.py); the sync endpoints answer them as ``{"error", "reason"}`` and
the REST API as its own shape (api/errors.py), both with the status found here.
"""

from __future__ import annotations

from flask import Response

from sync.store.database import StorageError
from sync.store.errors import (
    DocumentNotFound,
    InvalidInput,
    MissingStub,
    RevisionConflict,
    StoreError,
    TooLarge,
    WriteForbidden,
)

from .couch_json import json_response
from .face import current

STATUS: dict[type[Exception], int] = {
    InvalidInput: 400,
    WriteForbidden: 403,
    DocumentNotFound: 404,
    RevisionConflict: 409,
    MissingStub: 412,
    TooLarge: 413,
    StoreError: 500,
    # Disk full, a corrupt file, a writer holding the lock past the busy timeout: the
    # client should come back shortly.
    StorageError: 503,
}

# CouchDB's error names for the statuses the app's own errors can have.
_COUCH_NAMES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "bad_content_type",
}


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of an engine or storage error; None for anything else."""
    if isinstance(exc, CouchError):
        return exc.status
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return None


class CouchError(StoreError):
    """An error of the sync endpoints themselves, answered as ``{"error", "reason"}``
    with its own status (a database that does not exist, a request over a limit)."""

    def __init__(self, status: int, error: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.error = error


def error_response(exc: BaseException) -> Response:
    """Any exception raised under /sync, in CouchDB's shape."""
    if isinstance(exc, CouchError):
        return json_response(exc.to_couch(), exc.status)
    if isinstance(exc, StoreError):
        return json_response(exc.to_couch(), status_of(exc) or 500)
    status, message, headers = current().describe_error(exc)
    name = _COUCH_NAMES.get(status, "unknown_error" if status >= 500 else "bad_request")
    return json_response({"error": name, "reason": message}, status, headers)
