"""The public directory as documents: ``cooperative:<id>`` and ``artisan:<user id>``.

The accounts tables stay local; what anyone may read about a cooperative or an artisan
travels as these documents, so phones, the hub and every other server have it. The
server writes the fields its tables hold (names, region, crafts, a display name) in the
same transaction as the rows; the rest (story, photos, visiting information) is edited
by the cooperative over REST or /sync and kept as it is.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from sync.rules.access import DIRECTORY_PREFIXES, Reader, make_check
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore
from sync.store.errors import RevisionConflict, WriteForbidden

from ..errors import NotFound, PreconditionFailed, PreconditionRequired
from ..stores import document_store
from . import photo_docs
from .directory import artisan_cooperative

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Server:
    """The server writing from its own tables: every rule and schema applies, as to an
    admin (the tables are the authority on names and cooperatives)."""

    id: str = "server"
    role: str = "admin"
    cooperative_ids: tuple[str, ...] = ()


SERVER = _Server()


def cooperative_doc_id(cooperative_id: str) -> str:
    return f"{DIRECTORY_PREFIXES['cooperative']}{cooperative_id}"


def artisan_doc_id(user_id: str) -> str:
    return f"{DIRECTORY_PREFIXES['artisan']}{user_id}"


def _now_iso() -> str:
    """ISO 8601 in UTC with milliseconds, as products and orders are stamped."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def body(db: sqlite_utils.Database, doc_id: str) -> dict[str, Any] | None:
    """The winning body of a live document, read straight from the store's tables."""
    row = db.execute(
        "SELECT r.body FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
        "WHERE d.id = ? AND d.deleted = 0",
        [doc_id],
    ).fetchone()
    return json.loads(row[0]) if row and row[0] else None


def cooperative(db: sqlite_utils.Database, cooperative_id: str | None) -> dict[str, Any] | None:
    """A cooperative's public profile, or None (no document here yet)."""
    if not cooperative_id:
        return None
    found = body(db, cooperative_doc_id(cooperative_id))
    return found if found and found.get("type") == "cooperative" else None


def artisan(db: sqlite_utils.Database, user_id: str | None) -> dict[str, Any] | None:
    """An artisan's public profile, or None."""
    if not user_id:
        return None
    found = body(db, artisan_doc_id(user_id))
    return found if found and found.get("type") == "artisan" else None


def cooperative_names(db: sqlite_utils.Database, coop_id: Any) -> dict[str, Any] | None:
    """name_ar, name_fr, name_en and region: from the directory, else this server's row."""
    profile = cooperative(db, coop_id if isinstance(coop_id, str) else None)
    if profile is not None:
        name = profile.get("name") or {}
        names = {f"name_{lang}": name.get(lang) for lang in ("ar", "fr", "en")}
        return {**names, "region": profile.get("region")}
    row = db.execute(
        "SELECT name_ar, name_fr, region FROM cooperatives WHERE id = ?", [coop_id]
    ).fetchone()
    return {"name_ar": row[0], "name_fr": row[1], "region": row[2]} if row else None


def _photo_urls(db: sqlite_utils.Database, photo_ids: Any, cooperative_id: str) -> list[dict]:
    """Display URLs of the ready photos named, only those of this cooperative's artisans."""
    found = []
    for photo_id in (photo_ids or [])[:12]:
        photo = body(db, photo_id) if isinstance(photo_id, str) else None
        ours = photo and photo.get("type") == "photo" and photo.get("cooperative") == cooperative_id
        if ours and photo.get("status") == "ready" and photo.get("sha256"):
            found.append(photo_docs.urls(photo["sha256"]))
    return found


def public_cooperative(db: sqlite_utils.Database, cooperative_id: str) -> dict[str, Any] | None:
    """What /c/{cooperative} shows: its document (the hub's, if this server has no row),
    else its row; photos as URLs of ready photos; None if this server knows neither."""
    profile = cooperative(db, cooperative_id)
    if profile is None:
        row = db.execute(
            "SELECT name_ar, name_fr, region, categories FROM cooperatives WHERE id = ?",
            [cooperative_id],
        ).fetchone()
        if row is None:
            return None
        name = {lang: value for lang, value in zip(("ar", "fr"), row[:2], strict=True) if value}
        profile = {"name": name, "region": row[2], "crafts": json.loads(row[3])}
    return {
        "id": cooperative_id,
        "name": profile.get("name") or {},
        "region": profile.get("region"),
        "commune": profile.get("commune"),
        "crafts": profile.get("crafts") or [],
        "story": profile.get("story") or {},
        "visiting": profile.get("visiting") or {},
        "visiting_hours": profile.get("visiting_hours") or [],
        "home_server": profile.get("home_server"),
        "contacts": profile.get("contacts") or [],
        "photos": _photo_urls(db, profile.get("photos"), cooperative_id),
    }


