"""The app factory: settings, the store, the REST Api, error handlers, health checks."""

from __future__ import annotations

import logging
from typing import Any

import sqlite_utils
from flask import Flask, g, jsonify
from flask_cors import CORS

from sync import migrations
from sync.database import StorageError, connect

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

    def db(self) -> sqlite_utils.Database:
        """This request's connection (one per thread; SQLite connections are not shared)."""
        if "hirfa_db" not in g:
            g.hirfa_db = connect(self.settings.store_path)
        return g.hirfa_db

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
            conn.close()

    from . import resources  # noqa: F401  (registers the namespaces on the Api)
    from .cli import register_cli
    from .rest import blueprint

    app.register_blueprint(blueprint)
    CORS(app, resources={r"/api/*": {"origins": settings.cors_origins.split(",")}})
    app.register_error_handler(Exception, handle)
    _health(app, hirfa)
    register_cli(app)
    return app


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
