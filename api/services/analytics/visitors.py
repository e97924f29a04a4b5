"""Unique visitors without keeping who they are: a keyed hash under the day's salt.

A visitor of a day is ``blake2b(address, user agent; key = the day's salt)``, 16 bytes.
The salt is 32 random bytes made for one UTC day, kept in ``view_salts`` (one row: so
that a restart, or a second server process, recognises the same visitor within the
day) and deleted as soon as the next day's is made. The hashes of the day's visitors
are kept in ``view_visitors`` to tell a new visitor from one seen already, and deleted
by the first flush of the next day: after that nothing links a visitor to anything,
not even to the same person's visit the day before. Addresses are never written.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable

import sqlite_utils

from sync.store.database import write_transaction

from .bots import UA_MAX

ADDRESS_MAX = 64
SALT_BYTES = 32


def utc_day(epoch: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))


def visitor_hash(salt: bytes, address: str | None, user_agent: str | None) -> bytes:

    material = f"{(address or '')[:ADDRESS_MAX]}\n{(user_agent or '')[:UA_MAX]}"
    return hashlib.blake2b(material.encode("utf-8", "replace"), key=salt, digest_size=16).digest()


class DailySalt:
    """Today's salt, held in memory; read or made in the store once a day per process."""

    def __init__(self, open_db: Callable[[], sqlite_utils.Database]):
        self._open_db = open_db
        self._lock = threading.Lock()
        self._current: tuple[str, bytes] | None = None

    @property
    def day(self) -> str | None:
        current = self._current
        return current[0] if current else None

    def for_day(self, day: str) -> bytes | None:
        """The salt of ``day``; None for a day already over (its salt is forgotten)."""
        current = self._current
        if current is not None and current[0] == day:
            return current[1]
        with self._lock:
            current = self._current
            if current is not None and current[0] >= day:
                return current[1] if current[0] == day else None
            db = self._open_db()
            try:
                salt = rotate(db, day)
            finally:
                db.close()
            # The old salt leaves memory with this assignment.
            self._current = (day, salt) if salt is not None else None
            return salt


def rotate(db: sqlite_utils.Database, day: str) -> bytes | None:
    """The salt of ``day`` (made if it is the newest day), older salts deleted."""
    with write_transaction(db):
        newest = db.conn.execute("SELECT max(day) FROM view_salts").fetchone()[0]
        if newest is not None and newest > day:
            return None
        row = db.conn.execute("SELECT salt FROM view_salts WHERE day = ?", (day,)).fetchone()
        if row is None:
            salt = secrets.token_bytes(SALT_BYTES)
            db.conn.execute("INSERT INTO view_salts (day, salt) VALUES (?, ?)", (day, salt))
        else:
            salt = bytes(row[0])
        db.conn.execute("DELETE FROM view_salts WHERE day < ?", (day,))
    return salt
