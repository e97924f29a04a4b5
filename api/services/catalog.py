"""The public catalogue: approved products only, public fields only, searchable.

An index (catalog_products + FTS5) kept up to date from the document store's sequence
before each read, like a CouchDB view: however a product became approved (REST, a
phone's sync, the replicator), it appears; however it stopped being so, it goes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import sqlite_utils

from sync.store.database import write_transaction

from ..errors import NotFound
from . import catalog_cursor, catalog_version, directory_docs, photo_docs
from .ledger import reads as ledger_reads
from .text_search import fts_query, tokens

log = logging.getLogger(__name__)

SORTS = ("newest", "price_asc", "price_desc", "relevance")
DISABLED = "SELECT id FROM users WHERE disabled_at IS NOT NULL"
PAGE_MAX = 60


def _state(db: sqlite_utils.Database, key: str) -> int:
    return db.execute("SELECT value FROM catalog_state WHERE key = ?", [key]).fetchone()[0]


def refresh(db: sqlite_utils.Database) -> int:
    """Index what changed since the last read; returns how many documents were looked at."""
    seen = 0
    while True:
        since = _state(db, "indexed_seq")
        rows = db.execute(
            "SELECT d.id, d.seq, d.deleted, r.body FROM docs d "
            "LEFT JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
            "WHERE d.seq > ? ORDER BY d.seq LIMIT 500",
            [since],
        ).fetchall()
        if not rows:
            return seen
        with write_transaction(db):
            if _state(db, "indexed_seq") != since:  # another request indexed them
                continue
            changed = False
            for doc_id, seq, deleted, body in rows:
                doc = json.loads(body) if body else {}
                if doc.get("type") in ("cooperative", "artisan"):
                    # Names are read live from the directory (_live): a new name changes
                    # the pages, though no product row changed.
                    changed = True
                    continue
                if doc.get("type") == "material_movement":
                    # A product page shows its lots' production, read live: a batch (or
                    # its reversal) changes the pages of its cooperative's products.
                    changed = changed or (
                        doc.get("kind") in ("batch", "reversal")
                        and _coop_has_products(db, doc.get("cooperative"))
                    )
                    continue
                if doc.get("type") == "photo":
                    # Pages show a product's first ready photo, read live: a photo that
                    # turns ready (or goes) changes them, though no product row changed.
                    changed = changed or _has_products(db, doc.get("owner"))
                    continue
                listed = not deleted and doc.get("type") == "product"
                if listed and doc.get("status") == "approved" and _indexed(db, doc_id, seq, doc):
                    changed = True
                elif db.execute("DELETE FROM catalog_products WHERE id = ?", [doc_id]).rowcount:
                    db.execute("DELETE FROM catalog_fts WHERE id = ?", [doc_id])
                    changed = True
            db.execute(
                "UPDATE catalog_state SET value = ? WHERE key = 'indexed_seq'", [rows[-1][1]]
            )
            if changed:
                catalog_version.bump(db)
        seen += len(rows)


def _has_products(db: sqlite_utils.Database, owner: Any) -> bool:
    return (
        db.execute("SELECT 1 FROM catalog_products WHERE owner = ? LIMIT 1", [owner]).fetchone()
        is not None
    )


def _coop_has_products(db: sqlite_utils.Database, cooperative: Any) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM catalog_products WHERE cooperative = ? LIMIT 1", [cooperative]
        ).fetchone()
        is not None
    )


def _indexed(db: sqlite_utils.Database, doc_id: str, seq: int, doc: dict[str, Any]) -> bool:
    """Index one product; a document the index cannot hold (from an older server or the
    hub, say a price beyond SQLite's integers) is left out, never fatal for the others."""
    try:
        with write_transaction(db):
            _upsert(db, doc_id, seq, doc)
    except (OverflowError, TypeError, ValueError, KeyError) as exc:
        log.warning("catalogue: skipped %s: %s", doc_id, exc)
        return False
    return True


def _public(db: sqlite_utils.Database, doc_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    """Only what a buyer may see: never a phone number, never an original photo."""
    artisan = _artisan_name(db, doc.get("owner"))
    coop = directory_docs.cooperative_names(db, doc.get("cooperative"))
    stock = doc.get("stock") or {}
    return {
        "id": doc_id,
        "title": doc.get("title") or {},
        "description": doc.get("description") or {},
        "story": doc.get("story") or {},
        "category": doc.get("category"),
        "materials": doc.get("materials") or [],
        "technique": doc.get("technique"),
        "dimensions": doc.get("dimensions"),
        "price_centimes": doc.get("price_centimes"),
        "currency": "MAD",
        "options": doc.get("options") or [],
        "stock_mode": stock.get("mode", "in_stock"),
        "production_days": stock.get("production_days"),
        "photos": doc.get("photos") or [],
        "lots": doc.get("lots") or [],
        "region": doc.get("region") or (coop or {}).get("region"),
        "artisan": {"id": doc.get("owner"), "display_name": artisan},
        "cooperative": {
            "id": doc.get("cooperative"),
            "name_ar": (coop or {}).get("name_ar"),
            "name_fr": (coop or {}).get("name_fr"),
        },
        "url": f"/p/{doc_id}",
    }


def _artisan_name(db: sqlite_utils.Database, artisan_id: Any) -> str | None:
    """From her directory document (which the hub brings), else this server's account."""
    profile = directory_docs.artisan(db, artisan_id if isinstance(artisan_id, str) else None)
    if profile is not None:
        return profile.get("display_name")
    row = db.execute("SELECT display_name FROM users WHERE id = ?", [artisan_id]).fetchone()
    return row[0] if row else None


def _upsert(db: sqlite_utils.Database, doc_id: str, seq: int, doc: dict[str, Any]) -> None:
    public = _public(db, doc_id, doc)
    stock = doc.get("stock") or {}
    available = stock.get("mode") == "made_to_order" or stock.get("quantity", 1) > 0
    db.execute(
        "INSERT OR REPLACE INTO catalog_products (id, seq, cooperative, owner, region, category,"
        " price_centimes, customisable, available, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            doc_id,
            seq,
            doc["cooperative"],
            doc["owner"],
            public["region"],
            doc["category"],
            doc.get("price_centimes"),
            int(bool(doc.get("options"))),
            int(available),
            json.dumps(public, ensure_ascii=False),
        ],
    )
    texts = [
        t.get(lang, "")
        for t in (public["title"], public["description"])
        for lang in ("ar", "fr", "en")
    ]
    db.execute("DELETE FROM catalog_fts WHERE id = ?", [doc_id])
    db.execute(
        "INSERT INTO catalog_fts (id, body) VALUES (?, ?)",
        [doc_id, " ".join(tokens(" ".join(texts)))],
    )


def version(db: sqlite_utils.Database) -> int:
    return catalog_version.current(db)


def etag(db: sqlite_utils.Database, params: dict[str, Any]) -> str:
    raw = json.dumps([version(db), sorted(params.items())], default=str)
    return 'W/"' + hashlib.sha256(raw.encode()).hexdigest()[:20] + '"'


def search(db: sqlite_utils.Database, filters: dict[str, Any]) -> dict[str, Any]:
    """One page of the catalogue; ``filters`` are the parsed query parameters."""
    # A disabled artisan's products leave the catalogue with her (they stay indexed, so
    # enabling her again brings them back).
    where, params = [f"c.owner NOT IN ({DISABLED})"], []
    for column in ("category", "region", "cooperative"):
        if filters.get(column):
            where.append(f"c.{column} = ?")
            params.append(filters[column])
    if filters.get("min_price") is not None:
        where.append("c.price_centimes >= ?")
        params.append(filters["min_price"])
    if filters.get("max_price") is not None:
        where.append("c.price_centimes <= ?")
        params.append(filters["max_price"])
    for flag in ("customisable", "available"):
        if filters.get(flag):
            where.append(f"c.{flag} = 1")
    query = fts_query(filters["q"]) if filters.get("q") else None
    sort = filters.get("sort") or ("relevance" if query else "newest")
    if sort == "relevance" and not query:
        sort = "newest"
    join, rank = "", "0"
    if query:
        join = "JOIN catalog_fts f ON f.id = c.id AND catalog_fts MATCH ?"
        params.insert(0, query)
        rank = "bm25(catalog_fts)"
    limit = filters.get("limit") or 24
    cursor = catalog_cursor.decode(filters.get("cursor"), sort)
    order, keyset = _ordering(sort, cursor)
    if keyset:
        where.append(keyset[0])
        params += keyset[1]
    sql = (
        f"SELECT c.id, c.seq, c.price_centimes, c.data, {rank} AS rank FROM catalog_products "
        f"c {join} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ? OFFSET ?"
    )
    offset = cursor[0] if sort == "relevance" and cursor else 0
    rows = db.execute(sql, [*params, limit + 1, offset]).fetchall()
    page, more = rows[:limit], len(rows) > limit
    items = [_live(db, json.loads(r[3])) for r in page]
    next_cursor = None
    if more:
        last = page[-1]
        next_cursor = catalog_cursor.encode(
            [offset + limit]
            if sort == "relevance"
            else [last[2] if sort.startswith("price") else last[1], last[0]]
        )
    return {"items": items, "next": next_cursor, "sort": sort}


# sort -> (key expression, direction). Unpriced products sort last either way.
_KEYS = {
    "newest": ("c.seq", "DESC"),
    "price_asc": ("COALESCE(c.price_centimes, 9223372036854775807)", "ASC"),
    "price_desc": ("COALESCE(c.price_centimes, -1)", "DESC"),
}
_UNPRICED = {"price_asc": 9223372036854775807, "price_desc": -1}


def _ordering(sort: str, cursor: list | None) -> tuple[str, tuple[str, list] | None]:
    """ORDER BY and the keyset condition that starts after ``cursor`` (value, id)."""
    if sort == "relevance":
        return "rank, c.id", None
    key, direction = _KEYS[sort]
    if not cursor:
        return f"{key} {direction}, c.id", None
    value = _UNPRICED[sort] if cursor[0] is None and sort in _UNPRICED else cursor[0]
    after = "<" if direction == "DESC" else ">"
    return f"{key} {direction}, c.id", (
        f"({key} {after} ? OR ({key} = ? AND c.id > ?))",
        [value, value, cursor[1]],
    )


def _live(db: sqlite_utils.Database, item: dict[str, Any]) -> dict[str, Any]:
    """What may change after indexing, read now: names, and the first ready photo."""
    artisan = _artisan_name(db, item["artisan"]["id"])
    if artisan is not None:
        item["artisan"]["display_name"] = artisan
    coop = directory_docs.cooperative_names(db, item["cooperative"]["id"])
    if coop is not None:
        item["cooperative"]["name_ar"] = coop["name_ar"]
        item["cooperative"]["name_fr"] = coop["name_fr"]
    return _with_thumb(db, item)


def _with_thumb(db: sqlite_utils.Database, item: dict[str, Any]) -> dict[str, Any]:
    """The first ready photo's thumbnail (photos become ready after indexing)."""
    item["thumb_url"] = None
    for photo_id in item.get("photos", [])[:3]:
        row = db.execute(
            "SELECT r.body FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
            "WHERE d.id = ? AND d.deleted = 0",
            [photo_id],
        ).fetchone()
        photo = json.loads(row[0]) if row and row[0] else {}
        mine = photo.get("type") == "photo" and photo.get("owner") == item["artisan"]["id"]
        if mine and photo.get("status") == "ready" and photo.get("sha256"):
            item["thumb_url"] = photo_docs.urls(photo["sha256"])["thumb_url"]
            item["display_url"] = photo_docs.urls(photo["sha256"])["display_url"]
            break
    return item


def product(db: sqlite_utils.Database, product_id: str) -> dict[str, Any]:
    row = db.execute(
        f"SELECT data FROM catalog_products WHERE id = ? AND owner NOT IN ({DISABLED})",
        [product_id],
    ).fetchone()
    if row is None:
        raise NotFound("No such product in the catalogue.", details={"id": product_id})
    item = _live(db, json.loads(row[0]))
    # The lots it names that an active batch produced, with their production date, read
    # live: a batch may sync after the listing, or be reversed.
    item["lots"] = ledger_reads.lots(db, item["cooperative"]["id"], item.get("lots") or [])
    return item
