"""The changes feed, served from the channel index, and ``_local`` documents."""

from __future__ import annotations

import json
from typing import Any

from sync.store import revtree
from sync.store.database import read_snapshot, write_transaction
from sync.store.errors import DocumentNotFound, RevisionConflict
from sync.store.json_values import check_id, check_value
from sync.store.reads import Visible


class FeedMixin:
    """Mixed into DocumentStore; relies on its ``db``, ``row``, ``render``, ``update_seq``."""

    def changes(
        self,
        since: int = 0,
        visible: Visible = None,
        limit: int | None = None,
        include_docs: bool = False,
        all_leaves: bool = False,
        doc_ids: list[str] | None = None,
        conflicts: bool = False,
        attachments_data: bool = False,
    ) -> dict[str, Any]:
        """Each document once, at its latest change after ``since``, in sequence order."""
        with read_snapshot(self.db):
            return self._changes(
                since,
                visible,
                limit,
                include_docs,
                all_leaves,
                doc_ids,
                conflicts,
                attachments_data,
            )

    def _changes(
        self, since, visible, limit, include_docs, all_leaves, doc_ids, conflicts, attachments_data
    ) -> dict[str, Any]:
        head = self.update_seq()
        picked = self._changed_ids(since, visible, limit, doc_ids)
        results = []
        rows = self.rows([doc_id for doc_id, _ in picked])
        for doc_id, seq in picked:
            row = rows.get(doc_id)
            if row is None:  # purged between the two queries
                continue
            if visible is not None and not (visible & row.channels):
                removed = sorted(self._removed_channels(doc_id, visible))
                results.append(
                    {"seq": seq, "id": doc_id, "removed": removed, "changes": [{"rev": row.winner}]}
                )
                continue
            revs = revtree.leaves(row.tree) if all_leaves else [row.winner]
            entry: dict[str, Any] = {
                "seq": seq,
                "id": doc_id,
                "changes": [{"rev": r} for r in revs],
            }
            if row.deleted:
                entry["deleted"] = True
            if include_docs:
                entry["doc"] = self.render(
                    row, row.winner, conflicts=conflicts, attachments_data=attachments_data
                )
            results.append(entry)
        full_page = limit is not None and len(picked) >= limit
        last_seq = picked[-1][1] if full_page and picked else max(head, since)
        pending = self._count_after(last_seq, visible, doc_ids) if full_page else 0
        return {"results": results, "last_seq": last_seq, "pending": pending}

    def _changed_ids(self, since, visible, limit, doc_ids) -> list[tuple[str, int]]:
        sql, params = self._changed_sql(since, visible, doc_ids)
        if limit is not None:
            sql, params = sql + " LIMIT ?", [*params, limit]
        return [(r[0], r[1]) for r in self.db.execute(sql, params).fetchall()]

    @staticmethod
    def _changed_sql(since, visible, doc_ids) -> tuple[str, list[Any]]:
        params: list[Any] = []
        if visible is None:
            sql = "SELECT id, seq FROM docs WHERE seq > ?"
            params.append(since)
            if doc_ids is not None:
                sql += f" AND id IN ({','.join('?' * len(doc_ids)) or 'NULL'})"
                params += doc_ids
            return sql + " ORDER BY seq", params
        marks = ",".join("?" * len(visible)) or "NULL"
        sql = (
            f"SELECT doc_id, max(seq) AS s FROM doc_channels WHERE channel IN ({marks}) AND seq > ?"
        )
        params += [*sorted(visible), since]
        if doc_ids is not None:
            sql += f" AND doc_id IN ({','.join('?' * len(doc_ids)) or 'NULL'})"
            params += doc_ids
        return sql + " GROUP BY doc_id ORDER BY s", params

    def _count_after(self, seq: int, visible: Visible, doc_ids) -> int:
        sql, params = self._changed_sql(seq, visible, doc_ids)
        return self.db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]

    def _removed_channels(self, doc_id: str, visible: set[str]) -> set[str]:
        marks = ",".join("?" * len(visible))
        rows = self.db.execute(
            f"SELECT channel FROM doc_channels WHERE doc_id = ? AND removed = 1 "
            f"AND channel IN ({marks})",
            [doc_id, *sorted(visible)],
        ).fetchall()
        return {r[0] for r in rows}

    # _local documents: replication checkpoints, kept per user, never in a feed

    def local_get(self, scope: str, doc_id: str) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT rev, body FROM local_docs WHERE scope = ? AND id = ?", [scope, doc_id]
        ).fetchone()
        if row is None:
            raise DocumentNotFound("missing")
        return {**json.loads(row[1]), "_id": f"_local/{doc_id}", "_rev": row[0]}

    def local_put(self, scope: str, doc_id: str, doc: dict[str, Any]) -> str:
        check_id(doc_id, self.max_id_length)
        check_value(doc)
        with write_transaction(self.db):
            current = self.db.execute(
                "SELECT rev FROM local_docs WHERE scope = ? AND id = ?", [scope, doc_id]
            ).fetchone()
            given = doc.get("_rev")
            # A stale revision is a conflict, as in CouchDB; a missing one is accepted, so a
            # checkpoint lost with a restored backup can be written again.
            if current and given is not None and given != current[0]:
                raise RevisionConflict("Document update conflict")
            number = int(current[0].split("-")[1]) + 1 if current else 1
            rev = f"0-{number}"
            body = {k: v for k, v in doc.items() if not k.startswith("_")}
            self.db.execute(
                "INSERT OR REPLACE INTO local_docs (scope, id, rev, body) VALUES (?, ?, ?, ?)",
                [scope, doc_id, rev, json.dumps(body, ensure_ascii=False)],
            )
        return rev

    def local_delete(self, scope: str, doc_id: str, rev: str | None) -> None:
        with write_transaction(self.db):
            current = self.db.execute(
                "SELECT rev FROM local_docs WHERE scope = ? AND id = ?", [scope, doc_id]
            ).fetchone()
            if current is None:
                raise DocumentNotFound("missing")
            if rev is not None and rev != current[0]:
                raise RevisionConflict("Document update conflict")
            self.db.execute("DELETE FROM local_docs WHERE scope = ? AND id = ?", [scope, doc_id])
