"""Backups an operator can trust: a consistent copy of the store and its photos, checked
when it is made and again before it is restored.

A backup is a folder: ``hirfa.sqlite3`` (one file, no WAL beside it), ``media/`` (the
processed photos; partial tus uploads are left out, phones resume or start them again)
and ``manifest.json`` with the sequence, the schema versions and a SHA-256 of every file.
It is written under a temporary name and renamed when complete, so a backup that was cut
short never looks like one.

The store is copied with SQLite's online backup API while the server keeps serving
(https://www.sqlite.org/backup.html): the copy is one consistent state, never a file
copied halfway through a write.

A restored store gets a new server uuid. Every replication id is derived from it
(PouchDB's and our replicator's), so after a restore each phone and the hub compare
their whole history with the server again, through ``_revs_diff``, instead of trusting
checkpoints that name sequences the restored store never reached. What the server lost
since the backup comes back from whoever still has it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sync.store.database import server_uuid

from .. import migrations
from . import media, uploads

FORMAT = 1
STORE_FILE = "hirfa.sqlite3"
MEDIA_DIR = "media"
MANIFEST = "manifest.json"
# Work files of the photo pipeline and partial uploads: not part of a backup.
TRANSIENT_MEDIA = {media.TMP_DIR, uploads.UPLOADS_DIR}


class BackupError(Exception):
    """A backup could not be made, or one found is not fit to restore."""


@dataclass(frozen=True)
class Manifest:
    created_at: float
    update_seq: int
    documents: int
    schema_versions: list[int]
    server_uuid: str
    files: dict[str, dict]  # relative path -> {"bytes": n, "sha256": hex}

    @property
    def media_files(self) -> int:
        return sum(1 for name in self.files if name.startswith(MEDIA_DIR + "/"))

    @property
    def total_bytes(self) -> int:
        return sum(entry["bytes"] for entry in self.files.values())

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "created_at": self.created_at,
            "update_seq": self.update_seq,
            "documents": self.documents,
            "schema_versions": self.schema_versions,
            "server_uuid": self.server_uuid,
            "files": self.files,
        }

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        if data.get("format") != FORMAT:
            raise BackupError(f"this backup has format {data.get('format')!r}; we read {FORMAT}")
        try:
            return cls(
                float(data["created_at"]),
                int(data["update_seq"]),
                int(data["documents"]),
                [int(v) for v in data["schema_versions"]],
                str(data["server_uuid"]),
                {str(k): dict(v) for k, v in data["files"].items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BackupError(f"the manifest is damaged: {exc!r}") from exc


def _fsync_file(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _integrity(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite store: {exc}") from exc
    finally:
        conn.close()
    if result != [("ok",)]:
        raise BackupError(f"{path} fails SQLite's integrity check: {result[:5]}")


def _store_facts(path: Path) -> tuple[int, int, list[int], str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        seq = conn.execute("SELECT value FROM store_meta WHERE key = 'update_seq'").fetchone()
        docs = conn.execute("SELECT count(*) FROM docs WHERE deleted = 0").fetchone()[0]
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
        server = server_uuid(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a Hirfa store: {exc}") from exc
    finally:
        conn.close()
    return int(seq[0]) if seq else 0, docs, sorted(versions), server


def _copy_store(source: Path, target: Path) -> None:
    """One consistent state of a live store, as a single file with no WAL beside it."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        # Pages in steps, so a large store does not hold the server's writers back for
        # the whole copy; SQLite restarts the copy itself if a write lands in between.
        src.backup(dst, pages=1024)
        dst.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot copy the store {source}: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _media_files(media_dir: Path) -> list[Path]:
    if not media_dir.is_dir():
        return []
    found = []
    for child in sorted(media_dir.iterdir()):
        if child.name in TRANSIENT_MEDIA:
            continue
        if child.is_file():
            found.append(child)
        else:
            found.extend(p for p in sorted(child.rglob("*")) if p.is_file())
    return found


