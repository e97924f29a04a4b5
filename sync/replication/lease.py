"""One replicator per store and hub: an exclusive lease, held as a lock on a file.

Two workers replicating the same store with the same hub (``flask replicate`` beside
``make run``, or two server processes) would fetch and write the same batches and race on
the checkpoints. ``fcntl.flock`` on a file next to the store gives the lease: the kernel
releases it when its holder exits, however it exits, so there is no expiry to tune and
no lease left behind by a crash. flock locks belong to an open file, so two workers in
one process exclude each other too. The holder's pid is written in the file, for the
message the other worker shows.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

import sqlite_utils


def lease_path(db: sqlite_utils.Database, remote: str) -> Path | None:
    """``<store>.replicate-<hash of the hub URL>.lock``; None for an in-memory store."""
    rows = db.execute("PRAGMA database_list").fetchall()
    main = next((r[2] for r in rows if r[1] == "main"), "")
    if not main:
        return None
    digest = hashlib.sha256(remote.encode()).hexdigest()[:16]
    return Path(f"{main}.replicate-{digest}.lock")


class Lease:
    def __init__(self, path: Path | None):
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None or self.path is None

    def acquire(self) -> bool:
        """Take the lease if no one holds it (never blocks); True if held now."""
        if self.held:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        """The holder's pid as it wrote it, or "" if unknown."""
        try:
            return self.path.read_text().strip() if self.path else ""
        except OSError:
            return ""

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
