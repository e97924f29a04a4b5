"""HTTP for the compact protocol and the first-sync snapshot, next to the CouchDB endpoints.

``POST /sync/<db>/_sync`` (sync/batch.py) and ``GET /sync/<db>/_snapshot``
(sync/snapshot.py), with CouchDB's ``{"error", "reason"}`` error shape like the rest of
``/sync``. Importing this module also turns on gzip for every ``/sync`` answer when the
client accepts it (sync/compression.py).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request
from marshmallow import ValidationError

from schemas.compact_sync import SyncRequestSchema

from . import batch, compression, snapshot
from .couch_http import SyncContext, check_db, context, json_response, open_store, sync_settings
from .couch_protocol import blueprint
from .errors import BadRequest

# The smallest hook: CouchDB-protocol answers (``_changes``, ``_bulk_get``, ...) are
# compressed too, for PouchDB and any client that sends Accept-Encoding: gzip.
blueprint.after_request(compression.gzip_response)

_REQUEST_SCHEMA = SyncRequestSchema()


def limits() -> batch.Limits:
    settings = sync_settings()
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
        raise BadRequest("the body must be JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    try:
        return _REQUEST_SCHEMA.load(data)
    except ValidationError as exc:
        raise BadRequest(f"invalid request: {exc.messages}") from exc


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
    hirfa = current_app.extensions["hirfa"]
    gzip = compression.client_accepts_gzip()
    level = hirfa.settings.gzip_level
    # The stream outlives the view (like a longpoll): it owns its connection.
    conn = hirfa.pool.acquire()
    lines = snapshot.lines(open_store(conn), ctx.visible, after)

    def body():
        try:
            yield from compression.gzip_stream(lines, level) if gzip else lines
        finally:
            lines.close()
            hirfa.pool.release(conn)

    response = Response(body(), mimetype="application/x-ndjson")
    response.vary.add("Accept-Encoding")
    if gzip:
        response.headers["Content-Encoding"] = "gzip"
    return response
