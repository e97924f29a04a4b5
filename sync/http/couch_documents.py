"""CouchDB-protocol document endpoints: GET/PUT/DELETE a document, its attachments, and
``_local`` documents (replication checkpoints, kept per user)."""

from __future__ import annotations

import base64
import secrets

from flask import Blueprint, Response, request

from sync.store.errors import DocumentNotFound, InvalidInput

from .couch_json import flag, json_body, json_param, json_response
from .couch_request import check_db, context
from .errors import CouchError
from .face import current

blueprint = Blueprint("couch_documents", __name__)


def _revision_list(name: str) -> list[str] | None:
    value = json_param(name)
    if value is not None and not (
        isinstance(value, list) and all(isinstance(r, str) for r in value)
    ):
        raise InvalidInput(f"{name} must be a JSON list of revisions")
    return value


def _write(ctx, doc: dict, new_edits: bool = True) -> Response:
    [result] = ctx.store.bulk_docs([doc], new_edits=new_edits, check=ctx.check())
    if "error" in result:
        raise result["exception"]
    return json_response(
        {"ok": True, "id": result["id"], "rev": result["rev"]}, 201, {"ETag": f'"{result["rev"]}"'}
    )


@blueprint.post("/<db>", strict_slashes=False)
def post_doc(db: str):
    check_db(db)
    ctx = context()
    doc = json_body()
    if not isinstance(doc, dict):
        raise InvalidInput("the document must be a JSON object")
    doc.setdefault("_id", secrets.token_hex(16))
    return _write(ctx, doc)


@blueprint.route("/<db>/_local/<path:doc_id>", methods=["GET", "PUT", "DELETE"])
def local_doc(db: str, doc_id: str):
    check_db(db)
    ctx = context()
    scope = ctx.user.id  # checkpoints are per user: nobody reads another's
    if request.method == "GET":
        return json_response(ctx.store.local_get(scope, doc_id))
    if request.method == "DELETE":
        ctx.store.local_delete(scope, doc_id, request.args.get("rev"))
        return json_response({"ok": True, "id": f"_local/{doc_id}", "rev": "0-0"})
    doc = json_body()
    if not isinstance(doc, dict):
        raise InvalidInput("the document must be a JSON object")
    rev = ctx.store.local_put(scope, doc_id, doc)
    return json_response({"ok": True, "id": f"_local/{doc_id}", "rev": rev}, 201)


@blueprint.route("/<db>/<doc_id>", methods=["GET", "HEAD"])
def get_doc(db: str, doc_id: str):
    check_db(db)
    ctx = context()
    options = {
        "revs": flag("revs"),
        "conflicts": flag("conflicts"),
        "deleted_conflicts": flag("deleted_conflicts"),
        "attachments_data": flag("attachments"),
        "atts_since": _revision_list("atts_since"),
    }
    open_revs = request.args.get("open_revs")
    if open_revs is not None:
        revs = "all" if open_revs == "all" else json_param("open_revs")
        removed = ctx.store.removal_stub(doc_id, ctx.visible, revs=flag("revs"))
        if removed is not None:
            return json_response([{"ok": removed}])
        options.pop("conflicts")
        options.pop("deleted_conflicts")
        # JSON even when multipart was asked for, as pouchdb-server does; PouchDB reads it.
        return json_response(
            ctx.store.open_revs(doc_id, revs, ctx.visible, latest=flag("latest"), **options)
        )
    doc = ctx.store.get_doc(
        doc_id, ctx.visible, rev=request.args.get("rev"), latest=flag("latest"), **options
    )
    return json_response(doc, headers={"ETag": f'"{doc["_rev"]}"'})


@blueprint.put("/<db>/<doc_id>")
def put_doc(db: str, doc_id: str):
    check_db(db)
    ctx = context()
    doc = json_body()
    if not isinstance(doc, dict):
        raise InvalidInput("the document must be a JSON object")
    doc["_id"] = doc_id
    if request.args.get("rev") and "_rev" not in doc:
        doc["_rev"] = request.args["rev"]
    return _write(ctx, doc, new_edits=request.args.get("new_edits") != "false")


@blueprint.delete("/<db>/<doc_id>")
def delete_doc(db: str, doc_id: str):
    check_db(db)
    ctx = context()
    rev = request.args.get("rev") or request.headers.get("If-Match", "").strip('"')
    if not rev:
        raise CouchError(409, "conflict", "Document update conflict: give the rev to delete")
    current = ctx.store.get_doc(doc_id, ctx.visible, rev=rev)
    tombstone = {"_id": doc_id, "_rev": rev, "_deleted": True}
    # Keep the fields the access rules read (owner, type): a deletion is checked against
    # the document it deletes.
    tombstone.update({k: v for k, v in current.items() if not k.startswith("_")})
    return _write(ctx, tombstone)


@blueprint.route("/<db>/<doc_id>/<path:name>", methods=["GET", "HEAD"])
def get_attachment(db: str, doc_id: str, name: str):
    check_db(db)
    ctx = context()
    stub, data = ctx.store.get_attachment(doc_id, name, ctx.visible, rev=request.args.get("rev"))
    response = Response(data, mimetype=stub["content_type"])
    response.headers["ETag"] = f'"{stub["digest"]}"'
    md5 = stub["digest"].removeprefix("md5-")
    response.headers["Content-MD5"] = md5
    return response


@blueprint.put("/<db>/<doc_id>/<path:name>")
def put_attachment(db: str, doc_id: str, name: str):
    check_db(db)
    ctx = context()
    data = request.get_data()
    limit = current().settings.sync_max_attachment_bytes
    if len(data) > limit:
        raise CouchError(413, "too_large", f"attachment is larger than {limit} bytes")
    rev = request.args.get("rev") or request.headers.get("If-Match", "").strip('"') or None
    try:
        doc = ctx.store.get_doc(doc_id, ctx.visible, rev=rev) if rev else {"_id": doc_id}
    except DocumentNotFound:
        if rev:
            raise
        doc = {"_id": doc_id}
    atts = dict(doc.get("_attachments") or {})
    atts[name] = {
        "content_type": request.content_type or "application/octet-stream",
        "data": base64.b64encode(data).decode(),
    }
    doc["_attachments"] = atts
    return _write(ctx, doc)
