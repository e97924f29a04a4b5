"""What the app holds for every request and command, and the one way to reach it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlite_utils
from flask import Flask, current_app, g

from sync.store.database import ConnectionPool, connect
from sync.store.documents import ChangeNotifier, DocumentStore

from .config import Settings
from .services.analytics.counter import ViewCounter
from .services.credentials import SecretHasher
from .stores import document_store

EXTENSION = "hirfa"


class Hirfa:
    """The app's state: settings, the secret hasher, connections, the store."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.hasher = SecretHasher(settings.argon2_memory_kib, settings.argon2_time_cost)
        self.firebase_app: Any = None
        self.push_transport: Any = None  # api/cli_push.py: FCM, or the console without credentials
        self.replication_worker: Any = None  # api/workers.py, when a hub is configured
        self.notifier = ChangeNotifier()
        self.pool = ConnectionPool(settings.store_path)
        # Views of the public pages, buffered and flushed every few seconds
        # (api/services/analytics/counter.py); the tests call view_counter.flush().
        self.view_counter = ViewCounter(
            self.open_db,
            enabled=settings.count_views,
            flush_seconds=settings.counts_flush_seconds,
            autostart=settings.env != "testing",
        )
        # Called as callback(db, MediaInfo) once an uploaded photo is processed, inside
        # the write transaction that completes the upload (api/services/uploads.py).
        self.on_media_ready: list[Callable[[sqlite_utils.Database, Any], None]] = []
        # The update sequence read before the last pass after which every feed was caught
        # up (api/app.py ``_settle``); None before the first.
        self.settled_seq: int | None = None
        # The time the sign-in throttle counts by; the tests put a clock they move here.
        self.clock: Callable[[], float] = time.time

    def db(self) -> sqlite_utils.Database:
        """This request's connection (one per thread; SQLite connections are not shared)."""
        if "hirfa_db" not in g:
            g.hirfa_db = self.pool.acquire()
        return g.hirfa_db

    def store(self, db: sqlite_utils.Database | None = None) -> DocumentStore:
        """The document store on this request's connection, or on ``db`` when given
        (a connection the caller owns: CLI, workers, streamed answers)."""
        return document_store(db if db is not None else self.db(), self.settings, self.notifier)

    def firebase(self) -> Any:
        """The firebase-admin app, created on first use; None when not configured."""
        if self.firebase_app is None and self.settings.firebase_credentials:
            # Imported here, not at the top: firebase-admin takes about 0.2 s to import,
            # and a server without credentials (``make run``, most commands) never needs it.
            import firebase_admin
            from firebase_admin import credentials

            options = {}
            if self.settings.firebase_project_id:
                options["projectId"] = self.settings.firebase_project_id
            self.firebase_app = firebase_admin.initialize_app(
                credentials.Certificate(self.settings.firebase_credentials),
                options,
                name=f"hirfa-{id(self)}",
            )
        return self.firebase_app

    def open_db(self) -> sqlite_utils.Database:
        """A connection owned by the caller (CLI, workers)."""
        return connect(self.settings.store_path)


def of(app: Flask) -> Hirfa:
    """The state of ``app`` (for code that holds the app, outside its context)."""
    return app.extensions[EXTENSION]


def hirfa() -> Hirfa:
    """The state of the app handling this request or command."""
    return of(current_app)
