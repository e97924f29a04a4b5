"""The app factory: settings, the store, the REST Api, error handlers, health checks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlite_utils
from flask import Flask, g, jsonify, request
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from sync import migrations
from sync.database import ConnectionPool, StorageError, connect
from sync.store import ChangeNotifier

from .config import Settings, load_settings
from .errors import handle
from .services import photo_docs
from .services.credentials import SecretHasher

log = logging.getLogger("hirfa")

# A tus client in a WebView must be able to read these (tus 1.0.0, "Browser clients").
TUS_EXPOSED_HEADERS = [
    "Location", "Upload-Offset", "Upload-Length", "Upload-Metadata", "Upload-Expires",
    "Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size", "Tus-Checksum-Algorithm",
]  # fmt: skip


class Hirfa:
    """What the app holds for every request: settings, the secret hasher, the store."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.hasher = SecretHasher(settings.argon2_memory_kib, settings.argon2_time_cost)
        self.firebase_app: Any = None
        self.push_transport: Any = None  # api/cli_push.py: FCM, or the console without credentials
        self.notifier = ChangeNotifier()
        self.pool = ConnectionPool(settings.store_path)
        # Called as callback(db, MediaInfo) once an uploaded photo is processed, inside
        # the write transaction that completes the upload (api/services/uploads.py).
        self.on_media_ready: list[Callable[[sqlite_utils.Database, Any], None]] = []

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
    if settings.trust_proxy:
        # remote_addr becomes the client address the proxies saw, so the per-address
        # sign-in cap counts clients, not the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops)  # type: ignore[method-assign]
    hirfa = Hirfa(settings)
    app.extensions["hirfa"] = hirfa
    # A processed upload turns the photo documents waiting for its bytes ready (a new
    # revision, which syncs to the phone); safe to run twice, it only touches pending ones.
    hirfa.on_media_ready.append(
        lambda db, info: photo_docs.media_ready(
            hirfa.store(), info, for_hub=bool(settings.couchdb_url)
        )
    )

    db = connect(settings.store_path)
    try:
        applied = migrations.migrate(db)
    finally:
        db.close()
    if applied:
        log.info("applied migrations %s to %s", applied, settings.store_path)

    @app.after_request
    def _settle_writes(response):
        """After any write (a phone's /sync push included), settle what it changed: merge
        concurrent order moves and product conflicts, reserve stock, queue notifications
        (api/services/order_feed.py). The dispatcher's pass does the same for writes made
        elsewhere (another process, the replicator)."""
        if request.method in ("GET", "HEAD", "OPTIONS") or response.status_code >= 400:
            return response
        from .services import order_feed

        try:
            order_feed.process(hirfa.store())
        except Exception:  # the write is committed; the dispatcher's pass will catch up
            log.exception("settling writes after %s %s", request.method, request.path)
        return response

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
        expose_headers=["ETag", "Retry-After", *TUS_EXPOSED_HEADERS],
        max_age=86400,
        # Only to browsers (a request with Origin): the exposed-headers list alone is
        # ~250 bytes, a third of a no-op compact sync on EDGE (sync/batch.py).
        always_send=False,
    )
    app.register_error_handler(Exception, _error_for_path)
    _health(app, hirfa)
    register_cli(app)
    _start_replication(app)
    _mount_media(app)
    from .web import register_web  # pages: catalogue, /p/<id>, /c/<id>, /review

    register_web(app)
    return app


def _mount_media(app: Flask) -> None:
    from .cli_media import register_media_cli
    from .resources.media import blueprint as media_blueprint

    app.register_blueprint(media_blueprint)
    register_media_cli(app)


def _mount_sync(app: Flask) -> None:
    from sync import (
        batch_http,  # noqa: F401  (compact protocol, snapshot, gzip)
        couch_documents,  # noqa: F401  (adds the document routes)
    )
    from sync.couch_protocol import blueprint as sync_blueprint

    app.register_blueprint(sync_blueprint)


def _error_for_path(exc: Exception):
    """Errors outside any view (unknown routes, 405) in the shape the client expects:
    CouchDB's ``{"error", "reason"}`` under /sync, ours everywhere else."""
    if request.path == "/sync" or request.path.startswith("/sync/"):
        from sync.couch_http import error_response

        return error_response(exc)
    return handle(exc)


def _start_replication(app: Flask) -> None:
    """With HIRFA_COUCHDB_URL set, the hub worker starts with the first request this
    process serves, under any WSGI server; not when the app is built, since every
    `flask` command builds it too. Off in testing unless HIRFA_REPLICATION_WORKER=on."""
    from .cli_replication import start_worker, worker_enabled

    if worker_enabled(app.extensions["hirfa"].settings):
        app.before_request(lambda: start_worker(app) and None)


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
