"""Writing the document store: new edits and replicated revisions, many per transaction.

A ``_bulk_docs`` of a hundred documents is one ``BEGIN IMMEDIATE`` transaction. Its
``docs`` rows are read in one query before the loop and kept up to date as the batch
writes (a batch can carry several revisions of one document); the ``docs`` and
``doc_channels`` rows and the update sequence are written once, at the end of the batch,
inside the same transaction.
"""

from __future__ import annotations

import json
from typing import Any

from sync.store import attachments, revtree
from sync.store.database import after_commit, write_transaction
from sync.store.doc_rows import Batch, DocRow, RowUpdate, WinnerChange, winner_changes, write_rows
from sync.store.errors import InvalidInput, RevisionConflict, StoreError, WriteForbidden
from sync.store.json_values import check_document, check_id, find_problem
from sync.store.reads import can_see
from sync.store.write_checks import UNSEEN, CheckFn, checked_body, passes

_UNKNOWN = object()  # a check that does not say which channels its writer reads


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


def _has_stubs(doc: dict[str, Any]) -> bool:
    atts = doc.get("_attachments")
    return isinstance(atts, dict) and any(
        isinstance(a, dict) and a.get("stub") for a in atts.values()
    )


class _Bodies:
    """The stored bodies of one document's revisions, read once, when first needed."""

    def __init__(self, store: Any, doc_id: str) -> None:
        self.store, self.doc_id = store, doc_id
        self._bodies: dict[str, dict[str, Any]] | None = None

    def get(self, rev: str) -> dict[str, Any] | None:
        if self._bodies is None:
            self._bodies = {
                rev: json.loads(body)
                for rev, body in self.store.db.execute(
                    "SELECT rev, body FROM revs WHERE doc_id = ? AND body IS NOT NULL",
                    [self.doc_id],
                )
            }
        return self._bodies.get(rev)

    def digests(self) -> dict[str, dict[str, Any]]:
        """Every attachment of the stored revisions, by digest: what a replicated stub
        of this document may name."""
        self.get("")
        found: dict[str, dict[str, Any]] = {}
        for body in (self._bodies or {}).values():
            for stub in (body.get("_attachments") or {}).values():
                found.setdefault(stub["digest"], stub)
        return found

    def nearest_attachments(self, ancestors: list[str], tree: revtree.Tree) -> dict[str, Any]:
        """The attachments of the newest ancestor we have a body of (stubs without a digest
        are named by it)."""
        for rev in ancestors:
            if rev in tree:
                body = self.get(rev)
                if body is not None:
                    return body.get("_attachments") or {}
        return {}


def _stores_bytes(doc: Any) -> bool:
    # Inline attachment data is stored before the access check runs: such a document
    # needs a savepoint so a refusal leaves no bytes behind. Any other document writes
    # nothing until every check has passed.
    return isinstance(doc, dict) and bool(doc.get("_attachments"))


