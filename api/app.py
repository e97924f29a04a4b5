"""The app factory: settings, the state, each component registered with its ``init_app``,
error handlers, health checks."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, jsonify, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

import sync.http
from sync.http.errors import error_response as couch_error_response
from sync.http.face import SyncFace
from sync.store.database import StorageError, connect

from . import cli, migrations, resources, web, workers
from .config import load_settings
from .errors import describe, handle
from .security import authenticate
from .services import order_feed, photo_docs
from .services.bulk import feed as bulk_feed
from .services.directory import artisan_cooperative
from .services.training import feed as training_feed
from .state import EXTENSION, Hirfa

log = logging.getLogger("hirfa")

# A tus client in a WebView must be able to read these (tus 1.0.0, "Browser clients").
TUS_EXPOSED_HEADERS = [
    "Location", "Upload-Offset", "Upload-Length", "Upload-Metadata", "Upload-Expires",
    "Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size", "Tus-Checksum-Algorithm",
]  # fmt: skip


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
    app.session_interface = CookieSessions()
    if settings.trust_proxy:
        # remote_addr becomes the client address the proxies saw, so the per-address
        # sign-in cap counts clients, not the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops)  # type: ignore[method-assign]
    hirfa = Hirfa(settings)
    app.extensions[EXTENSION] = hirfa
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
        (api/services/order_feed.py); grade assessments and issue certificates
        (api/services/training/feed.py); write what shipped pieces earned, move parts on
        and tell people of bulk orders (api/services/bulk/feed.py). The dispatcher's pass
        does the same for writes made elsewhere (another process, the replicator)."""
        if request.method in ("GET", "HEAD", "OPTIONS") or response.status_code >= 400:
            return response
        try:
            _settle(hirfa)
        except Exception:  # the write is committed; the dispatcher's pass will catch up
            log.exception("settling writes after %s %s", request.method, request.path)
        return response

    @app.teardown_appcontext
    def _close_db(exc: BaseException | None) -> None:
        conn = g.pop("hirfa_db", None)
        if conn is not None:
            hirfa.pool.release(conn)

    resources.init_app(app)
    sync.http.init_app(
        app,
        SyncFace(
            settings=settings,
            authenticate=authenticate,
            open_store=hirfa.store,
            connections=hirfa.pool,
            notifier=hirfa.notifier,
            cooperative_of=artisan_cooperative,
            describe_error=describe,
        ),
    )
    origins = settings.cors_origins.split(",")
    # WebView clients and PouchDB in a browser need CORS on both APIs.
    CORS(
        app,
        resources={r"/api/*": {"origins": origins}, r"/sync/*": {"origins": origins}},
        expose_headers=["ETag", "Retry-After", *TUS_EXPOSED_HEADERS],
        max_age=86400,
        # Only to browsers (a request with Origin): the exposed-headers list alone is
        # ~250 bytes, a third of a no-op compact sync on EDGE (sync/compact/batch.py).
        always_send=False,
    )
    _cors_only_with_origin(app)
    app.register_error_handler(Exception, _error_for_path)
    _health(app, hirfa)
    cli.init_app(app)
    workers.init_app(app)
    web.init_app(app)  # pages: catalogue, /p/<id>, /c/<id>, /review
    return app


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions (the pages' sign-in, api/web/web_sessions.py), minus
    the signing serializer Flask builds for every request: a request without a cookie
    (every sync and REST call) gets the empty session Flask would have given it."""

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)


def _cors_only_with_origin(app: Flask) -> None:
    """Call flask-cors' after_request hook only for requests with an Origin.

    Without one (phones, PouchDB in Node, servers: every sync request) it adds no header,
    as ``always_send=False`` asks, yet matches the path and builds the header list each
    time, a tenth of a small request's cost. Fails at start-up if flask-cors registers
    its hook under another name.
    """
    hooks = app.after_request_funcs[None]
    [cors_hook] = [hook for hook in hooks if hook.__name__ == "cors_after_request"]

    def cors_for_browsers(response):
        if not request.environ.get("HTTP_ORIGIN"):
            return response
        return cors_hook(response)

    hooks[hooks.index(cors_hook)] = cors_for_browsers


def _settle(hirfa: Hirfa) -> None:
    """Run the three feeds, unless nothing was written since they last caught up.

    Most non-GET requests of a replication write nothing (``_revs_diff``, ``_bulk_get``,
    ``_local`` checkpoints). The update sequence moves with every document written, by
    any process, so when it still equals the one read before a pass after which every
    feed was caught up, each feed would find nothing new. A feed that stopped at a full
    batch is not caught up: the next request runs it again, as before.
    """
    store, settings = hirfa.store(), hirfa.settings
    seq = store.update_seq()
    if seq == hirfa.settled_seq:
        return
    orders = order_feed.process(store, settings.media_dir)
    training = training_feed.process(store, settings.public_url)
    bulk_feed.process(store)  # follows until nothing is left
    if orders < order_feed.BATCH and training < training_feed.BATCH:
        hirfa.settled_seq = seq


def _error_for_path(exc: Exception):
    """Errors outside any view (unknown routes, 405) in the shape the client expects:
    CouchDB's ``{"error", "reason"}`` under /sync, ours everywhere else."""
    if sync.http.serves(request.path):
        return couch_error_response(exc)
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
