"""Reading the document store: documents by revision, open_revs, revs_diff, all_docs.

``visible`` is the caller's access rule (a set of channels, or None for all): a
document outside it is answered exactly as a document that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sync.store import attachments, revtree
from sync.store.doc_rows import DocRow
from sync.store.errors import DocumentNotFound, InvalidInput

Visible = set[str] | None


def can_see(visible: Visible, channels: set[str]) -> bool:
    return visible is None or bool(visible & channels)


class ReadMixin:
    """Mixed into DocumentStore; relies on its ``db``, ``row`` and ``body``."""

    def _visible_row(self, doc_id: str, visible: Visible):
        row = self.row(doc_id)
        if row is None or not can_see(visible, row.channels):
            return None
        return row

    def render(
        self,
        row,
        rev: str,
        *,
        revs: bool = False,
        conflicts: bool = False,
        deleted_conflicts: bool = False,
        attachments_data: bool = False,
        atts_since: list[str] | None = None,
        visible: Visible = None,
    ) -> dict[str, Any] | None:
        """The document at ``rev`` as CouchDB returns it, or None if its body is gone or
        the revision is outside ``visible``."""
        node = row.tree.get(rev)
        if node is None:
            return None
        body = self.body(row.id, rev)
        if body is None and not node.deleted:
            return None
        if not self._revision_visible(row, body, visible):
            return None
        doc: dict[str, Any] = {"_id": row.id, "_rev": rev}
        doc.update({k: v for k, v in (body or {}).items() if k != "_attachments"})
        if node.deleted:
            doc["_deleted"] = True
        stubs = (body or {}).get("_attachments")
        if stubs:
            if attachments_data:
                since = _since_pos(row.tree, rev, atts_since)
                doc["_attachments"] = attachments.expand(self.db, stubs, since)
            else:
                doc["_attachments"] = stubs
        if revs:
            doc["_revisions"] = revtree.to_revisions(row.tree, rev)
        if conflicts and rev == row.winner:
            found = revtree.conflicts(row.tree)
            if found:
                doc["_conflicts"] = found
        if deleted_conflicts and rev == row.winner:
            found = revtree.deleted_conflicts(row.tree)
            if found:
                doc["_deleted_conflicts"] = found
        return doc

    def _revision_visible(self, row, body: dict[str, Any] | None, visible: Visible) -> bool:
        """Whether the caller may read this revision of a document it can see now.

        The document's current channels decide whether it exists for the caller (a
        document that left them answers as a missing one, with a removal in the feeds);
        an older or losing revision must also be in the caller's channels by its own body,
        as Sync Gateway keeps channels per revision: otherwise whoever a document passed
        to (a forged branch, a takeover) could read by ``?rev=`` what it held before. A
        revision without fields (a bare tombstone) has the document's channels.
        """
        if visible is None or not body or not any(not k.startswith("_") for k in body):
            return True
        return can_see(visible, self.channels_fn(row.id, body))

    def get_doc(
        self,
        doc_id: str,
        visible: Visible = None,
        rev: str | None = None,
        latest: bool = False,
        **options,
    ) -> dict[str, Any]:
        row = self._visible_row(doc_id, visible)
        if row is None:
            raise DocumentNotFound("missing")
        if rev is None:
            if row.deleted:
                raise DocumentNotFound("deleted")
            rev = row.winner
        elif latest:
            # CouchDB's order: the descendant leaf that would win (live before deleted).
            leaves = revtree.find_leaf_for(row.tree, rev)
            rev = leaves[0] if leaves else rev
        doc = self.render(row, rev, visible=visible, **options)
        if doc is None:
            raise DocumentNotFound("missing")
        return doc

    def open_revs(
        self,
        doc_id: str,
        which: list[str] | str,
        visible: Visible = None,
        latest: bool = False,
        **options,
    ) -> list[dict[str, Any]]:
        """CouchDB's ``open_revs``: one ``{"ok": doc}`` or ``{"missing": rev}`` per revision."""
        row = self._visible_row(doc_id, visible)
        if which == "all":
            if row is None:
                return []
            wanted = revtree.leaves(row.tree)
        elif isinstance(which, list) and all(isinstance(r, str) for r in which):
            wanted = which
        else:
            raise InvalidInput('open_revs must be "all" or a JSON list of revisions')
        out = []
        seen: set[str] = set()
        for rev in wanted:
            targets = [rev]
            if row is not None and latest:
                targets = revtree.find_leaf_for(row.tree, rev) or [rev]
            for target in targets:
                # Two asked revisions on one branch have the same latest leaf: once.
                if target in seen:
                    continue
                seen.add(target)
                doc = (
                    self.render(row, target, visible=visible, **options)
                    if row is not None
                    else None
                )
                out.append({"ok": doc} if doc is not None else {"missing": target})
        return out

    def revs_diff(self, asked: dict[str, list[str]], visible: Visible = None) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        for doc_id, revs in asked.items():
            if not isinstance(revs, list):
                raise InvalidInput("_revs_diff wants {doc id: [revisions]}")
            row = self._visible_row(doc_id, visible)
            try:
                missing, ancestors = revtree.revs_diff(row.tree if row else {}, revs)
            except revtree.InvalidRev as exc:
                raise InvalidInput(str(exc)) from exc
            if missing:
                entry: dict[str, Any] = {"missing": missing}
                if ancestors:
                    entry["possible_ancestors"] = ancestors
                answer[doc_id] = entry
        return answer

    def all_docs(
        self,
        visible: Visible = None,
        keys: list[str] | None = None,
        include_docs: bool = False,
        conflicts: bool = False,
        limit: int | None = None,
        skip: int = 0,
        startkey: str | None = None,
        endkey: str | None = None,
        descending: bool = False,
    ) -> dict[str, Any]:
        rows: list[dict[str, Any]] = []
        if keys is not None:
            for key in keys:
                row = self._visible_row(key, visible) if isinstance(key, str) else None
                if row is None:
                    rows.append({"key": key, "error": "not_found"})
                    continue
                value: dict[str, Any] = {"rev": row.winner}
                if row.deleted:
                    value["deleted"] = True
                entry = {"id": row.id, "key": row.id, "value": value}
                if include_docs:
                    entry["doc"] = (
                        None if row.deleted else self.render(row, row.winner, conflicts=conflicts)
                    )
                rows.append(entry)
            return {"total_rows": self._visible_count(visible), "offset": 0, "rows": rows}
        sql, params = self._listing_sql(visible, startkey, endkey, descending)
        sql += " LIMIT ? OFFSET ?"
        params += [-1 if limit is None else limit, skip]
        for doc_id, winner in self.db.execute(sql, params).fetchall():
            entry = {"id": doc_id, "key": doc_id, "value": {"rev": winner}}
            if include_docs:
                entry["doc"] = self.render(self.row(doc_id), winner, conflicts=conflicts)
            rows.append(entry)
        return {"total_rows": self._visible_count(visible), "offset": skip, "rows": rows}

    def _listing_sql(self, visible: Visible, startkey, endkey, descending) -> tuple[str, list]:
        sql, params = "SELECT id, winner FROM docs WHERE deleted = 0", []
        if visible is not None:
            marks = ",".join("?" * len(visible)) or "NULL"
            sql += (
                f" AND id IN (SELECT doc_id FROM doc_channels WHERE removed = 0 "
                f"AND channel IN ({marks}))"
            )
            params += sorted(visible)
        low, high = (endkey, startkey) if descending else (startkey, endkey)
        if low is not None:
            sql, params = sql + " AND id >= ?", params + [low]
        if high is not None:
            sql, params = sql + " AND id <= ?", params + [high]
        return sql + (" ORDER BY id DESC" if descending else " ORDER BY id"), params

    def _visible_count(self, visible: Visible) -> int:
        if visible is None:
            return self.doc_count()
        marks = ",".join("?" * len(visible)) or "NULL"
        return self.db.execute(
            f"SELECT count(DISTINCT d.id) FROM docs d JOIN doc_channels c ON c.doc_id = d.id "
            f"WHERE d.deleted = 0 AND c.removed = 0 AND c.channel IN ({marks})",
            sorted(visible),
        ).fetchone()[0]

    def get_attachment(
        self, doc_id: str, name: str, visible: Visible = None, rev: str | None = None
    ) -> tuple[dict[str, Any], bytes]:
        """The stub and bytes of one attachment, answered as ``get_doc`` would answer for the
        document (the same 404s, the same access check) without building the document.

        PouchDB fetches every attachment by its own request, dozens at a time: the row,
        the revision's body and the bytes come in one statement, as each statement hands
        the interpreter to the other request threads and waits to get it back.
        """
        found = self.db.execute(_ATTACHMENT, [name, rev, doc_id]).fetchone()
        if found is None:
            raise DocumentNotFound("missing")
        row, body_json, data = row_from(found), found[6], found[7]
        if not can_see(visible, row.channels):
            raise DocumentNotFound("missing")
        if rev is None:
            if row.deleted:
                raise DocumentNotFound("deleted")
            rev = row.winner
        node = row.tree.get(rev)
        if node is None:
            raise DocumentNotFound("missing")
        body = json.loads(body_json) if body_json is not None else None
        if body is None and not node.deleted:
            raise DocumentNotFound("missing")
        if not self._revision_visible(row, body, visible):
            raise DocumentNotFound("missing")
        stub = ((body or {}).get("_attachments") or {}).get(name)
        if stub is None:
            raise DocumentNotFound("Document is missing attachment")
        if data is None:
            raise DocumentNotFound("attachment content is missing")
        return stub, data

    def removal_stub(
        self, doc_id: str, visible: Visible, revs: bool = False
    ) -> dict[str, Any] | None:
        """For a document that left the caller's channels: Sync Gateway's ``_removed`` stub.

        With ``revs`` it carries ``_revisions``, so the device grafts it onto the history
        it has instead of keeping the old revision as a live conflict.
        """
        if visible is None:
            return None
        row = self.row(doc_id)
        if row is None or can_see(visible, row.channels):
            return None
        marks = ",".join("?" * len(visible)) or "NULL"
        was_visible = self.db.execute(
            f"SELECT 1 FROM doc_channels WHERE doc_id = ? AND removed = 1 AND channel IN ({marks})",
            [doc_id, *sorted(visible)],
        ).fetchone()
        if not was_visible:
            return None
        stub: dict[str, Any] = {"_id": doc_id, "_rev": row.winner, "_removed": True}
        if revs:
            stub["_revisions"] = revtree.to_revisions(row.tree, row.winner)
        return stub


