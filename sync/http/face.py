"""What the HTTP face of sync is given by the app that mounts it: who is asking, the
store, settings and how to describe the app's own errors. Passed in at registration
(sync/http/__init__.py ``init_app``), so nothing here imports the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import sqlite_utils
from flask import current_app

from sync.store.documents import ChangeNotifier, DocumentStore

EXTENSION = "hirfa_sync"


class SyncSettings(Protocol):
    """The settings the sync endpoints read (api/config.py ``Settings`` has them all)."""

    sync_db_name: str
    sync_revs_limit: int
    sync_max_bulk_docs: int
    sync_max_doc_bytes: int
    sync_max_attachment_bytes: int
    sync_longpoll_max_ms: int
    max_request_bytes: int
    gzip_level: int
    gzip_min_bytes: int
    compact_sync_page_bytes: int
    compact_sync_max_page_bytes: int
    compact_sync_request_ttl_seconds: int


class Connections(Protocol):
    """Connections a streamed answer holds past its view (api's ConnectionPool)."""

    def acquire(self) -> sqlite_utils.Database: ...

    def release(self, db: sqlite_utils.Database) -> None: ...


@dataclass(frozen=True)
class SyncFace:
    settings: SyncSettings
    # The signed-in user of this request (``.id``, ``.role``, ...), or raises the app's
    # own error, which ``describe_error`` turns into a status and a message.
    authenticate: Callable[[], Any]
    # The store on this request's connection, or on the connection given.
    open_store: Callable[[sqlite_utils.Database | None], DocumentStore]
    connections: Connections
    notifier: ChangeNotifier
    # The cooperative an artisan belongs to (the access rules need it for coordinators).
    cooperative_of: Callable[[sqlite_utils.Database, str], str | None]
    # Any exception that is not the store's: (HTTP status, message, headers).
    describe_error: Callable[[BaseException], tuple[int, str, dict[str, str]]]


def current() -> SyncFace:
    """The face of the app serving this request."""
    return current_app.extensions[EXTENSION]
