"""HTTP for the compact protocol and the first-sync snapshot, next to the CouchDB endpoints.

``POST /sync/<db>/_sync`` (sync/compact/batch.py) and ``GET /sync/<db>/_snapshot``
(sync/compact/snapshot.py), with CouchDB's ``{"error", "reason"}`` error shape like the rest of
``/sync``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request
from marshmallow import ValidationError

from schemas.compact_sync import SyncRequestSchema
from sync.compact import batch, snapshot
from sync.store.errors import InvalidInput
from sync.store.json_values import check_value

from . import compression
from .couch_json import json_response
from .couch_request import SyncContext, check_db, context
from .face import current

blueprint = Blueprint("compact", __name__)

_REQUEST_SCHEMA = SyncRequestSchema()


def limits() -> batch.Limits:
    settings = current().settings
    return batch.Limits(
        page_bytes=settings.compact_sync_page_bytes,
        max_page_bytes=settings.compact_sync_max_page_bytes,
        max_docs=settings.sync_max_bulk_docs,
        max_doc_bytes=settings.sync_max_doc_bytes,
        revs_limit=settings.sync_revs_limit,
        request_ttl_s=settings.compact_sync_request_ttl_seconds,
    )


def parse_request() -> dict[str, Any]:
    """The request body (gzip or not), checked by SyncRequestSchema."""
    raw = compression.request_body()
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidInput("the body must be JSON") from exc
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    # The documents are checked one by one by the store, so one bad document spoils no
    # other; the rest of the request (cursor, device, request id) must be sound as a whole.
    check_value({k: v for k, v in data.items() if k != "docs"})
    try:
        return _REQUEST_SCHEMA.load(data)
    except ValidationError as exc:
        raise InvalidInput(f"invalid request: {exc.messages}") from exc


def run(ctx: SyncContext, parsed: dict[str, Any]) -> dict[str, Any]:
    return batch.sync(ctx.store, ctx.user.id, ctx.visible, ctx.check(), parsed, limits())


@blueprint.post("/<db>/_sync")
def compact_sync(db: str):
    check_db(db)
    ctx = context()
    return json_response(run(ctx, parse_request()))


@blueprint.get("/<db>/_snapshot")
def first_sync_snapshot(db: str):
    check_db(db)
    ctx = context()
    after = request.args.get("after") or None
    revs = request.args.get("revs") in ("true", "1")
    face = current()
    gzip = compression.client_accepts_gzip()
    level = face.settings.gzip_level
    # The stream outlives the view (like a longpoll): it owns its connection.
    conn = face.connections.acquire()
    lines = snapshot.lines(face.open_store(conn), ctx.visible, after, revs)

    def body():
        try:
            yield from compression.gzip_stream(lines, level) if gzip else lines
        finally:
            lines.close()
            face.connections.release(conn)

    response = Response(body(), mimetype="application/x-ndjson")
    response.vary.add("Accept-Encoding")
    if gzip:
        response.headers["Content-Encoding"] = "gzip"
    return response
