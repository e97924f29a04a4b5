"""The transactional outbox: a notification is a row written in the same SQLite
transaction as the change that calls for it, so a rolled-back change sends nothing and
a committed one is sent even if the process dies before the dispatcher gets to it.

The dispatcher (api/services/push/dispatcher.py) claims due rows with a lease, sends,
and records per device token what happened. Delivery is at least once: a crash after
FCM accepted a message but before the record commits sends it again, so every message
carries its ``dedup_key`` for the app to drop a repeat.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from sync.backoff import equal_jitter
from sync.store.database import fetch_all, write_transaction

from .push.messages import KINDS

PRIORITIES = ("high", "normal")


class OutboxError(ValueError):
    """A notification that cannot be queued as asked (unknown kind, bad data)."""


def enqueue(
    db: sqlite_utils.Database,
    *,
    user_id: str,
    kind: str,
    data: dict[str, Any],
    dedup_key: str,
    collapse_key: str | None = None,
    priority: str = "normal",
    ttl_seconds: int | None = None,
    now: float | None = None,
) -> int | None:
    """Queue a notification for ``user_id``; returns its row id, or None when a row with
    this ``dedup_key`` exists (the same event queued twice is sent once).

    Call it inside the caller's write transaction: it nests as a savepoint there and
    commits or rolls back with the caller's change. ``ttl_seconds`` defaults per kind.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise OutboxError(f"unknown notification kind {kind!r}; known: {', '.join(KINDS)}")
    if priority not in PRIORITIES:
        raise OutboxError(f"priority is one of {PRIORITIES}, not {priority!r}")
    if not dedup_key:
        raise OutboxError("a dedup_key is required: it is what makes a retry harmless")
    now = time.time() if now is None else now
    ttl = spec.ttl_seconds if ttl_seconds is None else ttl_seconds
    with write_transaction(db):
        row = db.execute(
            "INSERT INTO outbox (dedup_key, user_id, kind, data, collapse_key, priority, "
            "created_at, expires_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
            [
                dedup_key,
                user_id,
                kind,
                json.dumps(data, ensure_ascii=False, sort_keys=True),
                collapse_key,
                priority,
                now,
                now + ttl,
                now,
            ],
        ).fetchone()
    return row[0] if row else None


@dataclass
class Claimed:
    """One due notification and the device tokens it still has to reach."""

    id: int
    user_id: str
    kind: str
    data: dict[str, Any]
    dedup_key: str
    collapse_key: str | None
    priority: str
    expires_at: float
    attempts: int
    user_locale: str | None
    devices: list[tuple[str, str | None]] = field(default_factory=list)  # (token, locale)
    lease_until: float = 0  # our claim's `claimed_until`: the row is ours while it holds


def claim(db: sqlite_utils.Database, now: float, limit: int, lease_seconds: float) -> list[Claimed]:
    """Take up to ``limit`` due rows for ``lease_seconds`` (high priority first). A row
    claimed by a dispatcher that died is due again when its lease runs out."""
    with write_transaction(db):
        db.execute(
            "UPDATE outbox SET state = 'expired', done_at = ? "
            "WHERE state = 'pending' AND expires_at <= ?",
            [now, now],
        )
        rows = fetch_all(
            db,
            "SELECT o.*, u.locale AS user_locale FROM outbox o "
            "LEFT JOIN users u ON u.id = o.user_id "
            "WHERE o.state = 'pending' AND o.next_attempt_at <= ? AND o.claimed_until <= ? "
            "ORDER BY o.priority = 'high' DESC, o.id LIMIT ?",
            [now, now, limit],
        )
        if rows:
            ids = [r["id"] for r in rows]
            db.execute(
                f"UPDATE outbox SET claimed_until = ? WHERE id IN ({','.join('?' * len(ids))})",
                [now + lease_seconds, *ids],
            )
        claimed = [
            Claimed(
                r["id"],
                r["user_id"],
                r["kind"],
                json.loads(r["data"]),
                r["dedup_key"],
                r["collapse_key"],
                r["priority"],
                r["expires_at"],
                r["attempts"],
                r["user_locale"],
                lease_until=now + lease_seconds,
            )
            for r in rows
        ]
        for item in claimed:
            # Tokens already delivered to (or found dead) are not sent to again.
            item.devices = [
                (r[0], r[1])
                for r in db.execute(
                    "SELECT d.token, d.locale FROM devices d WHERE d.user_id = ? AND NOT EXISTS "
                    "(SELECT 1 FROM push_deliveries p WHERE p.outbox_id = ? AND p.token = d.token "
                    "AND p.state IN ('sent', 'dropped', 'failed')) ORDER BY d.token",
                    [item.user_id, item.id],
                ).fetchall()
            ]
    return claimed


