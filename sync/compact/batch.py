"""The compact sync protocol: one round trip pushes a device's revisions and pulls changes.

CouchDB's replication protocol needs about seven sequential round trips for a small sync
(https://docs.couchdb.org/en/stable/replication/protocol.html) and sends back what the
device just pushed; on EDGE each round trip is ~840 ms. Here one request carries the
device's new revisions with their ancestry (as ``_bulk_docs`` with ``new_edits: false``:
conflicts are kept as branches, never dropped) and its cursor; the answer carries one
outcome per pushed revision, the winning revisions changed since the cursor in the
user's channels (cut by bytes, not by count), the next cursor and whether more waits.

A request id makes retries safe: its per-document outcomes are stored in the same
transaction as the writes, so a retry after a lost answer gets them back and writes
nothing (the revisions are content-addressed anyway). What a device pushed is recorded
until its cursor passes it, so no page sends it back (for a device that names itself:
two phones that send no device id would hide each other's pushes otherwise).

Every answer names the server (its uuid, ``server_info``). A store restored from a
backup gets a new uuid, and its sequences no longer mean what the device's cursor
meant: a request naming another server is answered with ``reset: true``, no changes,
cursor 0 and ``more: true``; the device pushes again everything it holds, then pulls
from 0 (deletions included, as its requests then carry documents or a cursor of 0
after pushes).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from sync.store import revtree
from sync.store.database import StorageError, server_uuid, write_transaction
from sync.store.documents import CheckFn, DocRow, DocumentStore
from sync.store.errors import InvalidInput, RevisionConflict, TooLarge
from sync.store.reads import Visible, can_see
from sync.store.write_checks import UNSEEN, seeing

# Candidates read per query while filling a page: a page of 256 KB holds a few hundred.
SCAN_CHUNK = 200


class RequestIdReused(RevisionConflict):
    """The request id came with another body: a device bug, never a retry (409)."""

    error = "request_id_reused"


@dataclass(frozen=True)
class Limits:
    page_bytes: int = 256 * 1024
    max_page_bytes: int = 4 * 1024 * 1024
    max_docs: int = 2000
    max_doc_bytes: int = 1024 * 1024
    revs_limit: int = 1000
    request_ttl_s: int = 30 * 24 * 3600


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@contextmanager
def read_snapshot(db: sqlite_utils.Database) -> Iterator[None]:
    """Every read inside sees one state of the store (a WAL read transaction), so a
    page's cursor matches its contents. Inside a write transaction, that one is used."""
    conn = db.conn
    if conn.in_transaction:
        yield
        return
    try:
        conn.execute("BEGIN")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise StorageError(str(exc)) from exc


def sync(
    store: DocumentStore,
    user_id: str,
    visible: Visible,
    check: CheckFn | None,
    request: dict[str, Any],
    limits: Limits,
) -> dict[str, Any]:
    """Answer one compact-protocol request (already parsed by SyncRequestSchema)."""
    docs, device, since = request["docs"], request["device"], request["since"]
    server = server_uuid(store.db)
    # The device's cursor is a sequence of another store (this one was restored from a
    # backup): have the device push again everything it holds, then pull from 0.
    reset = request.get("server") not in (None, server)
    if reset:
        since = 0
    check = seeing(check, visible)
    results: list[dict[str, Any]] = []
    if docs:
        _check_docs(docs, limits)
        results = push(
            store, user_id, device, request.get("request_id"), since, docs, check, limits, visible
        )
    answer: dict[str, Any] = {"results": results, "server": server}
    if reset:
        # No page: the device pushes everything it holds before it pulls from 0 (a page
        # read now could predate those pushes), so it would discard one, bytes and all.
        answer.update({"reset": True, "changes": [], "cursor": 0, "more": True})
    elif request.get("pull", True):
        budget = min(request.get("max_bytes") or limits.page_bytes, limits.max_page_bytes)
        first = not docs and since == 0
        revs = request.get("revs", False)
        answer.update(pull(store, user_id, device, since, visible, budget, first, revs))
    else:
        answer.update({"changes": [], "cursor": since, "more": False})
    return answer


def _check_docs(docs: list[Any], limits: Limits) -> None:
    if len(docs) > limits.max_docs:
        raise TooLarge(f"{len(docs)} documents in one request; send at most {limits.max_docs}")
    for doc in docs:
        if not isinstance(doc, dict):
            raise InvalidInput("each document must be a JSON object")
        revisions = doc.get("_revisions")
        ids = revisions.get("ids") if isinstance(revisions, dict) else None
        if isinstance(ids, list) and len(ids) > limits.revs_limit:
            raise TooLarge(f"document {doc.get('_id')!r} has a history deeper than allowed")
        fields = {k: v for k, v in doc.items() if k != "_attachments"}
        if len(dumps(fields)) > limits.max_doc_bytes:
            raise TooLarge(
                f"document {doc.get('_id')!r} is larger than {limits.max_doc_bytes} bytes"
            )