def create_backup(store_path: str | Path, media_dir: str | Path, dest: str | Path) -> Manifest:
    """Write a complete, checked backup at ``dest`` (which must not exist yet)."""
    store_path, media_dir, dest = Path(store_path), Path(media_dir), Path(dest)
    if not store_path.is_file():
        raise BackupError(f"there is no store at {store_path}")
    if dest.exists():
        raise BackupError(f"{dest} already exists; name a new folder for each backup")
    work = dest.with_name(f".{dest.name}.partial-{uuid.uuid4().hex[:8]}")
    work.mkdir(parents=True)
    try:
        _copy_store(store_path, work / STORE_FILE)
        _integrity(work / STORE_FILE)
        seq, docs, versions, server = _store_facts(work / STORE_FILE)
        files = {STORE_FILE: _entry(work / STORE_FILE)}
        for path in _media_files(media_dir):
            relative = Path(MEDIA_DIR) / path.relative_to(media_dir)
            target = work / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            files[relative.as_posix()] = _entry(target)
        manifest = Manifest(time.time(), seq, docs, versions, server, files)
        (work / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=1))
        for name in [*files, MANIFEST]:
            _fsync_file(work / name)
        os.rename(work, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _entry(path: Path) -> dict:
    return {"bytes": path.stat().st_size, "sha256": media.file_sha256(path)}


def verify_backup(source: str | Path) -> Manifest:
    """Check a backup file by file against its manifest; raise BackupError on any fault."""
    source = Path(source)
    try:
        manifest = Manifest.from_json(json.loads((source / MANIFEST).read_text()))
    except FileNotFoundError as exc:
        raise BackupError(f"{source} holds no {MANIFEST}: not a finished Hirfa backup") from exc
    except ValueError as exc:
        raise BackupError(f"{source / MANIFEST} is not valid JSON") from exc
    if STORE_FILE not in manifest.files:
        raise BackupError(f"the manifest of {source} names no {STORE_FILE}")
    for name, entry in manifest.files.items():
        path = source / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise BackupError(f"the manifest names a file outside the backup: {name!r}")
        if not path.is_file():
            raise BackupError(f"{name} is missing from the backup")
        if path.stat().st_size != entry.get("bytes") or media.file_sha256(path) != entry.get(
            "sha256"
        ):
            raise BackupError(f"{name} does not match the manifest: the backup is damaged")
    _integrity(source / STORE_FILE)
    known = {version for version, _, _ in migrations.MIGRATIONS}
    newer = sorted(set(manifest.schema_versions) - known)
    if newer:
        raise BackupError(
            f"this backup has schema versions {newer} that this Hirfa does not know: "
            "restore it with the release that made it, or a newer one"
        )
    return manifest


def restore_backup(
    source: str | Path, store_path: str | Path, media_dir: str | Path, *, replace: bool = False
) -> tuple[Manifest, Path | None]:
    """Put a verified backup in place of the store; the server must be stopped. Returns
    the manifest and the folder the replaced store was moved to (None if there was none).

    The store it replaces, with its WAL (committed writes may still be there only), is
    moved aside into ``<store>.before-restore-<time>/``, never deleted: a restore of the
    wrong folder can be undone, and a restore that fails puts it back as it was. Photos
    are added beside the ones already there (named by content), each folder whole.
    """
    source, store_path, media_dir = Path(source), Path(store_path), Path(media_dir)
    manifest = verify_backup(source)
    if store_path.exists() and not replace:
        raise BackupError(f"{store_path} exists; pass --replace to put the backup in its place")
    store_path.parent.mkdir(parents=True, exist_ok=True)
    incoming = store_path.with_name(f".{store_path.name}.restoring")
    shutil.copyfile(source / STORE_FILE, incoming)
    try:
        conn = sqlite3.connect(incoming)
        try:
            # A new identity: replication ids change, so phones and the hub re-compare
            # everything with the restored store instead of trusting old checkpoints.
            conn.execute("UPDATE server_info SET value = ? WHERE key = 'uuid'", [uuid.uuid4().hex])
            conn.commit()
        finally:
            conn.close()
        _fsync_file(incoming)
        aside = _move_aside(store_path)
        try:
            os.replace(incoming, store_path)
        except BaseException:
            _move_back(aside, store_path)
            raise
        _fsync_dir(store_path.parent)
    finally:
        incoming.unlink(missing_ok=True)
    _restore_media(source, manifest, media_dir)
    return manifest, aside


def _store_files(store_path: Path) -> list[Path]:
    return [store_path.with_name(store_path.name + s) for s in ("", "-wal", "-shm")]


def _move_aside(store_path: Path) -> Path | None:
    present = [p for p in _store_files(store_path) if p.exists()]
    if not present:
        return None
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    aside = store_path.with_name(f"{store_path.name}.before-restore-{stamp}-{uuid.uuid4().hex[:4]}")
    aside.mkdir()
    for path in present:
        os.rename(path, aside / path.name)
    _fsync_dir(store_path.parent)
    return aside


def _move_back(aside: Path | None, store_path: Path) -> None:
    if aside is None:
        return
    for path in aside.iterdir():
        os.rename(path, store_path.parent / path.name)
    aside.rmdir()


def _restore_media(source: Path, manifest: Manifest, media_dir: Path) -> None:
    """The backup's photo folders this media store lacks, each built aside and renamed
    into place whole (as the pipeline publishes): a cut-short restore leaves no folder
    that looks complete and is not."""
    folders: dict[Path, list[str]] = {}
    for name in manifest.files:
        if name.startswith(MEDIA_DIR + "/"):
            relative = Path(name).relative_to(MEDIA_DIR)
            folders.setdefault(relative.parent, []).append(name)
    for folder, names in sorted(folders.items()):
        target = media_dir / folder
        if target.exists():
            continue
        work = media_dir / media.TMP_DIR / uuid.uuid4().hex
        work.mkdir(parents=True)
        try:
            for name in names:
                shutil.copyfile(source / name, work / Path(name).name)
                _fsync_file(work / Path(name).name)
            media.publish_dir(work, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