def _store(db: sqlite_utils.Database) -> DocumentStore:
    # Bound to the caller's connection and transaction (services and migrations are
    # given a connection, not the app): the default settings hold for these small
    # documents, and the replication worker and the longpolls see the write by the
    # update sequence.
    return document_store(db)


def _write(db: sqlite_utils.Database, doc_id: str, kind: str, fields: dict[str, Any]) -> None:
    """Create the document, or bring the table's fields up to date in it."""
    store = _store(db)
    row = store.row(doc_id)
    current = None
    if row is not None and not row.deleted:
        current = store.get_doc(doc_id)
    if current is not None and all(current.get(k) == v for k, v in fields.items()):
        return
    stamp = _now_iso()
    base = current or {"_id": doc_id, "type": kind, "created_at": stamp}
    body = {**base, **fields, "updated_at": stamp}
    check = make_check(SERVER, lambda a: artisan_cooperative(db, a))
    with write_transaction(db):
        store.put(body, check=check)


def write_cooperative(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    """From a ``cooperatives`` row (categories as a list or as its JSON)."""
    crafts = row.get("categories") or []
    if isinstance(crafts, str):
        crafts = json.loads(crafts)
    name = {lang: row[f"name_{lang}"] for lang in ("ar", "fr") if row.get(f"name_{lang}")}
    fields = {"cooperative": row["id"], "name": name, "region": row["region"]}
    if crafts:
        fields["crafts"] = list(crafts)
    _write(db, cooperative_doc_id(row["id"]), "cooperative", fields)


def write_artisan(db: sqlite_utils.Database, user_id: str) -> None:
    """From the artisan's ``users`` row: her display name and cooperative, nothing else."""
    found = db.execute(
        "SELECT display_name, cooperative_id FROM users WHERE id = ? AND role = 'artisan'",
        [user_id],
    ).fetchone()
    if found is None or not found[1]:
        return
    fields = {"display_name": found[0], "cooperative": found[1]}
    _write(db, artisan_doc_id(user_id), "artisan", fields)


def write_all(db: sqlite_utils.Database) -> None:
    """Every cooperative's and artisan's document, from the tables (the migration). A row
    the document's schema refuses (a name too long, a region no longer in the taxonomy)
    is left out with a warning: it must not keep the server from starting."""
    for row in db.query("SELECT * FROM cooperatives ORDER BY id"):
        _skipping_refusals(write_cooperative, db, row, row["id"])
    for (user_id,) in db.execute(
        "SELECT id FROM users WHERE role = 'artisan' AND cooperative_id IS NOT NULL ORDER BY id"
    ).fetchall():
        _skipping_refusals(write_artisan, db, user_id, user_id)


def _skipping_refusals(write, db: sqlite_utils.Database, what: Any, name: str) -> None:
    try:
        write(db, what)
    except WriteForbidden as exc:
        log.warning("directory: no document for %s: %s", name, exc)


# Over REST (api/resources/directory.py): read by anyone, written with If-Match.

DOC_IDS = {"cooperative": cooperative_doc_id, "artisan": artisan_doc_id}


def render(doc: dict[str, Any]) -> dict[str, Any]:
    """A profile document as the REST API answers it: ``id`` and ``rev`` for the CouchDB
    names, ``type`` left out (the path says it)."""
    out = {k: v for k, v in doc.items() if not k.startswith("_") and k != "type"}
    return {**out, "id": doc["_id"], "rev": doc["_rev"]}


def get_profile(store: DocumentStore, kind: str, key: str) -> dict[str, Any]:
    doc_id = DOC_IDS[kind](key)
    row = store.row(doc_id)
    found = store.get_doc(doc_id) if row is not None and not row.deleted else None
    if found is None or found.get("type") != kind:
        raise NotFound(f"No such {kind} in the directory.", details={"id": key})
    return found


def put_profile(
    store: DocumentStore,
    user: Reader,
    kind: str,
    key: str,
    if_match: str | None,
    fields: dict[str, Any],
) -> dict[str, Any]:
    """Replace the profile's fields; what the rules refuse is a 403 with their reason."""
    current = get_profile(store, kind, key)
    if not if_match or not if_match.strip():
        raise PreconditionRequired()
    rev = if_match.strip().removeprefix("W/").strip('"')
    if rev != current["_rev"]:
        raise PreconditionFailed(details={"current": render(current)})
    kept = {k: current[k] for k in ("type", "cooperative", "created_at") if k in current}
    body = {**kept, **fields, "updated_at": _now_iso(), "_id": current["_id"], "_rev": rev}
    try:
        store.put(body, check=make_check(user, lambda a: artisan_cooperative(store.db, a)))
    except RevisionConflict as exc:  # changed between our read and our write
        raise PreconditionFailed(
            details={"current": render(get_profile(store, kind, key))}
        ) from exc
    return get_profile(store, kind, key)
