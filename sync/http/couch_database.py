"""CouchDB's replication protocol at ``/sync``, enough for an unmodified PouchDB.

https://docs.couchdb.org/en/stable/replication/protocol.html . Database-level
endpoints live here; documents, attachments and ``_local`` in couch_documents.py.
Every read goes through the caller's channels: what they may not see does not exist.
"""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, request

from sync.store.database import server_uuid
from sync.store.errors import InvalidInput, StoreError
from sync.store.json_values import check_value

from .couch_json import (
    flag,
    int_param,
    json_body,
    json_param,
    json_response,
    seq_param,
    string_list,
    string_param,
)
from .couch_request import check_db, context
from .errors import CouchError
from .face import current

blueprint = Blueprint("couch_database", __name__)


@blueprint.get("/")
def welcome():
    return json_response(
        {
            "couchdb": "Welcome",
            "version": "3.3.3",
            "vendor": {"name": "Hirfa"},
            "uuid": server_uuid(current().open_store(None).db) or None,
        }
    )


@blueprint.route("/<db>", methods=["GET", "HEAD"], strict_slashes=False)
def db_info(db: str):
    check_db(db)
    ctx = context()
    seq = ctx.store.update_seq()
    return json_response(
        {
            "db_name": db,
            "update_seq": seq,
            "committed_update_seq": seq,
            "purge_seq": 0,
            "doc_count": ctx.store._visible_count(ctx.visible),
            "doc_del_count": 0,
            "instance_start_time": "0",
            "compact_running": False,
            "disk_format_version": 8,
        }
    )


@blueprint.put("/<db>", strict_slashes=False)
def create_db(db: str):
    check_db(db)
    context()
    raise CouchError(
        412, "file_exists", "The database could not be created, the file already exists."
    )


@blueprint.route("/<db>/_changes", methods=["GET", "POST"])
def changes(db: str):
    check_db(db)
    ctx = context()
    body = json_body(required=False) if request.method == "POST" else None
    body = body if isinstance(body, dict) else {}
    since = seq_param(request.args.get("since", body.get("since")))
    if since == -1:
        since = ctx.store.update_seq()
    doc_ids = None
    if request.args.get("filter") == "_doc_ids":
        doc_ids = body.get("doc_ids") if "doc_ids" in body else json_param("doc_ids")
        doc_ids = string_list(doc_ids, "doc_ids")
        check_value(doc_ids, "doc_ids")
    elif request.args.get("filter"):
        raise InvalidInput("only the _doc_ids filter is supported")
    options = {
        "visible": ctx.visible,
        "limit": int_param("limit", None, minimum=1),
        "include_docs": flag("include_docs"),
        "all_leaves": request.args.get("style") == "all_docs",
        "doc_ids": doc_ids,
        "conflicts": flag("conflicts"),
        "attachments_data": flag("attachments"),
    }
    feed = request.args.get("feed", "normal")
    if feed == "normal":
        page = ctx.store.changes(since, **options)
        return json_response(
            {"results": page["results"], "last_seq": page["last_seq"], "pending": page["pending"]}
        )
    if feed not in ("longpoll", "continuous", "eventsource"):
        raise InvalidInput(f"unknown feed {feed!r}")
    return _longpoll(ctx, since, options)


