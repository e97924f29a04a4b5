"""The document store: JSON documents with CouchDB revision semantics on SQLite.

Tables (migration 2): ``docs`` (one row per document: revision tree, winner, latest
sequence, channels), ``revs`` (bodies of revisions; non-leaf bodies go at compaction),
``doc_channels`` (the channel index behind every changes feed), ``attachments``
(bytes once per digest), ``local_docs`` (checkpoints; never in a feed), and
``store_meta`` (the update sequence, which only grows).

Every write is one ``BEGIN IMMEDIATE`` transaction; with ``synchronous=FULL`` what
was acknowledged is on disk.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from . import attachments, revtree
from .database import after_commit, write_transaction
from .errors import BadRequest, Conflict, NotFound, StoreError
from .feed import FeedMixin
from .reads import ReadMixin

ChannelsFn = Callable[[str, dict[str, Any] | None], set[str]]
# check(doc_id, current winner body or None, new body or None if deleted): raises Forbidden
CheckFn = Callable[[str, dict[str, Any] | None, dict[str, Any]], None]

RESERVED = {
    "_id",
    "_rev",
    "_revisions",
    "_deleted",
    "_attachments",
    "_conflicts",
    "_deleted_conflicts",
    "_revs_info",
    "_local_seq",
    "_removed",
}


@dataclass
class DocRow:
    id: str
    seq: int
    tree: revtree.Tree
    winner: str
    deleted: bool
    channels: set[str]


def _body_of(doc: dict[str, Any]) -> dict[str, Any]:
    """The stored part of a document: user fields, plus attachment stubs."""
    body = {k: v for k, v in doc.items() if not k.startswith("_")}
    if doc.get("_attachments"):
        body["_attachments"] = doc["_attachments"]
    return body


def _replication_order(doc: Any) -> tuple[str, int]:
    """Replicated writes go by id, then by revision position, as PouchDB orders them
    (pouchdb-core ``compareByIdThenRev``): an ancestor arrives before its descendants,
    so the result does not depend on the order of the batch."""
    if not isinstance(doc, dict):
        return ("", 0)
    doc_id = doc.get("_id") if isinstance(doc.get("_id"), str) else ""
    revisions = doc.get("_revisions")
    start = revisions.get("start") if isinstance(revisions, dict) else None
    return (doc_id, start if isinstance(start, int) else 0)


class ChangeNotifier:
    """Wakes longpoll feeds and the replicator when the update sequence moves."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.seq = 0

    def notify(self, seq: int) -> None:
        with self._cond:
            self.seq = max(self.seq, seq)
            self._cond.notify_all()

    def wait_past(self, seq: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.seq > seq, timeout)


