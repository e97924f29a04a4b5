"""Errors of the document store, named as CouchDB names them (``error``) with a status."""

from __future__ import annotations


class StoreError(Exception):
    """Base: ``error`` is CouchDB's error name, ``status`` the HTTP status it maps to."""

    status = 500
    error = "unknown_error"

    def __init__(self, reason: str = ""):
        super().__init__(reason or self.error)
        self.reason = reason or self.error

    def to_couch(self) -> dict[str, str]:
        return {"error": self.error, "reason": self.reason}


class BadRequest(StoreError):
    status = 400
    error = "bad_request"


class NotFound(StoreError):
    status = 404
    error = "not_found"


class Conflict(StoreError):
    """The revision given is not the current leaf: fetch, merge, retry."""

    status = 409
    error = "conflict"


class Forbidden(StoreError):
    """The access rules refuse this write (CouchDB's validate_doc_update)."""

    status = 403
    error = "forbidden"


class MissingStub(StoreError):
    status = 412
    error = "missing_stub"


class TooLarge(StoreError):
    status = 413
    error = "too_large"


class Unresolvable(Exception):
    """No rule can merge these revisions (sync/resolution.py); ``args[0]`` says why, for
    the coordinator."""
