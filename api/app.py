"""The app factory: settings, the store, the REST Api, error handlers, health checks."""

from __future__ import annotations

import logging
from typing import Any

import sqlite_utils
from flask import Flask, g, jsonify, request
from flask_cors import CORS

from sync import migrations
from sync.database import ConnectionPool, StorageError, connect
from sync.store import ChangeNotifier

from .config import Settings, load_settings
from .errors import handle
from .services.credentials import SecretHasher

log = logging.getLogger("hirfa")


class Hirfa:
    """What the app holds for every request: settings, the secret hasher, the store."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.hasher = SecretHasher(settings.argon2_memory_kib, settings.argon2_time_cost)
        self.firebase_app: Any = None
        self.notifier = ChangeNotifier()
        self.pool = ConnectionPool(settings.store_path)

    def db(self) -> sqlite_utils.Database:
        """This request's connection (one per thread; SQLite connections are not shared)."""
        if "hirfa_db" not in g:
            g.hirfa_db = self.pool.acquire()
        return g.hirfa_db

    def store(self):
        """The document store on this request's connection."""
        from sync.access import channels_for
        from sync.store import DocumentStore

        return DocumentStore(
            self.db(),
            channels_for,
            revs_limit=self.settings.sync_revs_limit,
            max_attachment_bytes=self.settings.sync_max_attachment_bytes,
            notifier=self.notifier,
        )

    def firebase(self) -> Any:
        """The firebase-admin app, created on first use; None when not configured."""
        if self.firebase_app is None and self.settings.firebase_credentials:
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


def build_app(config: dict[str, Any] | None = None) -> Flask:
    settings = load_settings(config)
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        ERROR_INCLUDE_MESSAGE=False,  # flask-restx would add its own "message" key
        RESTX_MASK_SWAGGER=False,
        RESTX_JSON={"ensure_ascii": False},  # Arabic as UTF-8, not \\u escapes
        JSON_SORT_KEYS=False,
        TESTING=settings.env == "testing",
    )
    app.json.ensure_ascii = False
    hirfa = Hirfa(settings)
    app.extensions["hirfa"] = hirfa

    db = connect(settings.store_path)
    try:
        applied = migrations.migrate(db)
    finally:
        db.close()
    if applied:
        log.info("applied migrations %s to %s", applied, settings.store_path)

    @app.teardown_appcontext
    def _close_db(exc: BaseException | None) -> None:
        conn = g.pop("hirfa_db", None)
        if conn is not None:
            hirfa.pool.release(conn)

    from . import resources  # noqa: F401  (registers the namespaces on the Api)
    from .cli import register_cli
    from .rest import blueprint

    app.register_blueprint(blueprint)
    _mount_sync(app)
    origins = settings.cors_origins.split(",")
    # WebView clients and PouchDB in a browser need CORS on both APIs.
    CORS(
        app,
        resources={r"/api/*": {"origins": origins}, r"/sync/*": {"origins": origins}},
        expose_headers=["ETag", "Retry-After"],
        max_age=86400,
    )
    app.register_error_handler(Exception, _error_for_path)
    _health(app, hirfa)
    register_cli(app)
    return app


def _mount_sync(app: Flask) -> None:
    from sync import couch_documents  # noqa: F401  (adds the document routes)
    from sync.couch_protocol import blueprint as sync_blueprint

    app.register_blueprint(sync_blueprint)


def _error_for_path(exc: Exception):
    """Errors outside any view (unknown routes, 405) in the shape the client expects:
    CouchDB's ``{"error", "reason"}`` under /sync, ours everywhere else."""
    if request.path == "/sync" or request.path.startswith("/sync/"):
        from sync.couch_http import error_response

        return error_response(exc)
    return handle(exc)


def _health(app: Flask, hirfa: Hirfa) -> None:
    @app.get("/healthz")
    def healthz():
        """The process is up."""
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz():
        """The store answers and every migration is applied."""
        try:
            pending = [m[0] for m in migrations.pending(hirfa.db())]
        except (StorageError, Exception) as exc:  # a broken file must report, not crash
            return jsonify({"status": "unavailable", "store": str(exc)}), 503
        if pending:
            return jsonify({"status": "unavailable", "pending_migrations": pending}), 503
        return jsonify({"status": "ready", "store": "ok"})