class DocumentStore(ReadMixin, FeedMixin):
    def __init__(
        self,
        db: sqlite_utils.Database,
        channels_fn: ChannelsFn,
        *,
        revs_limit: int = 1000,
        max_attachment_bytes: int = 10 * 1024 * 1024,
        notifier: ChangeNotifier | None = None,
    ):
        self.db = db
        self.channels_fn = channels_fn
        self.revs_limit = revs_limit
        self.max_attachment_bytes = max_attachment_bytes
        self.notifier = notifier
        self._prefetched: dict[str, DocRow | None] | None = None

    # reading the metadata

    def update_seq(self) -> int:
        row = self.db.execute("SELECT value FROM store_meta WHERE key = 'update_seq'").fetchone()
        return int(row[0]) if row else 0

    def doc_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM docs WHERE deleted = 0").fetchone()[0]

    @contextmanager
    def prefetched(self, doc_ids: list[str]) -> Iterator[None]:
        """Read these rows in one query for the duration of a read-only request."""
        self._prefetched = {doc_id: None for doc_id in doc_ids}
        self._prefetched.update(self.rows(doc_ids))
        try:
            yield
        finally:
            self._prefetched = None

    def row(self, doc_id: str) -> DocRow | None:
        if self._prefetched is not None and doc_id in self._prefetched:
            return self._prefetched[doc_id]
        found = self.db.execute(
            "SELECT id, seq, tree, winner, deleted, channels FROM docs WHERE id = ?", [doc_id]
        ).fetchone()
        if found is None:
            return None
        return DocRow(
            found[0],
            found[1],
            revtree.tree_from_json(json.loads(found[2])),
            found[3],
            bool(found[4]),
            set(json.loads(found[5])),
        )

    def rows(self, doc_ids: list[str]) -> dict[str, DocRow]:
        """Many rows in one query (feeds and bulk reads)."""
        found: dict[str, DocRow] = {}
        for start in range(0, len(doc_ids), 500):  # stay under SQLite's variable limit
            chunk = doc_ids[start : start + 500]
            for r in self.db.execute(
                "SELECT id, seq, tree, winner, deleted, channels FROM docs "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                found[r[0]] = DocRow(
                    r[0],
                    r[1],
                    revtree.tree_from_json(json.loads(r[2])),
                    r[3],
                    bool(r[4]),
                    set(json.loads(r[5])),
                )
        return found

    def body(self, doc_id: str, rev: str) -> dict[str, Any] | None:
        found = self.db.execute(
            "SELECT body FROM revs WHERE doc_id = ? AND rev = ?", [doc_id, rev]
        ).fetchone()
        return json.loads(found[0]) if found and found[0] is not None else None

    def winner_body(self, doc_id: str) -> dict[str, Any] | None:
        row = self.row(doc_id)
        if row is None or row.deleted:
            return None
        return self.body(doc_id, row.winner)

    # writing

    def put(self, doc: dict[str, Any], check: CheckFn | None = None) -> str:
        """One document as a new edit; returns its new revision (409 on a stale ``_rev``)."""
        [result] = self.bulk_docs([doc], new_edits=True, check=check)
        if "error" in result:
            raise result["exception"]
        return result["rev"]

    def bulk_docs(
        self, docs: list[dict[str, Any]], new_edits: bool = True, check: CheckFn | None = None
    ) -> list[dict[str, Any]]:
        """Write many documents, each in its own savepoint: one refused doc spoils none else."""
        if self._prefetched is not None:
            raise RuntimeError("no writes inside prefetched()")
        results: list[dict[str, Any]] = [{} for _ in docs]
        last_seq = None
        order = (
            range(len(docs))
            if new_edits
            else sorted(range(len(docs)), key=lambda i: _replication_order(docs[i]))
        )
        with write_transaction(self.db):
            for index in order:
                doc = docs[index]
                try:
                    with write_transaction(self.db):
                        rev, seq = self._write_one(doc, new_edits, check)
                    if seq is not None:
                        last_seq = seq
                    results[index] = {"ok": True, "id": doc.get("_id"), "rev": rev}
                except StoreError as exc:
                    results[index] = {
                        "id": doc.get("_id") if isinstance(doc, dict) else None,
                        "error": exc.error,
                        "reason": exc.reason,
                        "exception": exc,
                    }
        if last_seq is not None and self.notifier is not None:
            notifier, seq = self.notifier, last_seq
            after_commit(self.db, lambda: notifier.notify(seq))
        return results

    def _write_one(
        self, doc: Any, new_edits: bool, check: CheckFn | None
    ) -> tuple[str, int | None]:
        if not isinstance(doc, dict):
            raise BadRequest("each document must be a JSON object")
        doc_id = doc.get("_id")
        if not isinstance(doc_id, str) or not doc_id or doc_id.startswith("_"):
            raise BadRequest("a document needs an _id that does not start with '_'")
        deleted = bool(doc.get("_deleted"))
        row = self.row(doc_id)
        tree = row.tree if row else {}
        if new_edits:
            ancestors, parent_atts = self._new_edit_ancestors(doc, row)
            new_pos = revtree.parse_rev(ancestors[0])[0] + 1 if ancestors else 1
        else:
            path = self._replicated_path(doc)
            parent_atts = {}
            if path[0] in tree:  # already have it: nothing to do (idempotent)
                return path[0], None
            new_pos = revtree.parse_rev(path[0])[0]
        stubs = attachments.normalise(
            self.db, doc.get("_attachments"), new_pos, parent_atts, self.max_attachment_bytes
        )
        body = _body_of({**doc, "_attachments": stubs})
        if new_edits:
            # The id is computed from the stored form (stubs, not base64), so a retried
            # write gets the same revision.
            path = [
                revtree.new_rev_id(ancestors[0] if ancestors else None, body, deleted),
                *ancestors,
            ]
        new_rev = path[0]
        if check is not None:
            old = self.body(doc_id, row.winner) if row and not row.deleted else None
            check(doc_id, old, body if not deleted else {**body, "_deleted": True})
        merged, changed = revtree.merge_path(tree, path, deleted)
        if not changed:
            return new_rev, None
        merged = revtree.stem(merged, self.revs_limit)
        self.db.execute(
            "INSERT OR REPLACE INTO revs (doc_id, rev, body, deleted) VALUES (?, ?, ?, ?)",
            [doc_id, new_rev, json.dumps(body, ensure_ascii=False), int(deleted)],
        )
        if (set(tree) | set(path)) - set(merged):
            self._drop_stemmed(doc_id, merged)
        return new_rev, self._save_row(doc_id, merged, row, {new_rev: body})

    def _new_edit_ancestors(self, doc: dict, row: DocRow | None) -> tuple[list[str], dict]:
        """The new revision's ancestry (newest first) and its parent's attachments."""
        prev = doc.get("_rev")
        if row is None:
            if prev is not None:
                raise Conflict("Document update conflict: the document does not exist")
            return [], {}
        if prev is None:
            if not row.deleted:
                raise Conflict("Document update conflict: the document exists; send its _rev")
            prev = row.winner  # recreating a deleted document extends its tombstone
        if prev not in revtree.leaves(row.tree):
            raise Conflict("Document update conflict: _rev is not the current revision")
        parent_body = self.body(row.id, prev) or {}
        return revtree.ancestry(row.tree, prev), parent_body.get("_attachments", {})

    @staticmethod
    def _replicated_path(doc: dict) -> list[str]:
        try:
            if "_revisions" in doc:
                path = revtree.path_from_revisions(doc["_revisions"])
                if "_rev" in doc and doc["_rev"] != path[0]:
                    raise BadRequest("_rev does not match _revisions")
                return path
            if "_rev" in doc:
                revtree.parse_rev(doc["_rev"])
                return [doc["_rev"]]
        except revtree.InvalidRev as exc:
            raise BadRequest(str(exc)) from exc
        raise BadRequest("new_edits=false needs _rev or _revisions")

    def _drop_stemmed(self, doc_id: str, tree: revtree.Tree) -> None:
        kept = list(tree)
        self.db.execute(
            f"DELETE FROM revs WHERE doc_id = ? AND rev NOT IN ({','.join('?' * len(kept))})",
            [doc_id, *kept],
        )

    def _save_row(
        self,
        doc_id: str,
        tree: revtree.Tree,
        old: DocRow | None,
        known: dict[str, dict[str, Any]] | None = None,
    ) -> int:
        winner = revtree.winner(tree)
        deleted = tree[winner].deleted
        body = (known or {}).get(winner) or self.body(doc_id, winner)
        if deleted and not {k for k in body or {} if not k.startswith("_")}:
            # A bare tombstone ({"_deleted": true}, as PouchDB sends) stays in the channels
            # the document was in, so every device that had it learns of the deletion.
            channels = old.channels if old else set()
        else:
            channels = self.channels_fn(doc_id, body)
        seq = self._next_seq()
        self.db.execute(
            "INSERT OR REPLACE INTO docs (id, seq, tree, winner, deleted, channels) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                doc_id,
                seq,
                json.dumps(revtree.tree_to_json(tree)),
                winner,
                int(deleted),
                json.dumps(sorted(channels)),
            ],
        )
        self._index_channels(doc_id, seq, channels, old.channels if old else set())
        return seq

    def _index_channels(self, doc_id: str, seq: int, new: set[str], old: set[str]) -> None:
        # A channel the document left gets a removal row, so the feed of a user who
        # could see it tells the phone to drop it (Sync Gateway's "removed").
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO doc_channels (channel, doc_id, seq, removed) "
            "VALUES (?, ?, ?, ?)",
            [(c, doc_id, seq, 0) for c in new] + [(c, doc_id, seq, 1) for c in old - new],
        )

    def _next_seq(self) -> int:
        return self.db.execute(
            "UPDATE store_meta SET value = value + 1 WHERE key = 'update_seq' RETURNING value"
        ).fetchone()[0]

    # maintenance

    def purge(self, doc_id: str, revs: Iterable[str]) -> list[str]:
        """Forget leaf revisions entirely (and the document when none is left)."""
        with write_transaction(self.db):
            row = self.row(doc_id)
            if row is None:
                raise NotFound("missing")
            leaves = set(revtree.leaves(row.tree))
            gone = [r for r in revs if r in leaves]
            tree = dict(row.tree)
            for rev in gone:
                # drop the leaf and the ancestors no other leaf shares
                cursor: str | None = rev
                while cursor is not None and not any(n.parent == cursor for n in tree.values()):
                    parent = tree.pop(cursor).parent
                    self.db.execute(
                        "DELETE FROM revs WHERE doc_id = ? AND rev = ?", [doc_id, cursor]
                    )
                    cursor = parent if parent in tree else None
            if not tree:
                self.db.execute("DELETE FROM docs WHERE id = ?", [doc_id])
                self.db.execute("DELETE FROM doc_channels WHERE doc_id = ?", [doc_id])
            elif gone:
                self._save_row(doc_id, tree, row)
        return gone

    def compact(self) -> dict[str, int]:
        """Drop bodies of non-leaf revisions and attachment bytes no body refers to."""
        with write_transaction(self.db):
            bodies = 0
            for doc_id, tree_json in self.db.execute("SELECT id, tree FROM docs").fetchall():
                tree = revtree.tree_from_json(json.loads(tree_json))
                inner = [r for r in tree if r not in set(revtree.leaves(tree))]
                for rev in inner:
                    bodies += self.db.execute(
                        "UPDATE revs SET body = NULL WHERE doc_id = ? AND rev = ? "
                        "AND body IS NOT NULL",
                        [doc_id, rev],
                    ).rowcount
            blobs = self.db.execute(
                "DELETE FROM attachments WHERE digest NOT IN (SELECT DISTINCT "
                "json_extract(a.value, '$.digest') FROM revs, json_each(revs.body, "
                "'$._attachments') AS a WHERE revs.body IS NOT NULL)"
            ).rowcount
        return {"bodies": bodies, "attachments": blobs}
