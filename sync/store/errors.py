"""Errors of the document store. They carry CouchDB's name for the error (``error``),
which the replication protocol reports per document, and no HTTP status: the web layer
maps them to statuses in one place (sync/http/errors.py)."""

from __future__ import annotations


class StoreError(Exception):
    """Base: ``error`` is CouchDB's error name, ``reason`` what a person reads."""

    error = "unknown_error"

    def __init__(self, reason: str = ""):
        super().__init__(reason or self.error)
        self.reason = reason or self.error

    def to_couch(self) -> dict[str, str]:
        return {"error": self.error, "reason": self.reason}


class InvalidInput(StoreError):
    """A document, revision or argument the store cannot take as given."""

    error = "bad_request"


class DocumentNotFound(StoreError):
    """No such document or revision (or none the caller may see)."""

    error = "not_found"


class RevisionConflict(StoreError):
    """The revision given is not the current leaf: fetch, merge, retry."""

    error = "conflict"


class WriteForbidden(StoreError):
    """The access rules refuse this write (CouchDB's validate_doc_update)."""

    error = "forbidden"


class MissingStub(StoreError):
    """An attachment stub names bytes the parent revision does not have."""

    error = "missing_stub"


class TooLarge(StoreError):
    """A document, attachment or request past its configured size."""

    error = "too_large"


class Unresolvable(Exception):
    """No rule can merge these revisions (sync/rules/resolution.py); ``args[0]`` says why,
    for the coordinator."""