def _longpoll(ctx, since: int, options: dict) -> Response:
    """Answer at once if there are changes; otherwise wait for one, sending a newline every
    ``heartbeat`` ms so proxies and phones keep the connection open."""
    face = current()
    settings = face.settings
    timeout_ms = int_param("timeout", settings.sync_longpoll_max_ms, minimum=0)
    timeout = min(timeout_ms, settings.sync_longpoll_max_ms) / 1000
    heartbeat = int_param("heartbeat", None, minimum=1)
    # The request's connection is closed when the view returns; a streamed answer owns
    # its own connection for as long as it waits.
    store = face.open_store(face.connections.acquire())

    def stream():
        try:
            deadline = time.monotonic() + timeout
            seen = since
            while True:
                page = store.changes(since, **options)
                if page["results"]:
                    break
                seen = max(seen, page["last_seq"])
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                step = min(left, heartbeat / 1000) if heartbeat else left
                if not face.notifier.wait_past(seen, step) and heartbeat:
                    yield "\n"
            yield (
                json.dumps(
                    {
                        "results": page["results"],
                        "last_seq": page["last_seq"],
                        "pending": page["pending"],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
        finally:
            face.connections.release(store.db)

    return Response(stream(), mimetype="application/json")


@blueprint.post("/<db>/_revs_diff")
def revs_diff(db: str):
    check_db(db)
    ctx = context()
    asked = json_body()
    if not isinstance(asked, dict):
        raise InvalidInput("_revs_diff wants {doc id: [revisions]}")
    check_value(asked, "_revs_diff")  # ids (JSON keys: strings) and revisions
    with ctx.store.prefetched(list(asked)):
        return json_response(ctx.store.revs_diff(asked, ctx.visible))


@blueprint.post("/<db>/_bulk_get")
def bulk_get(db: str):
    check_db(db)
    ctx = context()
    body = json_body()
    docs = body.get("docs") if isinstance(body, dict) else None
    if not isinstance(docs, list):
        raise InvalidInput('_bulk_get wants {"docs": [{"id", "rev"}]}')
    options = {
        "revs": flag("revs"),
        "attachments_data": flag("attachments"),
        "latest": flag("latest"),
    }
    if not all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in docs):
        raise InvalidInput("each _bulk_get entry needs an id")
    check_value(docs, "docs")  # ids (strings, checked above), revisions, atts_since
    results = []
    asked = [(item["id"], item["rev"]) for item in docs if isinstance(item.get("rev"), str)]
    with ctx.store.prefetched([item["id"] for item in docs], asked):
        for item in docs:
            doc_id, rev = item["id"], item.get("rev")
            found = _bulk_get_one(ctx, doc_id, rev, item.get("atts_since"), options)
            results.append({"id": doc_id, "docs": found})
    return json_response({"results": results})


def _bulk_get_one(ctx, doc_id, rev, atts_since, options) -> list[dict]:
    removed = ctx.store.removal_stub(doc_id, ctx.visible, revs=options["revs"])
    if removed is not None:
        return [{"ok": removed}]
    revs = [rev] if rev else "all"
    try:
        answers = ctx.store.open_revs(doc_id, revs, ctx.visible, atts_since=atts_since, **options)
    except StoreError as exc:
        return [{"error": {"id": doc_id, "rev": rev, **exc.to_couch()}}]
    if not answers:
        return [
            {
                "error": {
                    "id": doc_id,
                    "rev": rev or "undefined",
                    "error": "not_found",
                    "reason": "missing",
                }
            }
        ]
    return [
        a
        if "ok" in a
        else {
            "error": {"id": doc_id, "rev": a["missing"], "error": "not_found", "reason": "missing"}
        }
        for a in answers
    ]


@blueprint.route("/<db>/_all_docs", methods=["GET", "POST"])
def all_docs(db: str):
    check_db(db)
    ctx = context()
    body = json_body(required=False) if request.method == "POST" else None
    keys = body.get("keys") if isinstance(body, dict) else json_param("keys")
    if keys is not None and not isinstance(keys, list):
        raise InvalidInput("keys must be a JSON list")
    check_value(keys, "keys")  # keys that are no string are answered not_found, as CouchDB
    result = ctx.store.all_docs(
        ctx.visible,
        keys=keys,
        include_docs=flag("include_docs"),
        conflicts=flag("conflicts"),
        limit=int_param("limit"),
        skip=int_param("skip", 0) or 0,
        startkey=string_param("startkey") or string_param("start_key"),
        endkey=string_param("endkey") or string_param("end_key"),
        descending=flag("descending"),
    )
    return json_response(result)


@blueprint.post("/<db>/_bulk_docs")
def bulk_docs(db: str):
    check_db(db)
    ctx = context()
    body = json_body()
    docs = body.get("docs") if isinstance(body, dict) else None
    if not isinstance(docs, list):
        raise InvalidInput('_bulk_docs wants {"docs": [...]}')
    limit = current().settings.sync_max_bulk_docs
    if len(docs) > limit:
        raise CouchError(
            413, "too_large", f"{len(docs)} documents in one request; send at most {limit}"
        )
    new_edits = body.get("new_edits", True) is not False
    _check_sizes(docs, len(request.get_data(cache=True)))
    results = ctx.store.bulk_docs(docs, new_edits=new_edits, check=ctx.check())
    out = []
    for result in results:
        result.pop("exception", None)
        # CouchDB answers new_edits=false with the errors only.
        if new_edits or "error" in result:
            out.append(result)
    return json_response(out, 201)


# json.dumps of a parsed document is at most 4.5 times the bytes it was parsed from:
# ", " and ": " double a separator byte, "\u00e9" triples a 2-byte character, and
# "1e15" (4 bytes) comes back as "1000000000000000.0" (18). So a request whose body
# is under a fifth of the limit holds no document over it, and is not re-serialised.
_EXPANSION = 5


def _check_sizes(docs: list, body_bytes: int) -> None:
    limit = current().settings.sync_max_doc_bytes
    depth = current().settings.sync_revs_limit
    measure = body_bytes * _EXPANSION > limit
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        revisions = doc.get("_revisions")
        ids = revisions.get("ids") if isinstance(revisions, dict) else None
        if isinstance(ids, list) and len(ids) > depth:
            raise CouchError(
                413,
                "too_large",
                f"document {doc.get('_id')!r} has a revision history deeper than {depth}",
            )
        if not measure:
            continue
        fields = {k: v for k, v in doc.items() if k != "_attachments"}
        if len(json.dumps(fields)) > limit:
            raise CouchError(
                413, "too_large", f"document {doc.get('_id')!r} is larger than {limit} bytes"
            )