# The columns ``row_from`` reads, as every read of the ``docs`` table selects them.
ROW_COLUMNS = "id, seq, tree, winner, deleted, channels"

# A document's row, the body of one revision (the winner without ``?rev=``) and the bytes
# of its attachment ``name``. The bytes are read before the access check in Python; they
# leave only if it passes.
_ATTACHMENT = (
    "SELECT d.id, d.seq, d.tree, d.winner, d.deleted, d.channels, r.body, "
    "(SELECT a.data FROM json_each(r.body, '$._attachments') AS e JOIN attachments a "
    "ON a.digest = json_extract(e.value, '$.digest') WHERE e.key = ?1) "
    "FROM docs d LEFT JOIN revs r ON r.doc_id = d.id AND r.rev = coalesce(?2, d.winner) "
    "WHERE d.id = ?3"
)


def row_from(values: Sequence[Any]) -> DocRow:
    """A document's row from the ``ROW_COLUMNS`` of the ``docs`` table."""
    return DocRow(
        values[0],
        values[1],
        revtree.tree_from_json(json.loads(values[2])),
        values[3],
        bool(values[4]),
        set(json.loads(values[5])),
    )


def _since_pos(tree: revtree.Tree, rev: str, atts_since: list[str] | None) -> int:
    """Highest position among ``atts_since`` revisions that are ancestors of ``rev``."""
    if not atts_since:
        return 0
    if not isinstance(atts_since, list) or not all(isinstance(r, str) for r in atts_since):
        raise InvalidInput("atts_since must be a JSON list of revisions")
    history = set(revtree.ancestry(tree, rev))
    try:
        known = [revtree.parse_rev(r)[0] for r in atts_since if r in history]
    except revtree.InvalidRev as exc:
        raise InvalidInput(str(exc)) from exc
    return max(known, default=0)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
