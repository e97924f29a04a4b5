"""tus 1.0.0 upload sessions: the bytes in a file, the committed offset in SQLite. No Flask.

Protocol: https://tus.io/protocols/resumable-upload (core, creation, creation-with-upload,
checksum, termination, expiration). An offset is committed only once its bytes are on
disk (fsync), so after a crash or restart HEAD never promises bytes we do not have.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import sqlite_utils

from sync.store.database import fetch_all, write_transaction

from ..errors import NotFound, PayloadTooLarge, ValidationFailed
from .media import MediaRejected
from .tus import (
    CHECKSUMS,
    ChecksumMismatch,
    OffsetMismatch,
    UploadExpired,
    UploadLocked,
    parse_metadata,
)

READ_SIZE = 64 * 1024


@dataclass
class Upload:
    id: str
    user_id: str
    length: int
    received: int
    sha256: str
    metadata: dict[str, str]
    metadata_header: str
    created_at: float
    expires_at: float
    completed_at: float | None

    @property
    def complete(self) -> bool:
        return self.completed_at is not None


UPLOADS_DIR = "uploads"  # under the media dir: partial tus uploads


@dataclass
class UploadSpace:
    """Where partial uploads live and the limits on them (from the settings)."""

    root: Path
    max_bytes: int
    ttl_seconds: int

    @classmethod
    def from_settings(cls, settings: Any) -> UploadSpace:
        root = Path(settings.media_dir) / UPLOADS_DIR
        return cls(root, settings.upload_max_bytes, settings.upload_expires_seconds)

    def part(self, upload_id: str) -> Path:
        return self.root / f"{upload_id}.part"


def create(
    db: sqlite_utils.Database,
    space: UploadSpace,
    user_id: str,
    length: int,
    metadata_header: str | None,
) -> Upload:
    if length < 1:  # no photo is empty
        raise ValidationFailed(
            "Upload-Length must be at least 1.", details={"fields": {"Upload-Length": [length]}}
        )
    if length > space.max_bytes:
        raise PayloadTooLarge(
            f"This file is larger than the {space.max_bytes:,} bytes an upload may have.",
            details={"max_bytes": space.max_bytes, "length": length},
        )
    metadata = parse_metadata(metadata_header)
    purge_expired(db, space, limit=20)  # lazily, so abandoned uploads do not pile up
    now = time.time()
    upload = Upload(
        secrets.token_hex(16), user_id, length, 0, metadata["sha256"], metadata,
        (metadata_header or "").strip(), now, now + space.ttl_seconds, None,
    )  # fmt: skip
    space.root.mkdir(parents=True, exist_ok=True)
    # The file first: a crash before the row leaves an orphan file, which purge removes.
    with open(space.part(upload.id), "xb"):
        pass
    with write_transaction(db):
        db.execute(
            "INSERT INTO uploads (id, user_id, length, received, sha256, metadata, "
            "metadata_header, created_at, expires_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?)",
            [upload.id, user_id, length, upload.sha256, json.dumps(metadata),
             upload.metadata_header, now, upload.expires_at],
        )  # fmt: skip
    return upload


def get(db: sqlite_utils.Database, space: UploadSpace, upload_id: str, user_id: str) -> Upload:
    """The caller's upload; someone else's is 404, as if it did not exist."""
    rows = fetch_all(db, "SELECT * FROM uploads WHERE id = ? AND user_id = ?", [upload_id, user_id])
    if not rows:
        raise NotFound("No such upload.", details={"id": upload_id})
    upload = _upload(rows[0])
    if not upload.complete and upload.expires_at <= time.time():
        _delete(db, space, upload.id)
        raise UploadExpired(details={"id": upload_id})
    return upload


def receive(
    db: sqlite_utils.Database,
    space: UploadSpace,
    upload_id: str,
    user_id: str,
    *,
    offset: int,
    body: IO[bytes],
    content_length: int | None,
    checksum: tuple[str, bytes] | None,
    process: Callable[[Path, Upload], Any],
    on_ready: Callable[[sqlite_utils.Database, Any], None] | None = None,
) -> Upload:
    """Append a chunk at ``offset``; on the last byte, ``process`` the file (MediaRejected
    drops the upload) and, in one transaction with the completion, call ``on_ready``."""
    with _locked(space, upload_id) as fh:
        upload = get(db, space, upload_id, user_id)  # again, under the lock
        on_disk = os.fstat(fh.fileno()).st_size if fh is not None else 0
        if fh is not None and on_disk < upload.received:  # bytes lost (a power cut)
            _commit_partial(fh, db, upload, on_disk)
            upload.received = on_disk
        if fh is None and not upload.complete:
            _delete(db, space, upload.id)
            raise UploadExpired("This upload's bytes are gone; start a new one.")
        if upload.complete or offset != upload.received:
            raise OffsetMismatch(
                details={"upload_offset": upload.received, "got": offset},
                headers={"Upload-Offset": str(upload.received)},
            )
        remaining = upload.length - offset
        if content_length is not None and content_length > remaining:
            raise PayloadTooLarge(
                "The chunk goes past Upload-Length.",
                details={"remaining": remaining, "chunk": content_length},
            )
        fh.truncate(offset)  # bytes written but never committed (a crash) are dropped
        received = _copy(fh, body, offset, remaining, checksum, db, upload)
        if received < upload.length:
            upload.received, upload.expires_at = received, time.time() + space.ttl_seconds
            with write_transaction(db):
                db.execute(
                    "UPDATE uploads SET received = ?, expires_at = ? WHERE id = ?",
                    [received, upload.expires_at, upload.id],
                )
            return upload
        return _complete(db, space, upload, fh, offset, process, on_ready)


def _copy(fh, body, offset, remaining, checksum, db, upload) -> int:
    """Stream the body to the file; returns the new offset once it is on disk."""
    digest = CHECKSUMS[checksum[0]]() if checksum else None
    fh.seek(offset)
    written = 0
    try:
        while written <= remaining:
            data = body.read(min(READ_SIZE, remaining + 1 - written))
            if not data:
                break
            written += len(data)
            if written > remaining:
                raise PayloadTooLarge("The chunk goes past Upload-Length.")
            fh.write(data)
            if digest:
                digest.update(data)
    except BaseException:
        # A connection cut mid-chunk (2G): keep what arrived unless a checksum was given,
        # since a partial chunk cannot be checked. Either way the client resumes via HEAD.
        if digest or written > remaining:
            fh.truncate(offset)
        else:
            _commit_partial(fh, db, upload, offset + written)
        raise
    if digest and digest.digest() != checksum[1]:
        fh.truncate(offset)
        raise ChecksumMismatch(
            details={"algorithm": checksum[0], "upload_offset": offset},
            headers={"Upload-Offset": str(offset)},
        )
    fh.flush()
    os.fsync(fh.fileno())
    return offset + written


def _commit_partial(fh, db, upload: Upload, received: int) -> None:
    fh.flush()
    os.fsync(fh.fileno())
    with write_transaction(db):
        db.execute("UPDATE uploads SET received = ? WHERE id = ?", [received, upload.id])


def _complete(db, space, upload, fh, offset, process, on_ready) -> Upload:
    try:
        info = process(space.part(upload.id), upload)
    except MediaRejected:
        _delete(db, space, upload.id)  # it will never be a photo: keep nothing
        raise
    except BaseException:
        fh.truncate(offset)  # a server-side failure: the last chunk can be sent again
        raise
    now = time.time()
    try:
        with write_transaction(db):
            db.execute(
                "UPDATE uploads SET received = length, completed_at = ?, expires_at = ? "
                "WHERE id = ?",
                [now, now + space.ttl_seconds, upload.id],
            )
            if on_ready is not None:
                on_ready(db, info)
    except BaseException:
        fh.truncate(offset)
        raise
    # The row stays until it expires: a phone whose last response was lost asks HEAD
    # and sees the upload complete. The bytes now live as derivatives only.
    space.part(upload.id).unlink(missing_ok=True)
    upload.received, upload.completed_at = upload.length, now
    upload.expires_at = now + space.ttl_seconds
    return upload


def terminate(db: sqlite_utils.Database, space: UploadSpace, upload_id: str, user_id: str) -> None:
    """DELETE: the partial bytes and the session go; processed media stay (shared by hash)."""
    with _locked(space, upload_id):
        upload = get(db, space, upload_id, user_id)
        _delete(db, space, upload.id)


def purge_expired(db: sqlite_utils.Database, space: UploadSpace, limit: int | None = None) -> int:
    """Delete expired sessions and their files, and files no session owns."""
    now = time.time()
    sql = "SELECT id FROM uploads WHERE expires_at <= ? ORDER BY expires_at"
    rows = db.execute(sql + (f" LIMIT {int(limit)}" if limit else ""), [now]).fetchall()
    purged = 0
    for (upload_id,) in rows:
        try:
            with _locked(space, upload_id):
                _delete(db, space, upload_id)
        except UploadLocked:  # being written right now: not abandoned after all
            continue
        purged += 1
    if limit is None and space.root.is_dir():
        known = {r[0] for r in db.execute("SELECT id FROM uploads").fetchall()}
        for path in space.root.glob("*.part"):
            if path.stem not in known and path.stat().st_mtime <= now - space.ttl_seconds:
                path.unlink(missing_ok=True)
                purged += 1
    return purged


def _delete(db: sqlite_utils.Database, space: UploadSpace, upload_id: str) -> None:
    with write_transaction(db):
        db.execute("DELETE FROM uploads WHERE id = ?", [upload_id])
    space.part(upload_id).unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(space: UploadSpace, upload_id: str) -> Iterator[IO[bytes] | None]:
    """The partial file, locked (flock: works across threads and worker processes, and
    the kernel releases it if the process dies); None when there is no file (a completed
    or unknown upload: the caller's get() tells which)."""
    try:
        fh = open(space.part(upload_id), "r+b")
    except FileNotFoundError:
        yield None
        return
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise UploadLocked(details={"id": upload_id}) from exc
            raise
        yield fh


def _upload(row: dict[str, Any]) -> Upload:
    return Upload(
        row["id"], row["user_id"], row["length"], row["received"], row["sha256"],
        json.loads(row["metadata"]), row["metadata_header"], row["created_at"],
        row["expires_at"], row["completed_at"],
    )  # fmt: skip
