"""Photo documents: metadata that syncs, found by the hash of bytes that travel apart.

A phone may name a photo before its upload has finished; the document says
``pending`` until the media pipeline has the bytes, then the server writes a new
revision with ``ready``, which syncs back to the phone like any other change.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import sqlite_utils

from sync.rules.access import make_check
from sync.store.documents import DocumentStore
from sync.store.errors import DocumentNotFound

from ..errors import Conflict
from . import media, media_replication
from .accounts import User
from .directory import artisan_cooperative
from .visible_docs import visible_doc


def has_media(media_dir: str | Path, sha256: str) -> bool:
    """The pipeline has processed these bytes (it publishes a folder atomically)."""
    return media.load(media_dir, sha256) is not None


def urls(sha256: str) -> dict[str, str]:
    return {"thumb_url": f"/media/{sha256}/thumb", "display_url": f"/media/{sha256}/display"}


def create(
    store: DocumentStore, user: User, data: dict[str, Any], media_dir: str, owner: str, coop: str
) -> dict[str, Any]:
    """A photo document for ``owner``; ready at once if the bytes were already processed."""
    doc_id = data.get("id") or f"photo:{secrets.token_hex(8)}"
    existing = store.row(doc_id)
    if existing is not None and not existing.deleted:
        raise Conflict("A document with this id already exists.", details={"id": doc_id})
    doc = {
        "_id": doc_id,
        "type": "photo",
        "owner": owner,
        "cooperative": coop,
        "sha256": data["sha256"],
        "status": "pending",
    }
    if data.get("product_id"):
        doc["product_id"] = data["product_id"]
    store.put(doc, check=make_check(user, lambda a: artisan_cooperative(store.db, a)))
    if has_media(media_dir, data["sha256"]):
        mark_ready(store, data["sha256"])
    return store.get_doc(doc_id)


def render(doc: dict[str, Any]) -> dict[str, Any]:
    ready = doc.get("status") == "ready"
    out = {
        "id": doc["_id"],
        "rev": doc["_rev"],
        "product_id": doc.get("product_id"),
        "sha256": doc.get("sha256"),
        "status": doc.get("status"),
        "owner": doc.get("owner"),
    }
    out.update(urls(doc["sha256"]) if ready else {"thumb_url": None, "display_url": None})
    return out


def get(store: DocumentStore, user: User, doc_id: str) -> dict[str, Any]:
    return visible_doc(store, user, doc_id, "photo", "photo")


def reference(store: DocumentStore, photo_id: str, owner: str | None) -> dict[str, Any]:
    """How a product shows one of its photos: pending until its bytes are processed.

    Only a photo of the product's own artisan is shown: naming someone else's photo id
    in a listing must not lend it that photo (nor tell whether the id exists).
    """
    try:
        doc = store.get_doc(photo_id)
    except DocumentNotFound:
        doc = {}
    if doc.get("type") != "photo" or doc.get("owner") != owner:
        return {"id": photo_id, "status": "pending", "thumb_url": None, "display_url": None}
    ready = doc.get("status") == "ready" and doc.get("sha256")
    return {
        "id": photo_id,
        "status": "ready" if ready else "pending",
        **(urls(doc["sha256"]) if ready else {"thumb_url": None, "display_url": None}),
    }


def pending_with_hash(db: sqlite_utils.Database, sha256: str) -> list[str]:
    rows = db.execute(
        "SELECT d.id FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
        "WHERE d.deleted = 0 AND json_extract(r.body, '$.type') = 'photo' "
        "AND json_extract(r.body, '$.sha256') = ? "
        "AND json_extract(r.body, '$.status') = 'pending'",
        [sha256],
    ).fetchall()
    return [r[0] for r in rows]


def mark_ready(
    store: DocumentStore, sha256: str, width: int | None = None, height: int | None = None
) -> list[str]:
    """Server write: every pending photo with these bytes becomes ready (a new revision)."""
    updated = []
    for doc_id in pending_with_hash(store.db, sha256):
        doc = store.get_doc(doc_id)
        doc["status"] = "ready"
        if width and height:
            doc["width"], doc["height"] = width, height
        store.put(doc)  # no check: this is the server's own write
        updated.append(doc_id)
    return updated


def ready_if_uploaded(store: DocumentStore, doc_id: str, media_dir: str | Path) -> bool:
    """A pending photo whose bytes the pipeline already has becomes ready: the document
    reached the server after its upload (a phone back online may upload first and sync
    after), so no upload will come to mark it. Returns whether it did."""
    body = store.winner_body(doc_id)
    if not body or body.get("type") != "photo" or body.get("status") != "pending":
        return False
    sha = body.get("sha256")
    info = media.load(media_dir, sha) if isinstance(sha, str) else None
    if info is None:
        return False
    return doc_id in mark_ready(store, info.sha256, info.width, info.height)


def media_ready(store: DocumentStore, info: Any, *, for_hub: bool = False) -> list[str]:
    """Callback for the media pipeline once it has processed ``info.sha256``: the photo
    documents become ready, and, on a server with a hub, the derivatives go in a
    ``media:`` document (api/services/media_replication.py), in the upload's transaction
    like the rest."""
    if for_hub and getattr(info, "variants", None):
        media_replication.publish(store, info)
    return mark_ready(
        store, info.sha256, getattr(info, "width", None), getattr(info, "height", None)
    )
