"""What the replicator tests share: a store on a file, documents, and snapshots of the
revision trees and winners of a store and of the hub, to compare them."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import requests

from api import migrations
from sync.rules.access import channels_for
from sync.store import revtree
from sync.store.database import connect
from sync.store.documents import ChangeNotifier, DocumentStore

COOP, ARTISAN = "coop-taza-zerbia", "art_fatima"


def new_store(path: Path) -> DocumentStore:
    db = connect(path)
    migrations.migrate(db)
    return DocumentStore(db, channels_for, notifier=ChangeNotifier())


def product(i: int | str, **fields: Any) -> dict[str, Any]:
    return {
        "_id": f"product:{i}",
        "type": "product",
        "owner": ARTISAN,
        "cooperative": COOP,
        "title": {"fr": f"Zerbia {i}"},
        "category": "carpets",
        "status": "draft",
        "updated_at": "2026-11-22T09:00:00Z",
        **fields,
    }


def attachment(text: str) -> dict[str, Any]:
    return {"content_type": "text/plain", "data": base64.b64encode(text.encode()).decode()}


def local_trees(store: DocumentStore) -> dict[str, dict[str, Any]]:
    """{doc id: {leaf: ancestry}} for every document of the store."""
    ids = [r[0] for r in store.db.execute("SELECT id FROM docs").fetchall()]
    out = {}
    for doc_id in ids:
        tree = store.row(doc_id).tree
        out[doc_id] = {leaf: tuple(revtree.ancestry(tree, leaf)) for leaf in revtree.leaves(tree)}
    return out


def remote_trees(url: str) -> dict[str, dict[str, Any]]:
    """The same snapshot read from the hub: every leaf and its _revisions."""
    feed = requests.get(f"{url}/_changes", params={"style": "all_docs"}, timeout=10).json()
    out = {}
    for row in feed["results"]:
        leaves = requests.get(
            f"{url}/{requests.utils.quote(row['id'], safe='')}",
            params={"open_revs": "all", "revs": "true"},
            headers={"Accept": "application/json"},
            timeout=10,
        ).json()
        out[row["id"]] = {}
        for entry in leaves:
            doc = entry["ok"]
            start, ids = doc["_revisions"]["start"], doc["_revisions"]["ids"]
            out[row["id"]][doc["_rev"]] = tuple(f"{start - n}-{h}" for n, h in enumerate(ids))
    return out


def winners(url: str) -> dict[str, tuple[str, list[str]]]:
    """{doc id: (winning rev, _conflicts)} as the hub reports them."""
    rows = requests.get(
        f"{url}/_all_docs", params={"include_docs": "true", "conflicts": "true"}, timeout=10
    ).json()["rows"]
    return {r["id"]: (r["value"]["rev"], r["doc"].get("_conflicts", [])) for r in rows}


def local_winners(store: DocumentStore) -> dict[str, tuple[str, list[str]]]:
    out = {}
    for doc_id, winner in store.db.execute("SELECT id, winner FROM docs WHERE deleted = 0"):
        out[doc_id] = (winner, revtree.conflicts(store.row(doc_id).tree))
    return out
