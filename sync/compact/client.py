"""The reference client of the compact protocol (sync/compact/batch.py), used by tests and bench.

It keeps what a phone keeps: the winning revision of each document it has, the edits
not yet pushed (each with its ancestry back to the revision the server gave it), and
the cursor. ``sync()`` is one request when there is nothing more to pull; a request that
fails on the network is sent again with the same request id, which the server answers
with the first outcome. ``first_sync()`` streams the snapshot, resuming after the last
complete line when the connection drops, then syncs from the snapshot's sequence.

Each answer names the server; the client sends that name with its cursor. When the
server was restored from a backup (a new uuid), it answers ``reset``: the client pushes
every document it holds again, with the history it knows (what the server still has
costs nothing there), without pulling, then pulls everything from 0. It keeps attachment
stubs, never bytes: a document whose attachment the restore lost is refused ("invalid",
missing_stub) and kept as it is, listed in ``rejected``; only one the server forbids is
dropped.
"""

from __future__ import annotations

import gzip
import itertools
import json
import time
import uuid
from typing import Any

import requests

from sync.store import revtree

RETRYABLE = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
GZIP_ABOVE = 1024  # smaller bodies are sent as they are: gzip's framing would cost more
PUSH_BATCH = 500  # revisions per request (the server takes at most 2,000)
HISTORY_KEEP = 100  # revisions of each document's history kept for a push after a reset


def replicated(doc_id: str, chain: list[str], body: dict[str, Any]) -> dict[str, Any]:
    """A revision as ``new_edits=false`` sends it: its ancestry (newest first) attached."""
    return {
        "_id": doc_id,
        "_rev": chain[0],
        "_revisions": {
            "start": revtree.parse_rev(chain[0])[0],
            "ids": [revtree.parse_rev(rev)[1] for rev in chain],
        },
        **body,
    }


class SyncFailed(RuntimeError):
    """The server refused a request, or the network failed more times than allowed."""


