"""Idempotency keys: a retried POST (a 2G link dropped the answer) gets the first answer
again instead of making a second product or order."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import sqlite_utils

from sync.store.database import write_transaction

from ..errors import AppError

MAX_KEY_LENGTH = 200


class IdempotencyKeyReused(AppError):
    """The same key came with a different request."""

    status = 422
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used for a different request."


def _fingerprint(method: str, path: str, body: Any) -> str:
    raw = json.dumps([method, path, body], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def once(
    db: sqlite_utils.Database,
    user_id: str,
    key: str | None,
    request: tuple[str, str, Any],
    run: Callable[[], tuple[Any, int]],
) -> tuple[Any, int]:
    """Run ``run`` once per (user, key); later calls with the key return its first answer."""
    if not key:
        return run()
    if len(key) > MAX_KEY_LENGTH:
        raise AppError(f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters.")
    fingerprint = _fingerprint(*request)
    # One write transaction around look-up, work and record: two retries racing each
    # other cannot both do the work.
    with write_transaction(db):
        row = db.execute(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE user_id = ? AND key = ?",
            [user_id, key],
        ).fetchone()
        if row is not None:
            if row[0] != fingerprint:
                raise IdempotencyKeyReused(details={"key": key})
            return json.loads(row[2]), row[1]
        body, status = run()
        db.execute(
            "INSERT INTO idempotency_keys "
            "(user_id, key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [user_id, key, fingerprint, status, json.dumps(body, ensure_ascii=False), time.time()],
        )
    return body, status