def renew(
    db: sqlite_utils.Database, claimed: list[Claimed], now: float, lease_seconds: float
) -> list[Claimed]:
    """Extend our lease on ``claimed`` before sending more of them; returns the rows still
    ours. A row whose lease ran out may have been claimed by another dispatcher (its
    ``claimed_until`` is no longer ours): we must not send it too."""
    kept = []
    with write_transaction(db):
        for item in claimed:
            cursor = db.execute(
                "UPDATE outbox SET claimed_until = ? WHERE id = ? AND state = 'pending' "
                "AND claimed_until = ?",
                [now + lease_seconds, item.id, item.lease_until],
            )
            if cursor.rowcount:
                item.lease_until = now + lease_seconds
                kept.append(item)
    return kept


@dataclass
class Outcome:
    """What happened to one message: sent, to retry, or a dead token to drop."""

    outbox_id: int
    token: str
    state: str  # sent | retry | dropped (a dead token) | failed (this message, never)
    message_name: str | None = None
    error: str | None = None
    retry_after: float | None = None


def record(
    db: sqlite_utils.Database,
    claimed: list[Claimed],
    outcomes: list[Outcome],
    now: float,
    *,
    max_attempts: int,
    backoff_seconds: float,
    backoff_max_seconds: float,
    rng: random.Random | None = None,
) -> dict[str, int]:
    """Write the outcomes of one pass: deliveries, dead tokens removed, each row's state
    (done, or due again after an exponential backoff with jitter)."""
    rng = rng or _rng
    counts = {"sent": 0, "retry": 0, "dropped": 0, "failed": 0, "no_device": 0}
    by_row: dict[int, list[Outcome]] = {}
    for outcome in outcomes:
        by_row.setdefault(outcome.outbox_id, []).append(outcome)
    with write_transaction(db):
        for out in outcomes:
            db.execute(
                "INSERT INTO push_deliveries (outbox_id, token, state, attempts, message_name, "
                "error, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?) ON CONFLICT (outbox_id, token) "
                "DO UPDATE SET state = excluded.state, attempts = attempts + 1, "
                "message_name = excluded.message_name, error = excluded.error, "
                "updated_at = excluded.updated_at",
                [out.outbox_id, out.token, out.state, out.message_name, out.error, now],
            )
            if out.state == "dropped":
                # FCM says this token will never work again: stop sending to it.
                db.execute("DELETE FROM devices WHERE token = ?", [out.token])
            counts[out.state] += 1
        for item in claimed:
            retry = [o for o in by_row.get(item.id, []) if o.state == "retry"]
            states = _delivery_states(db, item)
            gave_up = False
            if not item.devices:
                state = "no_device"
            elif "retry" not in states:
                state = next((s for s in ("sent", "failed") if s in states), "no_device")
            elif item.attempts + 1 >= max_attempts:
                state, gave_up = "failed", True
            else:
                # Jitter spreads the rows one FCM outage failed together, so they do not
                # all come back in the same second.
                delay = equal_jitter(item.attempts, backoff_seconds, backoff_max_seconds, rng)
                # Retry-After is honoured up to our own maximum: a server asking for a day
                # would otherwise outlive a notification's use.
                waits = [min(o.retry_after, backoff_max_seconds) for o in retry if o.retry_after]
                delay = max([delay, *waits])
                db.execute(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, "
                    "claimed_until = 0, last_error = ? WHERE id = ?",
                    [now + delay, retry[0].error if retry else None, item.id],
                )
                continue
            if gave_up:
                db.execute(
                    "UPDATE push_deliveries SET state = 'failed' WHERE outbox_id = ? "
                    "AND state = 'retry'",
                    [item.id],
                )
            if state == "no_device" or gave_up:
                counts[state] += 1
            db.execute(
                "UPDATE outbox SET state = ?, attempts = attempts + 1, done_at = ?, "
                "claimed_until = 0, last_error = ? WHERE id = ?",
                [state, now, retry[0].error if retry else None, item.id],
            )
    return counts


_rng = random.Random()


def _delivery_states(db: sqlite_utils.Database, item: Claimed) -> set[str]:
    """States of the row's deliveries (a row may span batches): to a token that is
    gone since (logout), a pending retry no longer counts."""
    return {
        r[0]
        for r in db.execute(
            "SELECT p.state FROM push_deliveries p WHERE p.outbox_id = ? AND (p.state != 'retry' "
            "OR EXISTS (SELECT 1 FROM devices d WHERE d.token = p.token AND d.user_id = ?))",
            [item.id, item.user_id],
        )
    }


def pending_count(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
