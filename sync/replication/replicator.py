"""The CouchDB replication algorithm, as a client, between the store and a CouchDB database.

https://docs.couchdb.org/en/stable/replication/protocol.html . One generic algorithm
(:func:`replicate`) moves changes from a source to a target; both the store
(:class:`LocalSide`) and the hub (:class:`RemoteSide`), sync/replication/sides.py, can
be either, so a push and a pull are the same code. Per batch: read the source's changes
with every leaf ("Locate Changed Documents"), ask the target which revisions it lacks
(``_revs_diff``), fetch those with their history and the attachments the target has not
got (``_bulk_get``, else ``open_revs``, with ``atts_since``), write them as they are
(``_bulk_docs`` with ``new_edits=false``), then record a checkpoint on both sides
("Record Replication Checkpoint"). An interrupted run resumes from the last checkpoint
both sides agree on ("Find Common Ancestry"); what it repeats is at most one batch,
and a repeated write of a revision the target has is a no-op on both sides.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sync.replication.couch import CouchClient, HubRefused
from sync.replication.sides import LocalSide, RemoteSide, Side
from sync.replication.write_attempts import WriteAttempts
from sync.rules import resolution
from sync.store.documents import DocumentStore

HISTORY_LIMIT = 50  # CouchDB keeps 50 sessions in a replication log
PROTOCOL_VERSION = 1
# Per-document write errors that no retry will cure. As CouchDB's replicator does
# (couch_replicator_worker: forbidden and unauthorized from validate_doc_update, and a
# 413 or 415 for one document), these count as doc_write_failures and the checkpoint
# moves on; the worker lists them in its status so an operator sees them. Of our store's
# own errors (sync/store/errors.py): forbidden (the access rules), too_large (a document or
# attachment over max_attachment_bytes) and bad_request (a body, revision history or
# base64 the store cannot take) fail the same way on every try. Anything else (conflict,
# not_found, missing_stub after a full re-send, unknown_error, a name we do not know)
# may be a race or a passing fault: the batch is not checkpointed, and is tried again,
# up to MAX_WRITE_ATTEMPTS sessions per revision (sync/replication/write_attempts.py), then it too
# counts as a failure.
# The price of skipping: raising a limit later does not bring a skipped document by
# itself; it arrives with its next edit (or after its checkpoint is reset).
PERMANENT_WRITE_ERRORS = frozenset(
    {
        "forbidden",
        "unauthorized",
        "too_large",
        "document_too_large",
        "attachment_too_large",
        "unsupported_media_type",
        "bad_request",
    }
)
ERRORS_KEPT = 10


class WriteNotApplied(Exception):
    """The target refused documents for a reason that may pass: the batch is not
    checkpointed, so the next attempt sends it again."""

    def __init__(self, errors: list[dict[str, Any]]):
        first = errors[0]
        super().__init__(
            f"{len(errors)} document(s) not written, e.g. {first.get('id')}: "
            f"{first.get('error')} {first.get('reason', '')}".strip()
        )
        self.errors = errors


@dataclass
class Stats:
    """One session's counters, named as in CouchDB's replication history."""

    missing_checked: int = 0
    missing_found: int = 0
    docs_read: int = 0
    docs_written: int = 0
    doc_write_failures: int = 0
    batches: int = 0
    start_last_seq: Any = 0
    recorded_seq: Any = 0
    pending: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


def replication_id(local_uuid: str, remote_url: str, direction: str, options: Any = None) -> str:
    """Stable per (this store, the hub database, direction, options), as CouchDB derives
    its replication id from the peers and the filter ("Generate Replication ID")."""
    key = json.dumps([PROTOCOL_VERSION, local_uuid, remote_url, direction, options])
    return hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()


def start_seq(source_log: dict | None, target_log: dict | None) -> Any:
    """ "Compare Replication Logs": the same session on both sides is where we stopped;
    otherwise the newest session both histories know; otherwise the beginning."""
    if not source_log or not target_log:
        return 0
    if source_log.get("session_id") == target_log.get("session_id"):
        return source_log.get("source_last_seq", 0)
    target_sessions = {h.get("session_id") for h in target_log.get("history", [])}
    for entry in source_log.get("history", []):
        if entry.get("session_id") in target_sessions:
            return entry.get("recorded_seq", 0)
    return 0


def replicate(
    source: Side,
    target: Side,
    rep_id: str,
    batch_size: int = 100,
    should_stop: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.time,
    attempts: WriteAttempts | None = None,
) -> Stats:
    """One session: every change of ``source`` since the common checkpoint, to ``target``.
    ``attempts``: where the tries of refused revisions are counted (else every refusal
    that may pass stops the session, however often it came before)."""
    session_id = uuid.uuid4().hex
    started = clock()
    logs = {"source": source.get_checkpoint(rep_id), "target": target.get_checkpoint(rep_id)}
    stats = Stats()
    since = stats.start_last_seq = stats.recorded_seq = start_seq(logs["source"], logs["target"])
    while not (should_stop and should_stop()):
        batch = source.changes(since, batch_size)
        stats.pending = batch.pending
        if not batch.seen and batch.last_seq == since:
            stats.pending = 0
            break
        _move(source, target, batch.results, stats, attempts)
        if attempts is not None:
            attempts.clear()
        if batch.last_seq is None or batch.last_seq == since:
            # A full page that does not move the sequence (no last_seq, or the same one):
            # asking again would get the same page forever. What it carried is applied,
            # so its last row's own sequence is checkpointed (the next session asks for
            # what follows); a page whose rows name no later sequence leaves nothing to
            # record, and the next session asks for it again.
            stats.batches += 1
            reached = batch.last_row_seq
            if reached is not None and reached != since:
                _checkpoint(
                    source, target, rep_id, logs, session_id, started, reached, stats, clock
                )
            break
        since = batch.last_seq
        logs = _checkpoint(source, target, rep_id, logs, session_id, started, since, stats, clock)
        stats.batches += 1
        if batch.seen < batch_size or batch.pending == 0:
            stats.pending = 0
            break
    return stats


def _move(
    source: Side,
    target: Side,
    results: list[tuple[str, list[str]]],
    stats: Stats,
    attempts: WriteAttempts | None = None,
) -> None:
    revs = {doc_id: leaves for doc_id, leaves in results}
    stats.missing_checked += sum(len(v) for v in revs.values())
    diff = target.revs_diff(revs) if revs else {}
    stats.missing_found += sum(len(v["missing"]) for v in diff.values())
    if not diff:
        return
    docs = source.fetch(diff)
    stats.docs_read += len(docs)
    errors = target.write(docs) if docs else []
    stubs = {e["id"] for e in errors if e.get("error") == "missing_stub"}
    if stubs:
        # The target lost an attachment we assumed it had (compaction, a restore):
        # send those documents again with every attachment inline.
        again = source.fetch({i: diff[i] for i in stubs if i in diff}, full=True)
        errors = [e for e in errors if e["id"] not in stubs] + target.write(again)
    retry = [e for e in errors if e.get("error") not in PERMANENT_WRITE_ERRORS]
    if retry and attempts is not None:
        given_up = attempts.given_up(retry, docs)
        if len(given_up) == len(retry):  # tried often enough: count them as failures
            errors = [e for e in errors if e not in retry] + given_up
            retry = []
    if retry:
        raise WriteNotApplied(retry)
    stats.docs_written += len(docs) - len(errors)
    stats.doc_write_failures += len(errors)
    stats.errors = (stats.errors + errors)[-ERRORS_KEPT:]


def _checkpoint(source, target, rep_id, logs, session_id, started, seq, stats, clock):
    """Write the same replication log on both sides; returns the logs with new revisions."""
    entry = {
        "session_id": session_id,
        "start_time": started,
        "end_time": clock(),
        "start_last_seq": stats.start_last_seq,
        "end_last_seq": seq,
        "recorded_seq": seq,
        **{k: v for k, v in asdict(stats).items() if k.startswith(("missing", "docs", "doc_"))},
    }
    stats.recorded_seq = seq
    written = {}
    for name, side in (("source", source), ("target", target)):
        log = logs[name] or {}
        # Within a session the first history entry is updated, not repeated.
        history = [h for h in log.get("history", []) if h.get("session_id") != session_id]
        doc = {
            "session_id": session_id,
            "source_last_seq": seq,
            "replication_id_version": PROTOCOL_VERSION,
            "replicator": "hirfa",
            "history": [entry, *history][:HISTORY_LIMIT],
        }
        if log.get("_rev"):
            doc["_rev"] = log["_rev"]
        written[name] = side.put_checkpoint(rep_id, doc)
    return written


def pending_local(store: DocumentStore, since: Any) -> int:
    """Local changes after ``since`` (the push checkpoint): what the hub has not seen."""
    return store.db.execute(
        "SELECT count(*) FROM docs WHERE seq > ?", [int(since or 0)]
    ).fetchone()[0]


class Replicator:
    """Both directions between one store and one hub database."""

    def __init__(
        self,
        store: DocumentStore,
        client: CouchClient,
        batch_size: int = 100,
        local_types: Iterable[str] = (),
        resolve: bool = True,
        clock: Callable[[], float] = time.time,
        rules: dict[str, Any] | None = None,
        arrived: Callable[[DocumentStore, list[str]], Any] | None = None,
    ):
        """``arrived(store, ids)``: after documents are pulled in (the media store fills
        itself from ``media:`` documents)."""
        self.store, self.client = store, client
        self.batch_size = batch_size
        self.local_types = sorted(set(local_types))
        self.clock = clock
        # No closure over self: a Replicator must not sit in a reference cycle, or its
        # pooled sockets are finalised by the cyclic GC in any order, before the pool
        # closes them (ResourceWarning).
        kept = set(self.local_types)
        keep = (lambda body: body.get("type") in kept) if kept else None
        resolved = self._resolved = [0]
        self.rules = rules = resolution.RULES if rules is None else rules

        def after(ids: list[str]) -> None:
            resolved[0] += len(resolution.resolve(store, ids, clock, rules).resolved)

        landed = (lambda ids: arrived(store, ids)) if arrived is not None else None
        self.local = LocalSide(
            store, keep_local=keep, settle=after if resolve else None, arrived=landed
        )
        self.remote = RemoteSide(client)
        uuid_ = self.local.uuid()
        self.push_id = replication_id(uuid_, client.safe_url, "push", self.local_types)
        self.pull_id = replication_id(uuid_, client.safe_url, "pull", None)

    def push(self, should_stop: Callable[[], bool] | None = None) -> Stats:
        return replicate(
            self.local,
            self.remote,
            self.push_id,
            self.batch_size,
            should_stop,
            self.clock,
            WriteAttempts(self.store, self.push_id),
        )

    def pull(self, should_stop: Callable[[], bool] | None = None) -> Stats:
        return replicate(
            self.remote,
            self.local,
            self.pull_id,
            self.batch_size,
            should_stop,
            self.clock,
            WriteAttempts(self.store, self.pull_id),
        )

    def verify(self) -> dict[str, Any]:
        """ "Verify Peers": the hub database answers and exists (we never create it: that
        needs an admin of the hub, and a typo in the URL must not make a new database)."""
        try:
            return self.client.info()
        except HubRefused as exc:
            if exc.status == 404:
                raise HubRefused(
                    404, "not_found", f"the hub database {self.client.safe_url} does not exist"
                ) from exc
            raise

    def sync(self, should_stop: Callable[[], bool] | None = None) -> tuple[Stats, Stats]:
        """Pull first, so the revisions conflict resolution writes go up in the same round."""
        self.verify()
        pulled = self.pull(should_stop)
        pushed = self.push(should_stop)
        return pushed, pulled

    @property
    def conflicts_resolved(self) -> int:
        return self._resolved[0]

    def pull_checkpoint_seq(self) -> Any:
        log = self.local.get_checkpoint(self.pull_id)
        return log.get("source_last_seq", 0) if log else 0

    def pending_push(self) -> int:
        log = self.local.get_checkpoint(self.push_id)
        return pending_local(self.store, log.get("source_last_seq", 0) if log else 0)