def _digest(device: str, docs: list[dict[str, Any]]) -> str:
    canonical = json.dumps([device, docs], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def push(
    store: DocumentStore,
    user_id: str,
    device: str,
    request_id: str | None,
    since: int,
    docs: list[dict[str, Any]],
    check: CheckFn | None,
    limits: Limits,
    visible: Visible = None,
) -> list[dict[str, Any]]:
    """Store the revisions; one outcome per revision, the same on every retry of the id."""
    db = store.db
    digest = _digest(device, docs) if request_id else ""
    with write_transaction(db):
        if request_id:
            found = db.execute(
                "SELECT request_hash, results FROM compact_sync_requests "
                "WHERE user_id = ? AND request_id = ?",
                [user_id, request_id],
            ).fetchone()
            if found:
                if found[0] != digest:
                    raise RequestIdReused(f"request id {request_id!r} was used for another request")
                return json.loads(found[1])
        written = store.bulk_docs(docs, new_edits=False, check=check)
        rows = store.rows(sorted({w["id"] for w in written if "error" not in w}))
        results = [_outcome(w, rows, visible) for w in written]
        if device:  # echo suppression needs to know which phone is which
            # The device's cursor has passed these: they can no longer come back to it.
            db.execute(
                "DELETE FROM compact_sync_pushed WHERE user_id = ? AND device = ? AND seq <= ?",
                [user_id, device, since],
            )
            db.conn.executemany(
                "INSERT OR REPLACE INTO compact_sync_pushed (user_id, device, doc_id, rev, seq) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (user_id, device, w["id"], w["rev"], rows[w["id"]].seq)
                    for w in written
                    if "error" not in w and w["id"] in rows
                ],
            )
        if request_id:
            now = time.time()
            db.execute(
                "DELETE FROM compact_sync_requests WHERE created_at < ?",
                [now - limits.request_ttl_s],
            )
            db.execute(
                "INSERT INTO compact_sync_requests "
                "(user_id, request_id, request_hash, results, created_at) VALUES (?, ?, ?, ?, ?)",
                [user_id, request_id, digest, dumps(results), now],
            )
    return results


def _outcome(
    written: dict[str, Any], rows: dict[str, DocRow], visible: Visible = None
) -> dict[str, Any]:
    doc_id = written.get("id")
    if "error" in written:
        status = "forbidden" if written["error"] == "forbidden" else "invalid"
        return {"id": doc_id, "status": status, "reason": written["reason"]}
    row = rows[doc_id]
    if not can_see(visible, row.channels):
        # A revision the server already had, of a document this user cannot see (or one
        # that left their channels with this write): its winner and conflicts are not theirs.
        return {"id": doc_id, "status": "forbidden", "reason": UNSEEN}
    live = [leaf for leaf in revtree.leaves(row.tree) if not row.tree[leaf].deleted]
    if written["rev"] in live and len(live) > 1:
        # Stored, as CouchDB would, but the device's branch now competes with another:
        # say so, with the winner (which the changes carry unless it is the device's own).
        conflicts = [rev for rev in live if rev != row.winner]
        return {"id": doc_id, "status": "conflict", "winner": row.winner, "conflicts": conflicts}
    return {"id": doc_id, "status": "ok"}


