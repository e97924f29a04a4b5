"""The two sides of a replication: the store (:class:`LocalSide`) and a CouchDB database
(:class:`RemoteSide`), each able to be the source or the target of sync/replication/replicator.py's
one algorithm. Each speaks the protocol's steps: its changes with every leaf, which
revisions it lacks (``_revs_diff``), the revisions with their history and attachments,
writes as they are (``new_edits=false``), and its ``_local`` checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sync.replication.couch import CouchClient, HubIncomplete, HubRefused
from sync.store import revtree
from sync.store.database import server_uuid
from sync.store.documents import DocumentStore
from sync.store.errors import DocumentNotFound

CHECKPOINT_SCOPE = "_replicator"  # our side's _local documents for replication


@dataclass
class Batch:
    results: list[tuple[str, list[str]]]  # (doc id, leaf revisions)
    last_seq: Any
    pending: int | None
    seen: int  # changes read, before the push filter: a full page means read on
    last_row_seq: Any = None  # the last change's own sequence, before the push filter


class Side(Protocol):
    def changes(self, since: Any, limit: int) -> Batch: ...
    def revs_diff(self, revs: dict[str, list[str]]) -> dict[str, Any]: ...
    def fetch(self, diff: dict[str, Any], full: bool = False) -> list[dict[str, Any]]: ...
    def write(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]: ...
    def get_checkpoint(self, rep_id: str) -> dict[str, Any] | None: ...
    def put_checkpoint(self, rep_id: str, doc: dict[str, Any]) -> dict[str, Any]: ...


class LocalSide:
    """The store. ``keep_local(body)`` keeps a document off the hub (push filter);
    ``settle(ids)`` applies conflict resolution to documents replication brings in, and to
    local ones on their way out (a phone's conflict, a coordinator's manual fix)."""

    def __init__(
        self,
        store: DocumentStore,
        keep_local: Callable[[dict[str, Any]], bool] | None = None,
        settle: Callable[[list[str]], Any] | None = None,
        arrived: Callable[[list[str]], Any] | None = None,
    ):
        self.store = store
        self.keep_local = keep_local
        self.settle = settle
        self.arrived = arrived

    def changes(self, since: Any, limit: int) -> Batch:
        feed = self.store.changes(since=int(since or 0), limit=limit, all_leaves=True)
        results = [(r["id"], [c["rev"] for c in r["changes"]]) for r in feed["results"]]
        seen = len(results)
        last_row = feed["results"][-1]["seq"] if feed["results"] else None
        if self.settle is not None and results:
            # Revisions written here come later in the feed and go up in a later batch.
            self.settle([doc_id for doc_id, _ in results])
        if self.keep_local is not None:
            results = [r for r in results if not self._kept(r[0])]
        return Batch(results, feed["last_seq"], feed["pending"], seen, last_row)

    def _kept(self, doc_id: str) -> bool:
        row = self.store.row(doc_id)
        if row is None:
            return False
        # The type never changes (sync/rules/access.py), so any leaf with a body tells it.
        bodies = (self.store.body(doc_id, rev) for rev in revtree.leaves(row.tree))
        return any(body and self.keep_local(body) for body in bodies)

    def revs_diff(self, revs: dict[str, list[str]]) -> dict[str, Any]:
        return self.store.revs_diff(revs)

    def fetch(self, diff: dict[str, Any], full: bool = False) -> list[dict[str, Any]]:
        docs = []
        for doc_id, entry in diff.items():
            for found in self.store.open_revs(
                doc_id,
                entry["missing"],
                latest=True,  # as _bulk_get with latest=true: a newer leaf, not a gap
                revs=True,
                attachments_data=True,
                atts_since=None if full else entry.get("possible_ancestors"),
            ):
                if "ok" in found:
                    docs.append(found["ok"])
        return docs

    def write(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # No access check: the hub is ours, and its revisions were checked where written.
        results = self.store.bulk_docs(docs, new_edits=False, check=None)
        if self.settle is not None:
            self.settle(sorted({d["_id"] for d in docs}))
        if self.arrived is not None:
            self.arrived(sorted({r["id"] for r in results if "error" not in r}))
        return [
            {"id": r["id"], "error": r["error"], "reason": r["reason"]}
            for r in results
            if "error" in r
        ]

    def get_checkpoint(self, rep_id: str) -> dict[str, Any] | None:
        try:
            return self.store.local_get(CHECKPOINT_SCOPE, rep_id)
        except DocumentNotFound:
            return None

    def put_checkpoint(self, rep_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        rev = self.store.local_put(CHECKPOINT_SCOPE, rep_id, doc)
        return {**doc, "_rev": rev}

    def uuid(self) -> str:
        return server_uuid(self.store.db)


class RemoteSide:
    """A CouchDB database through :class:`CouchClient`."""

    def __init__(self, client: CouchClient):
        self.client = client

    def changes(self, since: Any, limit: int) -> Batch:
        feed = self.client.changes(since, limit)
        rows = feed.get("results", [])
        results = [(r["id"], [c["rev"] for c in r["changes"]]) for r in rows]
        last_row = rows[-1].get("seq") if rows else None
        return Batch(
            results, feed.get("last_seq", since), feed.get("pending"), len(results), last_row
        )

    def revs_diff(self, revs: dict[str, list[str]]) -> dict[str, Any]:
        return self.client.revs_diff(revs)

    def fetch(self, diff: dict[str, Any], full: bool = False) -> list[dict[str, Any]]:
        wanted = []
        for doc_id, entry in diff.items():
            since = [] if full else entry.get("possible_ancestors", [])
            for rev in entry["missing"]:
                wanted.append(
                    {"id": doc_id, "rev": rev, **({"atts_since": since} if since else {})}
                )
        found = self.client.bulk_get(wanted) if self.client.has_bulk_get else None
        if found is None:  # a server without _bulk_get: one open_revs per document
            found = []
            for doc_id, entry in diff.items():
                since = [] if full else entry.get("possible_ancestors", [])
                found += self.client.open_revs(doc_id, entry["missing"], since)
        docs = [f["ok"] for f in found]
        absent = _absent(diff, docs)
        if absent:
            # pouchdb-server answers {} for a revision it cannot give (docs/library-notes.md),
            # CouchDB an error object: either way skipping it would checkpoint past it.
            doc_id, rev = absent[0]
            raise HubIncomplete(
                f"the hub did not return {len(absent)} revision(s) it listed, e.g. {doc_id} {rev}"
            )
        return docs

    def write(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            return self.client.bulk_docs(docs)
        except HubRefused as exc:
            if exc.status == 412 and exc.error == "missing_stub":
                # Apache CouchDB refuses the whole request with 412 missing_stub when an
                # attachment stub names content it lacks (couch_replicator_worker,
                # handle_doc_write_error); pouchdb-server answers per document. Either way
                # the documents go again with every attachment inline (see _move).
                return [_error(d, "missing_stub", exc.reason) for d in docs]
            if exc.status in (413, 415):
                # Too large (or a body it will not take): halve the batch, as CouchDB's
                # replicator does, until the one document the hub refuses is alone.
                if len(docs) > 1:
                    half = len(docs) // 2
                    return self.write(docs[:half]) + self.write(docs[half:])
                name = "too_large" if exc.status == 413 else "unsupported_media_type"
                return [_error(docs[0], name, exc.reason)]
            raise

    def get_checkpoint(self, rep_id: str) -> dict[str, Any] | None:
        return self.client.get_local(rep_id)

    def put_checkpoint(self, rep_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            rev = self.client.put_local(rep_id, doc)
        except HubRefused as exc:
            if exc.status != 409:
                raise
            # Our last PUT went through but its answer was lost: take the current rev.
            current = self.client.get_local(rep_id) or {}
            rev = self.client.put_local(rep_id, {**doc, "_rev": current.get("_rev")})
        return {**doc, "_rev": rev}


def _error(doc: dict[str, Any], error: str, reason: str) -> dict[str, Any]:
    return {"id": doc.get("_id"), "error": error, "reason": reason}


def _absent(diff: dict[str, Any], docs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The (id, rev) pairs ``diff`` asked for that no fetched revision covers (with
    ``latest``, a newer leaf that has the revision in its history covers it)."""
    covered = set()
    for doc in docs:
        covered.add((doc["_id"], doc.get("_rev")))
        history = doc.get("_revisions") or {}
        start = history.get("start", 0)
        for n, rev_hash in enumerate(history.get("ids", [])):
            covered.add((doc["_id"], f"{start - n}-{rev_hash}"))
    return [
        (doc_id, rev)
        for doc_id, entry in diff.items()
        for rev in entry["missing"]
        if (doc_id, rev) not in covered
    ]
