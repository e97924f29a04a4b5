"""Drains the outbox: claims due notifications, renders them in each device's language,
sends them in batches through a transport, and records what happened.

Time comes from ``clock`` and waiting from ``wait`` so tests drive retries and leases
without sleeping. Several dispatchers (the `serve` thread and `flask dispatch`) can run
at once: rows are claimed with a lease, and a dead dispatcher's lease runs out. A pass
claims one batch of rows (FCM's 500), so its lease covers one round trip, and renews the
lease before each further batch of a row with many devices: a row is never held by a
lease that ran out while it was still being sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from .. import outbox
from . import PushMessage, Transport, messages

log = logging.getLogger("hirfa.push")


@dataclass
class Policy:
    batch_size: int = 500
    max_attempts: int = 8
    backoff_seconds: float = 15
    backoff_max_seconds: float = 3600
    lease_seconds: float = 300  # far longer than one batch's round trip to FCM
    idle_seconds: float = 5


@dataclass
class PassReport:
    claimed: int = 0
    messages: int = 0
    batches: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value


def build(item: outbox.Claimed, now: float) -> list[PushMessage]:
    """One message per device still to reach, each in that device's language; FCM keeps
    it for what is left of the notification's time to live."""
    ttl = max(0, int(item.expires_at - now))
    data = messages.payload(item.kind, item.data, item.dedup_key)
    out = []
    for token, device_locale in item.devices:
        title, body = messages.render(
            item.kind, item.data, messages.choose_locale(device_locale, item.user_locale)
        )
        out.append(PushMessage(token, title, body, data, item.collapse_key, item.priority, ttl))
    return out


class Dispatcher:
    def __init__(
        self,
        open_db: Callable[[], sqlite_utils.Database],
        transport: Transport,
        policy: Policy | None = None,
        *,
        clock: Callable[[], float] = time.time,
        wait: Callable[[float], Any] | None = None,
        before_pass: Callable[[sqlite_utils.Database, float], Any] | None = None,
    ):
        self.open_db = open_db
        self.transport = transport
        self.policy = policy or Policy()
        self.clock = clock
        self.stop_event = threading.Event()
        self.wait = wait or self.stop_event.wait
        self.before_pass = before_pass
        self._db: sqlite_utils.Database | None = None
        self._thread: threading.Thread | None = None

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = self.open_db()
        return self._db

    def run_once(self) -> PassReport:
        """One pass: claim a batch of due rows, send them, record them."""
        now = self.clock()
        if self.before_pass is not None:
            self.before_pass(self.db, now)
        policy, report = self.policy, PassReport()
        claimed = outbox.claim(self.db, now, policy.batch_size, policy.lease_seconds)
        report.claimed = len(claimed)
        pending: list[tuple[outbox.Claimed, PushMessage]] = []
        for item in claimed:
            pending += [(item, m) for m in build(item, now)]
        no_device = [item for item in claimed if not item.devices]
        for start in range(0, max(len(pending), 1), policy.batch_size):
            chunk = pending[start : start + policy.batch_size]
            if start:  # a row with many devices: still ours?
                items = list({item.id: item for item, _ in chunk}.values())
                ours = {
                    i.id for i in outbox.renew(self.db, items, self.clock(), policy.lease_seconds)
                }
                chunk = [(item, m) for item, m in chunk if item.id in ours]
            rows = {item.id: item for item, _ in chunk}
            if start == 0:
                rows.update({item.id: item for item in no_device})
            if not rows:
                continue
            results = self.transport.send_each([m for _, m in chunk]) if chunk else []
            outcomes = [
                outbox.Outcome(item.id, m.token, r.state, r.message_name, r.error, r.retry_after)
                for (item, m), r in zip(chunk, results, strict=True)
            ]
            # Record after each batch: a crash loses (and resends) one batch at most.
            last_of_row = _rows_complete(pending, start + len(chunk), rows)
            report.add(
                outbox.record(
                    self.db,
                    last_of_row,
                    outcomes,
                    self.clock(),
                    max_attempts=policy.max_attempts,
                    backoff_seconds=policy.backoff_seconds,
                    backoff_max_seconds=policy.backoff_max_seconds,
                )
            )
            report.messages += len(chunk)
            report.batches += 1 if chunk else 0
        return report

    def run_until_idle(self, max_passes: int = 1000) -> PassReport:
        """Passes until nothing is due now (retries scheduled later stay queued)."""
        total = PassReport()
        for _ in range(max_passes):
            report = self.run_once()
            if not report.claimed:
                break
            total.claimed += report.claimed
            total.messages += report.messages
            total.batches += report.batches
            total.add(report.counts)
        return total

    def run_forever(self) -> None:
        log.info("push dispatcher started (transport: %s)", self.transport.name)
        while not self.stop_event.is_set():
            try:
                report = self.run_once()
            except Exception:  # keep the thread alive; the outbox keeps the work
                log.exception("push dispatcher pass failed")
                report = PassReport()
            if not report.claimed:
                self.wait(self.policy.idle_seconds)
        if self._db is not None:
            self._db.close()
            self._db = None
        log.info("push dispatcher stopped")

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run_forever, name="push-dispatcher")
        self._thread.daemon = True
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 30) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)


def _rows_complete(
    pending: list[tuple[outbox.Claimed, PushMessage]], end: int, rows: dict[int, outbox.Claimed]
) -> list[outbox.Claimed]:
    """The rows of this batch whose every message has now been sent: only those get a
    final state; a row split over two batches is settled with the second."""
    later = {item.id for item, _ in pending[end:]}
    return [item for item_id, item in rows.items() if item_id not in later]