class WriteMixin:
    """Mixed into DocumentStore; relies on its ``db``, ``row(s)``, ``body`` and settings."""

    def put(self, doc: dict[str, Any], check: CheckFn | None = None) -> str:
        """One document as a new edit; returns its new revision (409 on a stale ``_rev``)."""
        [result] = self.bulk_docs([doc], new_edits=True, check=check)
        if "error" in result:
            raise result["exception"]
        return result["rev"]

    def bulk_docs(
        self, docs: list[dict[str, Any]], new_edits: bool = True, check: CheckFn | None = None
    ) -> list[dict[str, Any]]:
        """Write many documents in one transaction: one refused doc spoils none else."""
        if self._prefetched is not None:
            raise RuntimeError("no writes inside prefetched()")
        results: list[dict[str, Any]] = [{} for _ in docs]
        order = (
            range(len(docs))
            if new_edits
            else sorted(range(len(docs)), key=lambda i: _replication_order(docs[i]))
        )
        # Read in one query: the ids each document's own check (_write_one) will accept.
        ids = list(
            {
                d["_id"]
                for d in docs
                if isinstance(d, dict) and _usable_id(d.get("_id"), self.max_id_length)
            }
        )
        with write_transaction(self.db):
            batch = Batch({doc_id: None for doc_id in ids}, self.update_seq())
            batch.rows.update(self.rows(ids))
            before = dict(batch.rows)
            for index in order:
                doc = docs[index]
                try:
                    if _stores_bytes(doc):
                        with write_transaction(self.db):
                            rev, update = self._write_one(doc, new_edits, check, batch)
                    else:
                        rev, update = self._write_one(doc, new_edits, check, batch)
                    if update is not None:
                        batch.apply(update)
                    results[index] = {"ok": True, "id": doc.get("_id"), "rev": rev}
                except StoreError as exc:
                    results[index] = {
                        # A bad id is not echoed: the answer could not carry it.
                        "id": _echoed_id(doc, self.max_id_length),
                        "error": exc.error,
                        "reason": exc.reason,
                        "exception": exc,
                    }
            if batch.updates:
                write_rows(self.db, batch.updates)
                self.db.execute(
                    "UPDATE store_meta SET value = ? WHERE key = 'update_seq'", [batch.seq]
                )
                self._project(winner_changes(before, batch.updates))
        if batch.updates and self.notifier is not None:
            notifier, seq = self.notifier, batch.seq
            after_commit(self.db, lambda: notifier.notify(seq))
        return results

    def _write_one(
        self, doc: Any, new_edits: bool, check: CheckFn | None, batch: Batch
    ) -> tuple[str, RowUpdate | None]:
        """Check one document and write its revision body; its row update is the caller's."""
        if not isinstance(doc, dict):
            raise InvalidInput("each document must be a JSON object")
        doc_id = check_id(doc.get("_id"), self.max_id_length)
        if not doc_id or doc_id.startswith("_"):
            raise InvalidInput("a document needs an _id that does not start with '_'")
        check_document(doc)
        deleted = bool(doc.get("_deleted"))
        row = batch.rows[doc_id] if doc_id in batch.rows else self.row(doc_id)
        tree = row.tree if row else {}
        stored = _Bodies(self, doc_id)
        conflict: RevisionConflict | None = None
        own_digests = None
        if new_edits:
            try:
                ancestors, parent_atts = self._new_edit_ancestors(doc, row)
            except RevisionConflict as exc:
                ancestors, parent_atts, conflict = [], {}, exc
            new_pos = revtree.parse_rev(ancestors[0])[0] + 1 if ancestors else 1
        else:
            path = self._replicated_path(doc)
            new_pos = revtree.parse_rev(path[0])[0]
            parent_atts = {}
            if _has_stubs(doc) and path[0] not in tree:
                parent_atts = stored.nearest_attachments(path[1:], tree)
                own_digests = stored.digests()
        old = None
        if check is not None:
            old = self._last_live_body(row, stored)
            # Access before concurrency: a 409, a deleted winner or a revision we already
            # have would tell a writer who cannot see the document that it exists.
            doubtful = conflict is not None or (row is not None and row.deleted)
            doubtful = doubtful or (not new_edits and path[0] in tree)
            self._guard(check, doc_id, doc, row, old, doubtful)
        if conflict is not None:
            raise conflict
        if not new_edits and path[0] in tree:  # already have it: nothing to do (idempotent)
            return path[0], None
        stubs = attachments.normalise(
            self.db,
            doc.get("_attachments"),
            new_pos,
            parent_atts,
            self.max_attachment_bytes,
            own_digests,
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
            # A deleted document is checked against its last live body: recreating it is
            # an update of someone's document, not a new one (or anyone could take over
            # a deleted document and read its history by ?rev=).
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
        return new_rev, self._row_update(doc_id, merged, row, batch.seq + 1, {new_rev: body})

    def _last_live_body(self, row: DocRow | None, stored: _Bodies) -> dict[str, Any] | None:
        """The winner's body; for a deleted document the latest body with fields on the
        winner's branch (the tombstone's own, if it kept them)."""
        if row is None:
            return None
        if not row.deleted:
            return self.body(row.id, row.winner)
        for rev in revtree.ancestry(row.tree, row.winner):
            body = stored.get(rev)
            if body and any(not k.startswith("_") for k in body):
                return body
        return None

    def _guard(
        self,
        check: CheckFn,
        doc_id: str,
        doc: dict[str, Any],
        row: DocRow | None,
        old: dict[str, Any] | None,
        doubtful: bool,
    ) -> None:
        """Refuse a write to a document its writer cannot see, the way a write of the same
        body to a free id is refused (so the answer does not say whether the id is taken).

        Who can see it: the channels the check carries (``SeeingCheck``); without them,
        whoever may keep the document as it is (``check(old, old)``), asked only where the
        answer would otherwise leak (``doubtful``); elsewhere the check below decides.
        """
        visible = getattr(check, "visible", _UNKNOWN)
        # A document that never had a body (a bare tombstone: PouchDB pushes one for a
        # listing created and deleted offline) holds nothing to see and is in no channel:
        # its id is as free as one never used, or whoever deleted it first would own it.
        # One whose bodies were compacted away keeps its channels, and its owners.
        if row is None or (row.deleted and old is None and not row.channels):
            if doubtful:  # a _rev for a free id: its 409 comes after the same check
                check(doc_id, None, checked_body(doc))
            return
        if visible is _UNKNOWN:
            if not doubtful:
                return
            seen = old is not None and passes(check, doc_id, old)
        else:
            seen = can_see(visible, row.channels)  # type: ignore[arg-type]
        if not seen:
            check(doc_id, None, checked_body(doc))
            raise WriteForbidden(UNSEEN)

    def _new_edit_ancestors(self, doc: dict, row: DocRow | None) -> tuple[list[str], dict]:
        """The new revision's ancestry (newest first) and its parent's attachments."""
        prev = doc.get("_rev")
        if row is None:
            if prev is not None:
                raise RevisionConflict("Document update conflict: the document does not exist")
            return [], {}
        if prev is None:
            if not row.deleted:
                raise RevisionConflict(
                    "Document update conflict: the document exists; send its _rev"
                )
            prev = row.winner  # recreating a deleted document extends its tombstone
        if prev not in revtree.leaves(row.tree):
            raise RevisionConflict("Document update conflict: _rev is not the current revision")
        parent_body = self.body(row.id, prev) or {}
        return revtree.ancestry(row.tree, prev), parent_body.get("_attachments", {})

    @staticmethod
    def _replicated_path(doc: dict) -> list[str]:
        try:
            if "_revisions" in doc:
                path = revtree.path_from_revisions(doc["_revisions"])
                if "_rev" in doc and doc["_rev"] != path[0]:
                    raise InvalidInput("_rev does not match _revisions")
                return path
            if "_rev" in doc:
                revtree.parse_rev(doc["_rev"])
                return [doc["_rev"]]
        except revtree.InvalidRev as exc:
            raise InvalidInput(str(exc)) from exc
        raise InvalidInput("new_edits=false needs _rev or _revisions")

    def _drop_stemmed(self, doc_id: str, tree: revtree.Tree) -> None:
        kept = list(tree)
        self.db.execute(
            f"DELETE FROM revs WHERE doc_id = ? AND rev NOT IN ({','.join('?' * len(kept))})",
            [doc_id, *kept],
        )

    def _row_update(
        self,
        doc_id: str,
        tree: revtree.Tree,
        old: DocRow | None,
        seq: int,
        known: dict[str, dict[str, Any]] | None = None,
    ) -> RowUpdate:
        winner = revtree.winner(tree)
        deleted = tree[winner].deleted
        body = (known or {}).get(winner) or self.body(doc_id, winner)
        old_channels = old.channels if old else set()
        if deleted and not {k for k in body or {} if not k.startswith("_")}:
            # A bare tombstone ({"_deleted": true}, as PouchDB sends) stays in the channels
            # the document was in, so every device that had it learns of the deletion.
            channels = old_channels
        else:
            channels = self.channels_fn(doc_id, body)
        params = (
            doc_id,
            seq,
            json.dumps(revtree.tree_to_json(tree)),
            winner,
            int(deleted),
            json.dumps(sorted(channels)),
        )
        channel_rows = [(c, doc_id, seq, 0) for c in channels]
        channel_rows += [(c, doc_id, seq, 1) for c in old_channels - channels]
        row = DocRow(doc_id, seq, tree, winner, deleted, channels)
        return RowUpdate(row, params, channel_rows, None if deleted else body)

    def _project(self, changes: list[WinnerChange]) -> None:
        if changes:
            for projection in self.projections:
                projection(self.db, changes)

    def _save_row(
        self,
        doc_id: str,
        tree: revtree.Tree,
        old: DocRow | None,
        known: dict[str, dict[str, Any]] | None = None,
    ) -> int:
        """Write one document's row now, with the next sequence (purge)."""
        seq = self.db.execute(
            "UPDATE store_meta SET value = value + 1 WHERE key = 'update_seq' RETURNING value"
        ).fetchone()[0]
        update = self._row_update(doc_id, tree, old, seq, known)
        write_rows(self.db, [update])
        self._project(winner_changes({doc_id: old}, [update]))
        return seq


def _usable_id(doc_id: Any, max_length: int) -> bool:
    return isinstance(doc_id, str) and len(doc_id) <= max_length and find_problem(doc_id) is None


def _echoed_id(doc: Any, max_length: int) -> str | None:
    doc_id = doc.get("_id") if isinstance(doc, dict) else None
    return doc_id if _usable_id(doc_id, max_length) else None
