"""The replication worker: continuous replication with the hub, backing off while it is away.

One thread replicates both ways, then waits for work: a local write (the store's
ChangeNotifier, or the update sequence moving, for writes from other processes) or a
change at the hub, which a second thread watches with a longpoll ``_changes`` (replication
protocol, "Continuous Replication"). Any failure puts the worker into exponential backoff
with jitter (sync/backoff.py). As every
session starts from the last checkpoint, a worker that returns picks up where it stopped.

Only one worker replicates a store with a hub at a time (sync/replication/lease.py); another one
waits, saying so in its own status, and takes over when the lease is free.

The clock, the sleep and the random source are parameters, so tests drive the backoff
without waiting. The state goes to ``replication_status`` for the admin endpoint and
``flask replicate --status``, which may run in another process; the documents the hub or
the store refused for good (doc_write_failures) go beside it, in a ``_local`` document.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sync.backoff import equal_jitter
from sync.replication.couch import CouchClient, HubError, redact
from sync.replication.lease import Lease, lease_path
from sync.replication.replicator import (
    ERRORS_KEPT,
    Replicator,
    WriteNotApplied,
    pending_local,
    replication_id,
)
from sync.replication.sides import CHECKPOINT_SCOPE
from sync.store.database import StorageError, fetch_all, server_uuid, write_transaction
from sync.store.documents import DocumentStore
from sync.store.errors import DocumentNotFound, StoreError

# Beside each replication_status row: its write failures (a _local document, so the
# status table's columns stay as migrated).
FAILURES_SCOPE = "_replication_failures"
LEASE_HELD = "another replicator holds the lease"

log = logging.getLogger("hirfa.replication")


@dataclass
class Backoff:
    """Delay before retry number ``failures`` (1, 2, ...): ``min_s`` doubling up to
    ``max_s``, then a random point in its upper half."""

    min_s: float = 1.0
    max_s: float = 300.0
    rng: random.Random | None = None

    def delay(self, failures: int) -> float:
        return equal_jitter(failures - 1, self.min_s, self.max_s, self.rng)


class ReplicationWorker:
    def __init__(
        self,
        make_store: Callable[[], DocumentStore],
        url: str,
        *,
        name: str = "hub",
        batch_size: int = 100,
        local_types: Iterable[str] = (),
        timeout_s: float = 60.0,
        heartbeat_ms: int = 10_000,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Any] | None = None,
        poll_s: float = 0.5,
        max_idle_s: float = 300.0,
        rules: dict[str, Any] | None = None,
        lease_retry_s: float = 5.0,
        arrived: Callable[[DocumentStore, list[str]], Any] | None = None,
    ):
        self.make_store = make_store
        self.url, self.name = url, name
        self.heartbeat_ms, self.poll_s, self.max_idle_s = heartbeat_ms, poll_s, max_idle_s
        self.backoff = backoff or Backoff()
        self.clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()  # the hub has changes
        self._healthy = threading.Event()  # last attempt worked: the watcher may longpoll
        self.sleep = sleep or self._stop.wait
        self.store = make_store()
        self.client = CouchClient(url, timeout=timeout_s)
        self.replicator = Replicator(
            self.store,
            self.client,
            batch_size=batch_size,
            local_types=local_types,
            clock=clock,
            rules=rules,
            arrived=arrived,
        )
        self.failures = 0
        self._remote_since: Any = self.replicator.pull_checkpoint_seq()
        self._pushed_seq = 0
        self._changed = threading.Condition()
        self._threads: list[threading.Thread] = []
        self.status: dict[str, Any] = {}
        self.lease = Lease(lease_path(self.store.db, self.client.safe_url))
        self.lease_retry_s = lease_retry_s
        self._watch_client: CouchClient | None = None
        self._save(state="starting", started_at=clock(), failures=0, pid=os.getpid())

    # one attempt

    def step(self) -> float | None:
        """Replicate both ways once. Returns the delay before the next attempt after a
        failure, or None when caught up (then wait for changes)."""
        if not self.lease.acquire():
            return self._leased_elsewhere()
        self._save(state="replicating", last_attempt_at=self.clock())
        try:
            pushed, pulled = self.replicator.sync(should_stop=self._stop.is_set)
        except (HubError, StorageError, StoreError, OSError, WriteNotApplied) as exc:
            return self._failed(exc)
        except Exception as exc:  # a bug must not kill the thread silently: log, back off
            log.exception("replication failed unexpectedly")
            return self._failed(exc)
        self.failures = 0
        self._remote_since = pulled.recorded_seq
        self._pushed_seq = pushed.recorded_seq
        self._record_write_failures(pushed, pulled)
        self._save(
            state="idle",
            last_success_at=self.clock(),
            failures=0,
            next_retry_at=None,
            pending_pull=pulled.pending,
            docs_pushed=self.status.get("docs_pushed", 0) + pushed.docs_written,
            docs_pulled=self.status.get("docs_pulled", 0) + pulled.docs_written,
        )
        self._healthy.set()
        return None

    def _failed(self, exc: BaseException) -> float:
        self.failures += 1
        delay = self.backoff.delay(self.failures)
        now = self.clock()
        self._healthy.clear()
        message = f"{type(exc).__name__}: {exc}"[:500]
        log.warning(
            "replication with %s failed (%s); retry in %.1f s", self.client.safe_url, exc, delay
        )
        self._save(
            state="backing_off",
            last_error=message,
            last_error_at=now,
            failures=self.failures,
            next_retry_at=now + delay,
            pending_pull=None,  # unknown until a pull completes again
        )
        return delay

    def _leased_elsewhere(self) -> float:
        """Another worker replicates this store with this hub: wait, do not fight it.
        Only its holder writes the shared status row; this worker's own status says why
        it waits."""
        holder = self.lease.holder()
        self.status.update(
            state="waiting_for_lease",
            last_error=f"{LEASE_HELD}" + (f" (pid {holder})" if holder else ""),
            last_error_at=self.clock(),
            next_retry_at=self.clock() + self.lease_retry_s,
            updated_at=self.clock(),
        )
        log.info("%s for %s; waiting", LEASE_HELD, self.client.safe_url)
        with self._changed:
            self._changed.notify_all()
        return self.lease_retry_s

    def _record_write_failures(self, *sessions: Any) -> None:
        failed = [
            {**e, "direction": direction, "at": self.clock()}
            for direction, stats in zip(("push", "pull"), sessions, strict=True)
            for e in stats.errors
        ]
        if not failed:
            return
        previous = self.write_failures()
        body = {
            "doc_write_failures": previous["doc_write_failures"]
            + sum(s.doc_write_failures for s in sessions),
            "write_failures": (previous["write_failures"] + failed)[-ERRORS_KEPT:],
        }
        try:
            self.store.local_put(FAILURES_SCOPE, self.name, body)
        except (StorageError, StoreError):
            log.exception("could not record the write failures")
        for e in failed:
            log.warning("%s of %s refused: %s %s", e["direction"], e["id"], e["error"], e["reason"])

    def write_failures(self) -> dict[str, Any]:
        return read_write_failures(self.store, self.name)

    # the loop

    def run(self) -> None:
        """Replicate until :meth:`stop`; the body of the worker thread (or of the CLI)."""
        # The watcher's client exists before its thread does, so a stop() at any moment
        # reaches it (an abort that ran before the client existed would miss it).
        self._watch_client = CouchClient(self.url, timeout=max(30.0, 3 * self.heartbeat_ms / 1000))
        if self._stop.is_set():
            self._watch_client.abort()
        watcher = threading.Thread(
            target=self._watch, args=(self._watch_client,), name="hirfa-hub-watch", daemon=True
        )
        watcher.start()
        self._threads.append(watcher)
        try:
            while not self._stop.is_set():
                delay = self.step()
                if self._stop.is_set():
                    break
                if delay is not None:
                    self.sleep(delay)
                else:
                    self._wait_for_changes()
        finally:
            self._save(state="stopped", next_retry_at=None)

    def start(self) -> ReplicationWorker:
        thread = threading.Thread(target=self.run, name="hirfa-replication", daemon=True)
        self._threads.insert(0, thread)  # before it runs: a stop() at once must see it
        thread.start()
        return self

    def stop(self, timeout: float | None = None) -> bool:
        """Stop the threads, release the lease and close the store; True once the threads
        are gone. A call blocked on a stalled link would hold its thread for up to the
        client's timeout: its socket is shut down, so the call fails at once instead, and
        the join is bounded by ``timeout`` (default: the client's timeout plus slack)."""
        self._stop.set()
        self._wake.set()
        self._healthy.set()  # let the watcher see the stop
        self.client.abort()
        if self._watch_client is not None:
            self._watch_client.abort()
        deadline = time.monotonic() + (timeout if timeout is not None else self.client.timeout + 5)
        # The loop first: the watcher it starts joins the list before the loop can end, so
        # once the loop is gone, the list read again holds every thread to wait for.
        for first in (True, False):
            for thread in self._threads[:1] if first else self._threads[1:]:
                if thread is not threading.current_thread():
                    thread.join(max(0.0, deadline - time.monotonic()))
        self.client.close()
        stopped = not any(
            t.is_alive() for t in self._threads if t is not threading.current_thread()
        )
        if stopped:
            self.lease.release()
            self.store.db.close()
        else:
            log.warning("the replication worker did not stop within its bound")
        return stopped

    @property
    def running(self) -> bool:
        return bool(self._threads) and self._threads[0].is_alive()

    def _wait_for_changes(self) -> None:
        notifier = self.store.notifier
        deadline = time.monotonic() + self.max_idle_s
        while not (self._stop.is_set() or self._wake.is_set()) and time.monotonic() < deadline:
            if self.store.update_seq() > self._pushed_seq:
                break  # written by this process or another (the CLI, a second server)
            if notifier is not None:
                if notifier.wait_past(self._pushed_seq, self.poll_s):
                    break
            else:
                self._stop.wait(self.poll_s)
        self._wake.clear()

    def _watch(self, client: CouchClient) -> None:
        """Longpoll the hub's feed while the link is up; wake the loop on a change."""
        try:
            while not self._stop.is_set():
                if not self._healthy.wait(self.poll_s) or self._stop.is_set():
                    continue
                try:
                    found = client.longpoll(
                        self._remote_since,
                        self.heartbeat_ms,
                        int(self.max_idle_s * 1000),
                        self._stop.is_set,
                    )
                except HubError:
                    found = {"results": ["?"]}  # let the loop find out, and back off
                if found and found.get("results"):
                    self._healthy.clear()  # until the loop has pulled past it
                    self._wake.set()
        finally:
            client.close()

    # state

    def _save(self, **changes: Any) -> None:
        self.status.update(changes, updated_at=self.clock())
        try:
            self.status["pending_push"] = self.replicator.pending_push()
        except StorageError:
            log.exception("could not count the pending changes")
        self.status["conflicts_resolved"] = self.replicator.conflicts_resolved
        row = {"name": self.name, "remote": self.client.safe_url}
        row.update({k: v for k, v in self.status.items() if k in _COLUMNS})
        if self.lease.held:  # the row is the lease holder's: a waiting worker keeps off it
            try:
                with write_transaction(self.store.db):
                    self.store.db["replication_status"].upsert(row, pk="name")
            except StorageError:
                log.exception("could not record the replication state")
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float) -> bool:
        """Block until ``predicate(status)`` holds (tests; the CLI's --once)."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(dict(self.status)), timeout)


_COLUMNS = {
    "state",
    "pid",
    "started_at",
    "updated_at",
    "last_attempt_at",
    "last_success_at",
    "last_error",
    "last_error_at",
    "failures",
    "next_retry_at",
    "pending_push",
    "pending_pull",
    "docs_pushed",
    "docs_pulled",
    "conflicts_resolved",
}


def read_status(
    store: DocumentStore, url: str, local_types: Iterable[str] = (), name: str = "hub"
) -> dict[str, Any]:
    """What the operator sees: the worker's last recorded state, and the local changes the
    hub has not had yet, counted now (they grow while the hub is away)."""
    rows = fetch_all(store.db, "SELECT * FROM replication_status WHERE name = ?", [name])
    status = rows[0] if rows else {"name": name, "state": "never_run"}
    status["remote"] = redact(url)
    push_id = replication_id(server_uuid(store.db), redact(url), "push", sorted(set(local_types)))
    checkpoint = store.db.execute(
        "SELECT body FROM local_docs WHERE scope = ? AND id = ?", [CHECKPOINT_SCOPE, push_id]
    ).fetchone()
    since = json.loads(checkpoint[0]).get("source_last_seq", 0) if checkpoint else 0
    status["pending_push"] = pending_local(store, since)
    status["open_conflicts"] = store.db.execute(
        "SELECT count(*) FROM replication_conflicts WHERE resolved_at IS NULL"
    ).fetchone()[0]
    status.update(read_write_failures(store, name))
    return status


def read_write_failures(store: DocumentStore, name: str = "hub") -> dict[str, Any]:
    """Documents refused for good since the store first replicated (a count) and the
    last few of them: {id, error, reason, direction, at}."""
    try:
        body = store.local_get(FAILURES_SCOPE, name)
    except DocumentNotFound:
        body = {}
    return {
        "doc_write_failures": body.get("doc_write_failures", 0),
        "write_failures": body.get("write_failures", []),
    }
