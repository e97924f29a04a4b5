"""Coordinators' digest of listings waiting for review: one message per coordinator and
cooperative with the count, never one per photo or product.

A digest is queued when the set of waiting listings changed since the last one (its
dedup key carries the latest change's sequence) and replaces the previous one on the
phone (same collapse key). The dispatcher calls this at most every
``HIRFA_PUSH_DIGEST_SECONDS``.
"""

from __future__ import annotations

import sqlite_utils

from sync.store.database import read_snapshot

from .. import list_index, outbox


def _waiting(db: sqlite_utils.Database) -> list[tuple[str, int, int]]:
    """(cooperative, listings submitted, the latest change among them), from the list
    index (api/services/list_index.py): a product is in its cooperative's channel,
    ``coop:<id>`` (sync/rules/access.py)."""
    list_index.follow(db)
    with read_snapshot(db):
        counted = db.execute(
            "SELECT channel, n FROM list_counts WHERE channel >= 'coop:' AND channel < 'coop;' "
            "AND kind = 'product' AND status = 'submitted' AND n > 0"
        ).fetchall()
        return [
            (
                channel.removeprefix("coop:"),
                count,
                db.execute(
                    "SELECT max(seq) FROM list_index WHERE channel = ? AND kind = 'product' "
                    "AND status = 'submitted'",
                    [channel],
                ).fetchone()[0],
            )
            for channel, count in counted
        ]


def queue_uploads_waiting(db: sqlite_utils.Database, now: float) -> int:
    """Queue the digests that are due; returns how many were queued."""
    waiting = _waiting(db)
    queued = 0
    for coop, count, seq in waiting:
        names = db.execute(
            "SELECT name_ar, name_fr FROM cooperatives WHERE id = ?", [coop]
        ).fetchone()
        for (coordinator,) in db.execute(
            "SELECT user_id FROM coordinator_cooperatives WHERE cooperative_id = ?", [coop]
        ).fetchall():
            queued += (
                outbox.enqueue(
                    db,
                    user_id=coordinator,
                    kind="uploads_waiting",
                    data={
                        "cooperative_id": coop,
                        "count": count,
                        "cooperative_name": {"ar": names[0], "fr": names[1], "en": names[1]}
                        if names
                        else {},
                    },
                    dedup_key=f"uploads_waiting:{coordinator}:{coop}:{seq}",
                    collapse_key=f"uploads_waiting:{coop}",
                    now=now,
                )
                is not None
            )
    return queued
