"""Products over REST, on the same documents as /sync: a listing made here reaches the
phone, and one made offline on the phone shows up here."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sync.rules.access import content_changed, make_check, user_channels
from sync.store.documents import DocumentStore
from sync.store.errors import RevisionConflict

from ..errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from . import list_index, photo_docs
from .accounts import User
from .directory import artisan_cooperative
from .visible_docs import visible_doc


def now_iso() -> str:
    """UTC with milliseconds: the review queue orders by it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def owner_for(store: DocumentStore, user: User, artisan_id: str | None) -> tuple[str, str]:
    """Who the listing belongs to: the artisan herself, or one a coordinator lists for."""
    if user.role == "artisan":
        if artisan_id not in (None, user.id):
            raise Forbidden("An artisan lists her own products only.")
        return user.id, user.cooperative_id or ""
    if user.role in ("coordinator", "admin"):
        if not artisan_id:
            raise BadRequest(
                "Say which artisan this product is for: `artisan_id`.",
                details={"fields": {"artisan_id": ["Required for coordinators."]}},
            )
        coop = artisan_cooperative(store.db, artisan_id)
        if coop is None:
            raise NotFound("No such artisan.", details={"artisan_id": artisan_id})
        return artisan_id, coop
    raise Forbidden("Only artisans and their coordinators list products.")


def create(store: DocumentStore, user: User, data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    owner, coop = owner_for(store, user, data.pop("artisan_id", None))
    doc_id = data.pop("id", None) or f"product:{secrets.token_hex(8)}"
    stamp = now_iso()
    doc = {
        **data,
        "_id": doc_id,
        "type": "product",
        "owner": owner,
        "cooperative": coop,
        "listed_by": user.id,
        "created_at": stamp,
        "updated_at": stamp,
    }
    existing = store.row(doc_id)
    if existing is not None and not existing.deleted:
        raise Conflict("A document with this id already exists.", details={"id": doc_id})
    store.put(doc, check=make_check(user, lambda a: artisan_cooperative(store.db, a)))
    return get(store, user, doc_id)


def get(store: DocumentStore, user: User, doc_id: str) -> dict[str, Any]:
    return visible_doc(store, user, doc_id, "product", "product")


def _check_revision(current: dict[str, Any], if_match: str | None) -> str:
    if not if_match:
        raise PreconditionRequired()
    rev = if_match.strip().removeprefix("W/").strip('"')
    if rev != current["_rev"]:
        raise PreconditionFailed(details={"current": render(None, current)})
    return rev


def update(
    store: DocumentStore, user: User, doc_id: str, if_match: str | None, changes: dict[str, Any]
) -> dict[str, Any]:
    current = get(store, user, doc_id)
    rev = _check_revision(current, if_match)
    body = {k: v for k, v in current.items() if not k.startswith("_")}
    body.update(changes)
    if body.get("status") == "approved" and content_changed(current, body):
        # New content has not been reviewed: the listing leaves the catalogue until a
        # coordinator approves it again. Only its stock may change in place.
        body["status"] = "submitted"
    body["updated_at"] = now_iso()
    try:
        store.put(
            {**body, "_id": doc_id, "_rev": rev},
            check=make_check(user, lambda a: artisan_cooperative(store.db, a)),
        )
    except RevisionConflict as exc:  # changed between our read and our write
        raise PreconditionFailed(
            details={"current": render(None, get(store, user, doc_id))}
        ) from exc
    return get(store, user, doc_id)


def delete(store: DocumentStore, user: User, doc_id: str, if_match: str | None) -> None:
    current = get(store, user, doc_id)
    rev = _check_revision(current, if_match)
    body = {k: v for k, v in current.items() if not k.startswith("_")}
    store.put(
        {**body, "_id": doc_id, "_rev": rev, "_deleted": True},
        check=make_check(user, lambda a: artisan_cooperative(store.db, a)),
    )


def list_mine(
    store: DocumentStore,
    user: User,
    since: int = 0,
    limit: int = 50,
    status: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """The caller's products changed after ``since``, with tombstones, in change order:
    the changes feed of her channels, read from the list index (api/services/list_index.py)."""
    items: list[dict] = []
    deleted: list[str] = []
    visible = user_channels(user)
    with list_index.reading(store) as head:
        for entry in list_index.walk(
            store, visible, "product", since, _arms(status, category), limit + 1
        ):
            if entry.gone:
                deleted.append(entry.id)
            else:
                doc = store.render(entry.row, entry.row.winner) or {}
                if doc.get("type") != "product" or not _matches(doc, status, category):
                    continue
                items.append(doc)
            if len(items) + len(deleted) >= limit:
                more = list_index.changed_after(store, visible, entry.seq)
                return _page(store, items, deleted, entry.seq, more)
        return _page(store, items, deleted, max(since, head), False)


def _arms(status: str | None, category: str | None) -> list[list_index.Arm]:
    """The index ranges a page reads: the products matching the filters, and the ones
    that went (deleted or removed: listed as tombstones whatever the filters)."""
    if status and category:
        return [list_index.with_status_and_category(status, category), list_index.GONE]
    if status:
        return [list_index.with_status(status), list_index.GONE]
    if category:
        return [list_index.with_category(category), list_index.GONE]
    return [list_index.ALL]


def _page(store, items, deleted, cursor: int, more: bool) -> dict[str, Any]:
    return {
        "items": [render(store, d) for d in items],
        "deleted": deleted,
        "next": str(cursor),
        "more": more,
    }


def _matches(doc: dict, status: str | None, category: str | None) -> bool:
    return (status is None or doc.get("status") == status) and (
        category is None or doc.get("category") == category
    )


def render(store: DocumentStore | None, doc: dict[str, Any]) -> dict[str, Any]:
    """A product document as the REST API shows it (photos with their processing state)."""
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    out["id"], out["rev"] = doc["_id"], doc["_rev"]
    out["deleted"] = bool(doc.get("_deleted"))
    if store is not None:
        out["photo_status"] = [
            photo_docs.reference(store, pid, doc.get("owner")) for pid in doc.get("photos", [])
        ]
    return out