def pull(
    store: DocumentStore,
    user_id: str,
    device: str,
    since: int,
    visible: Visible,
    max_bytes: int,
    first: bool = False,
    revs: bool = False,
) -> dict[str, Any]:
    """Changes after ``since`` up to ``max_bytes`` of JSON (at least one), and the cursor.

    ``first``: a device with nothing needs no deletions or removals. Only a named device
    that never pushed can be known to have nothing (a push with ``pull: false`` leaves
    the cursor at 0); without a device id the deletions are always sent. ``revs``: each
    change with its history and other leaves (:func:`with_history`).
    """
    db = store.db
    with read_snapshot(db):
        head = store.update_seq()
        echoes: dict[str, tuple[str, int]] = {}
        if device:
            echoes = {
                r[0]: (r[1], r[2])
                for r in db.execute(
                    "SELECT doc_id, rev, seq FROM compact_sync_pushed "
                    "WHERE user_id = ? AND device = ? AND seq > ?",
                    [user_id, device, since],
                )
            }
            first = first and not _has_pushed(db, user_id, device)
        else:
            first = False
        changes: list[dict[str, Any]] = []
        used, cursor, scan, more = 0, since, since, False
        while not more:
            picked = store._changed_ids(scan, visible, SCAN_CHUNK, None)
            if not picked:
                break
            rows = store.rows([doc_id for doc_id, _ in picked])
            bodies = winner_bodies(db, list(rows.values()))
            for doc_id, seq in picked:
                entry = _entry(rows.get(doc_id), bodies, visible, first, echoes)
                if entry is not None and revs and not entry.get("_removed"):
                    entry = with_history(db, rows[doc_id], entry)
                if entry is not None:
                    size = len(dumps(entry).encode("utf-8")) + 1
                    if changes and used + size > max_bytes:
                        more = True
                        break
                    changes.append(entry)
                    used += size
                cursor = seq
            if len(picked) < SCAN_CHUNK:
                break
            scan = picked[-1][1]
        if not more:
            cursor = max(cursor, head)
    return {"changes": changes, "cursor": cursor, "more": more}


def _has_pushed(db: sqlite_utils.Database, user_id: str, device: str) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM compact_sync_pushed WHERE user_id = ? AND device = ? LIMIT 1",
            [user_id, device],
        ).fetchone()
        is not None
    )


def _entry(
    row: DocRow | None,
    bodies: dict[str, dict[str, Any]],
    visible: Visible,
    first: bool,
    echoes: dict[str, tuple[str, int]],
) -> dict[str, Any] | None:
    if row is None:  # purged since the candidates were read
        return None
    if echoes.get(row.id) == (row.winner, row.seq):
        return None  # this device pushed exactly this and nothing happened since
    if visible is not None and not (visible & row.channels):
        # Left the user's channels (Sync Gateway's "removed"): the device drops it.
        return None if first else {"_id": row.id, "_rev": row.winner, "_removed": True}
    if row.deleted:
        return None if first else {"_id": row.id, "_rev": row.winner, "_deleted": True}
    body = bodies.get(row.id)
    return None if body is None else render_winner(row, body)


def render_winner(row: DocRow, body: dict[str, Any]) -> dict[str, Any]:
    """The winning revision as the device stores it: attachments as stubs, conflicts marked."""
    doc: dict[str, Any] = {"_id": row.id, "_rev": row.winner, **body}
    conflicts = revtree.conflicts(row.tree)
    if conflicts:
        doc["_conflicts"] = conflicts
    return doc


def with_history(db: sqlite_utils.Database, row: DocRow, entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` (the winner, or its tombstone) with what a device needs to hold the
    server's revision tree: the winner's ``_revisions``, and every other leaf (live
    conflicts and deleted branches alike) in ``_leaves``, each with its own. CouchDB's
    replication brings the same: ``_changes?style=all_docs`` names every leaf, and
    ``_bulk_get?revs=true`` fetches each with its ancestry."""
    out = {**entry, "_revisions": revtree.to_revisions(row.tree, row.winner)}
    others = [rev for rev in revtree.leaves(row.tree) if rev != row.winner]
    if not others:
        return out
    marks = ",".join("?" * len(others))
    stored = dict(
        db.execute(
            f"SELECT rev, body FROM revs WHERE doc_id = ? AND rev IN ({marks})", [row.id, *others]
        ).fetchall()
    )
    leaves = []
    for rev in others:
        body = json.loads(stored[rev]) if stored.get(rev) else {}
        leaf = {"_id": row.id, "_rev": rev, **body}
        if row.tree[rev].deleted:
            leaf["_deleted"] = True
        leaf["_revisions"] = revtree.to_revisions(row.tree, rev)
        leaves.append(leaf)
    out["_leaves"] = leaves
    return out


def winner_bodies(db: sqlite_utils.Database, rows: list[DocRow]) -> dict[str, dict[str, Any]]:
    """Bodies of the winning revisions of live documents, in one query per 400."""
    live = [row for row in rows if not row.deleted]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(live), 400):  # two variables each: under SQLite's limit
        chunk = live[start : start + 400]
        where = " OR ".join("(doc_id = ? AND rev = ?)" for _ in chunk)
        params = [value for row in chunk for value in (row.id, row.winner)]
        for doc_id, body in db.execute(f"SELECT doc_id, body FROM revs WHERE {where}", params):
            if body is not None:
                found[doc_id] = json.loads(body)
    return found
