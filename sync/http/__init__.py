"""The HTTP face of sync at ``/sync``: CouchDB's replication protocol (couch_database.py,
couch_documents.py), the compact protocol and first-sync snapshot (compact.py), gzip
(compression.py). The app mounts it with ``init_app(app, face)`` and passes in, through
the ``SyncFace`` (face.py), everything it needs from the app."""

from __future__ import annotations

from flask import Blueprint, Flask

from . import compact, compression, couch_database, couch_documents
from .errors import error_response
from .face import EXTENSION, SyncFace

PREFIX = "/sync"


def init_app(app: Flask, face: SyncFace) -> None:
    app.extensions[EXTENSION] = face
    sync = Blueprint("sync", __name__, url_prefix=PREFIX)
    for part in (couch_database, couch_documents, compact):
        sync.register_blueprint(part.blueprint)
    # CouchDB clients read {"error", "reason"}, whatever went wrong.
    sync.register_error_handler(Exception, error_response)
    # Every answer is compressed when the client accepts gzip, CouchDB-protocol answers
    # (``_changes``, ``_bulk_get``, ...) included: on EDGE the bytes are the wait.
    sync.after_request(compression.gzip_response)
    app.register_blueprint(sync)


def serves(path: str) -> bool:
    """Whether a request path is under /sync (errors outside any view answer in its shape)."""
    return path == PREFIX or path.startswith(PREFIX + "/")