class CompactClient:
    def __init__(
        self,
        db_url: str,
        token: str,
        device: str | None = None,
        *,
        max_bytes: int | None = None,
        retries: int = 5,
        backoff_s: float = 0.5,
        timeout_s: float = 120.0,
    ) -> None:
        self.db_url = db_url.rstrip("/")
        self.device = device or uuid.uuid4().hex[:12]
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.session = requests.Session()
        # Only the headers that matter: on EDGE every byte of every request counts.
        self.session.headers.clear()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"})
        self.docs: dict[str, dict[str, Any]] = {}  # id -> winning revision as received
        self.chains: dict[str, list[str]] = {}  # id -> unpushed revs + the server's, newest first
        self.pending: dict[str, dict[str, Any]] = {}  # id -> body of the unpushed revision
        self.rejected: dict[str, dict[str, Any]] = {}  # id -> the forbidden/invalid outcome
        self.conflicts: dict[str, dict[str, Any]] = {}  # id -> the last conflict outcome
        self.history: dict[str, list[str]] = {}  # id -> every revision known, newest first
        self.unrestored: set[str] = set()  # ids a restored server could not take back
        self.cursor = 0
        self.server: str | None = None  # whose sequence the cursor is
        self.resets = 0
        self.requests = 0
        self._counter = itertools.count(1)

    def close(self) -> None:
        self.session.close()

    # local edits

    def put(self, doc: dict[str, Any], deleted: bool = False) -> str:
        """A local edit: a new revision on top of the one this device has; pushed by sync()."""
        doc_id = doc["_id"]
        body = {k: v for k, v in doc.items() if not k.startswith("_")}
        chain = self.chains.get(doc_id, [])
        parent = chain[0] if chain else None
        rev = revtree.new_rev_id(parent, body, deleted)
        self.chains[doc_id] = [rev, *chain]
        self.history[doc_id] = [rev, *self.history.get(doc_id, chain)][:HISTORY_KEEP]
        self.pending[doc_id] = {**body, "_deleted": True} if deleted else body
        current = {"_id": doc_id, "_rev": rev, **body}
        if deleted:
            self.docs.pop(doc_id, None)
        else:
            self.docs[doc_id] = current
        return rev

    def delete(self, doc_id: str) -> str:
        doc = self.docs[doc_id]
        return self.put(
            {k: v for k, v in doc.items() if not k.startswith("_")} | {"_id": doc_id}, True
        )

    def outgoing(self) -> list[dict[str, Any]]:
        """The pending revisions as the protocol sends them, with their ancestry."""
        out = []
        for doc_id, body in self.pending.items():
            out.append(replicated(doc_id, self.chains[doc_id], body))
        return out

    # talking to the server

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """One ``_sync`` request, sent again as it is (same request id) on network errors."""
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if len(data) > GZIP_ABOVE:
            data = gzip.compress(data, compresslevel=6, mtime=0)
            headers["Content-Encoding"] = "gzip"
        for attempt in range(self.retries + 1):
            try:
                self.requests += 1
                response = self.session.post(
                    f"{self.db_url}/_sync", data=data, headers=headers, timeout=self.timeout_s
                )
            except RETRYABLE as exc:
                if attempt == self.retries:
                    raise SyncFailed(f"no answer after {attempt + 1} attempts: {exc}") from exc
                time.sleep(self.backoff_s * 2**attempt)  # back off: the link is flapping
                continue
            if response.status_code >= 500 and attempt < self.retries:
                time.sleep(self.backoff_s * 2**attempt)
                continue
            if response.status_code != 200:
                raise SyncFailed(f"_sync answered {response.status_code}: {response.text[:500]}")
            return response.json()
        raise SyncFailed("unreachable")  # pragma: no cover

    def sync(self) -> dict[str, int]:
        """Push what is pending and pull until nothing more waits; counts of what moved."""
        queue = self.outgoing()
        moved = {"pushed": len(queue), "pulled": 0, "requests": 0}
        restoring = False  # pushing everything again after a reset
        while True:
            pushed, queue = queue[:PUSH_BATCH], queue[PUSH_BATCH:]
            body: dict[str, Any] = {"since": self.cursor, "device": self.device}
            if self.server:
                body["server"] = self.server
            if pushed:
                body["docs"] = pushed
                body["request_id"] = f"{self.device}:{next(self._counter)}:{uuid.uuid4().hex[:8]}"
            if restoring and queue:
                # Pull only when the server has everything: a page read before a document's
                # push could carry an older revision, and nothing would send the newer one.
                body["pull"] = False
            if self.max_bytes:
                body["max_bytes"] = self.max_bytes
            answer = self.post(body)
            moved["requests"] += 1
            self.server = answer.get("server") or self.server
            self._apply_results(pushed, answer["results"], restoring)
            if answer.get("reset"):
                self.resets += 1
                moved["resets"] = moved.get("resets", 0) + 1
                if moved["resets"] > 2:
                    raise SyncFailed("the server keeps answering reset")
                # The store was restored from a backup: it may have lost what we pushed, and
                # our cursor means nothing there. Push everything we hold, then pull from 0.
                restoring, queue, self.cursor = True, self.everything(), 0
                moved["pushed"] += len(queue)
                continue
            for change in answer["changes"]:
                self._apply_change(change)
            moved["pulled"] += len(answer["changes"])
            self.cursor = answer["cursor"]
            if not answer["more"] and not queue:
                return moved

    def everything(self) -> list[dict[str, Any]]:
        """Every document this device holds or has pending, with its known history."""
        out = []
        for doc_id in sorted(set(self.docs) | set(self.pending)):
            history = self.history.get(doc_id) or self.chains.get(doc_id)
            if not history:
                continue
            if doc_id in self.pending:
                body = self.pending[doc_id]
            else:
                held = self.docs[doc_id]
                body = {k: v for k, v in held.items() if not k.startswith("_")}
                if held.get("_attachments"):
                    body["_attachments"] = held["_attachments"]
            out.append(replicated(doc_id, history, body))
        return out

    def _apply_results(
        self, pushed: list[dict[str, Any]], results: list[dict[str, Any]], restoring: bool = False
    ) -> None:
        for doc, result in zip(pushed, results, strict=True):
            doc_id = doc["_id"]
            if self.pending.get(doc_id) is not None and self.chains[doc_id][0] == doc["_rev"]:
                del self.pending[doc_id]
            if result["status"] in ("ok", "conflict"):
                self.unrestored.discard(doc_id)
                self.chains[doc_id] = [doc["_rev"]]
                if result["status"] == "conflict":
                    self.conflicts[doc_id] = result
            else:
                self.rejected[doc_id] = result
                if not restoring or doc_id in self.pending:
                    continue
                if result["status"] == "forbidden":
                    # The restored server will not take it from this user: keep nothing it
                    # lost (the pull from 0 brings what it has instead).
                    for held in (self.docs, self.chains, self.history):
                        held.pop(doc_id, None)
                else:
                    # "invalid": most likely missing_stub, an attachment whose bytes the
                    # restore lost. This client keeps stubs only, so it cannot send them:
                    # it keeps its copy, reported in ``rejected``, and no older revision
                    # of the server's replaces it (the hub may bring the bytes back).
                    self.unrestored.add(doc_id)

    def _apply_change(self, change: dict[str, Any]) -> None:
        doc_id = change["_id"]
        if doc_id in self.pending:
            return  # edited here meanwhile: the next push makes the server merge it
        if change.get("_deleted") or change.get("_removed"):
            self.docs.pop(doc_id, None)
            self.chains.pop(doc_id, None)
            self.history.pop(doc_id, None)
            return
        known = self.history.get(doc_id, [])
        rev = change["_rev"]
        if doc_id in self.unrestored:
            held = revtree.parse_rev(self.docs[doc_id]["_rev"])[0] if doc_id in self.docs else 0
            if revtree.parse_rev(rev)[0] <= held:
                # Not newer than the copy the restored server could not take back: an older
                # revision (a change carries no ancestry to tell more), which would undo it.
                return
            self.unrestored.discard(doc_id)
        self.docs[doc_id] = change
        self.chains[doc_id] = [change["_rev"]]
        self.history[doc_id] = known[known.index(rev) :] if rev in known else [rev]

    def first_sync(self, resume_limit: int = 20) -> dict[str, int]:
        """Load the snapshot (resuming after drops), then sync from its sequence."""
        seq: int | None = None
        after: str | None = None
        done = False
        parts = 0
        while not done:
            if parts > resume_limit:
                raise SyncFailed(f"the snapshot did not complete in {parts} attempts")
            parts += 1
            try:
                seq_part, after, done = self._snapshot_part(after)
            except RETRYABLE:
                time.sleep(self.backoff_s)
                continue
            if seq is None:
                seq = seq_part  # the first part's: later parts are newer, sync covers the gap
        self.cursor = seq or 0
        moved = self.sync()
        moved["snapshot_requests"] = parts
        return moved

    def _snapshot_part(self, after: str | None) -> tuple[int | None, str | None, bool]:
        """Read one snapshot response as far as it goes: (its seq, last id, complete?)."""
        params = {"after": after} if after else None
        self.requests += 1
        seq = None
        with self.session.get(
            f"{self.db_url}/_snapshot", params=params, stream=True, timeout=self.timeout_s
        ) as response:
            if response.status_code != 200:
                raise SyncFailed(
                    f"_snapshot answered {response.status_code}: {response.text[:500]}"
                )
            try:
                for raw in response.iter_lines(chunk_size=16 * 1024):
                    line = json.loads(raw)
                    if "_id" in line:
                        self.docs[line["_id"]] = line
                        self.chains[line["_id"]] = [line["_rev"]]
                        self.history[line["_id"]] = [line["_rev"]]
                        after = line["_id"]
                    elif line.get("done"):
                        return seq, after, True
                    else:
                        seq = line["seq"]
            except (*RETRYABLE, ValueError):
                pass  # cut mid-stream: keep every complete line, resume after the last
        return seq, after, False
