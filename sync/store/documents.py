"""The document store: JSON documents with CouchDB revision semantics on SQLite.

Tables (migration 2): ``docs`` (one row per document: revision tree, winner, latest
sequence, channels), ``revs`` (bodies of revisions; non-leaf bodies go at compaction),
``doc_channels`` (the channel index behind every changes feed), ``attachments``
(bytes once per digest), ``local_docs`` (checkpoints; never in a feed), and
``store_meta`` (the update sequence, which only grows).

Every write call (one document, or a whole ``_bulk_docs`` batch) is one ``BEGIN
IMMEDIATE`` transaction (sync/store/writes.py); with ``synchronous=FULL`` what was
acknowledged is on disk.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlite_utils

from sync.store import revtree
from sync.store.database import write_transaction
from sync.store.doc_rows import DocRow, Projection, WinnerChange
from sync.store.errors import DocumentNotFound
from sync.store.feed import FeedMixin
from sync.store.json_values import MAX_ID_LENGTH
from sync.store.reads import ROW_COLUMNS, ReadMixin, row_from
from sync.store.write_checks import ChannelsFn, CheckFn
from sync.store.writes import WriteMixin

__all__ = ["ChangeNotifier", "ChannelsFn", "CheckFn", "DocRow", "DocumentStore"]

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


class DocumentStore(ReadMixin, FeedMixin, WriteMixin):
    def __init__(
        self,
        db: sqlite_utils.Database,
        channels_fn: ChannelsFn,
        *,
        revs_limit: int = 1000,
        max_attachment_bytes: int = 10 * 1024 * 1024,
        max_id_length: int = MAX_ID_LENGTH,
        notifier: ChangeNotifier | None = None,
        projections: Sequence[Projection] = (),
    ):
        self.db = db
        self.channels_fn = channels_fn
        self.revs_limit = revs_limit
        self.max_attachment_bytes = max_attachment_bytes
        self.max_id_length = max_id_length
        self.notifier = notifier
        self.projections = tuple(projections)
        self._prefetched: dict[str, DocRow | None] | None = None
        # (id, revision) -> the body's JSON text, or None where there is none
        self._prefetched_bodies: dict[tuple[str, str], str | None] | None = None

    # reading the metadata

    def update_seq(self) -> int:
        row = self.db.execute("SELECT value FROM store_meta WHERE key = 'update_seq'").fetchone()
        return int(row[0]) if row else 0

    def doc_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM docs WHERE deleted = 0").fetchone()[0]

    @contextmanager
    def prefetched(
        self, doc_ids: list[str], revisions: Sequence[tuple[str, str]] = ()
    ) -> Iterator[None]:
        """Read these rows in one query, and the bodies of these (id, revision) pairs in
        another, for the duration of a read-only request (``_bulk_get`` asks for a hundred
        documents at a time: a query each was a third of its cost)."""
        self._prefetched = {doc_id: None for doc_id in doc_ids}
        self._prefetched.update(self.rows(doc_ids))
        self._prefetched_bodies = self._raw_bodies(revisions) if revisions else None
        try:
            yield
        finally:
            self._prefetched = None
            self._prefetched_bodies = None

    def row(self, doc_id: str) -> DocRow | None:
        if self._prefetched is not None and doc_id in self._prefetched:
            return self._prefetched[doc_id]
        found = self.db.execute(f"SELECT {ROW_COLUMNS} FROM docs WHERE id = ?", [doc_id]).fetchone()
        return row_from(found) if found is not None else None

    def rows(self, doc_ids: list[str]) -> dict[str, DocRow]:
        """Many rows in one query (feeds and bulk reads)."""
        found: dict[str, DocRow] = {}
        for start in range(0, len(doc_ids), 500):  # stay under SQLite's variable limit
            chunk = doc_ids[start : start + 500]
            for r in self.db.execute(
                f"SELECT {ROW_COLUMNS} FROM docs WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                found[r[0]] = row_from(r)
        return found

    def body(self, doc_id: str, rev: str) -> dict[str, Any] | None:
        if self._prefetched_bodies is not None and (doc_id, rev) in self._prefetched_bodies:
            raw = self._prefetched_bodies[(doc_id, rev)]
        else:
            found = self.db.execute(
                "SELECT body FROM revs WHERE doc_id = ? AND rev = ?", [doc_id, rev]
            ).fetchone()
            raw = found[0] if found else None
        return json.loads(raw) if raw is not None else None  # parsed afresh: callers edit it

    def _raw_bodies(
        self, revisions: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str | None]:
        bodies: dict[tuple[str, str], str | None] = dict.fromkeys(revisions)
        pairs = list(bodies)
        for start in range(0, len(pairs), 250):  # two variables a pair, under SQLite's limit
            chunk = pairs[start : start + 250]
            # CROSS JOIN keeps the pairs as the outer loop: each a primary-key look-up
            # (``(doc_id, rev) IN (VALUES ...)`` scans the whole table).
            for doc_id, rev, body in self.db.execute(
                f"SELECT r.doc_id, r.rev, r.body FROM (VALUES {','.join(['(?, ?)'] * len(chunk))})"
                " AS v CROSS JOIN revs r ON r.doc_id = v.column1 AND r.rev = v.column2",
                [value for pair in chunk for value in pair],
            ):
                bodies[(doc_id, rev)] = body
        return bodies

    def winner_body(self, doc_id: str) -> dict[str, Any] | None:
        row = self.row(doc_id)
        if row is None or row.deleted:
            return None
        return self.body(doc_id, row.winner)

    # maintenance

    def purge(self, doc_id: str, revs: Iterable[str]) -> list[str]:
        """Forget leaf revisions entirely (and the document when none is left)."""
        with write_transaction(self.db):
            row = self.row(doc_id)
            if row is None:
                raise DocumentNotFound("missing")
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
                self._project([WinnerChange(doc_id, None)])
            elif gone:
                self._save_row(doc_id, tree, row)
        return gone

    def reroute(self, doc_ids: Iterable[str]) -> int:
        """Channel rules changed: route these documents again, each with a new sequence,
        so the feed of anyone who now reads them carries them (a phone that had already
        synced past their old sequence would never be told) and anyone who no longer
        does gets a removal. Revisions are untouched. Returns how many were rerouted."""
        moved = 0
        with write_transaction(self.db):
            for row in self.rows(list(doc_ids)).values():
                self._save_row(row.id, row.tree, row)
                moved += 1
        return moved

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
