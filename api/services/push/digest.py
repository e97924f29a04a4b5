"""Coordinators' digest of listings waiting for review: one message per coordinator and
cooperative with the count, never one per photo or product.

A digest is queued when the set of waiting listings changed since the last one (its
dedup key carries the latest change's sequence) and replaces the previous one on the
phone (same collapse key). The dispatcher calls this at most every
``HIRFA_PUSH_DIGEST_SECONDS``.
"""

from __future__ import annotations

import sqlite_utils

from .. import outbox


def queue_uploads_waiting(db: sqlite_utils.Database, now: float) -> int:
    """Queue the digests that are due; returns how many were queued."""
    waiting = db.execute(
        "SELECT json_extract(r.body, '$.cooperative') AS coop, count(*), max(d.seq) "
        "FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
        "WHERE d.deleted = 0 AND json_extract(r.body, '$.type') = 'product' "
        "AND json_extract(r.body, '$.status') = 'submitted' GROUP BY coop"
    ).fetchall()
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
