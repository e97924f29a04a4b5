"""A course in one download: its document and every picture and clip it names, as one
tar file. No Flask here.

On a 2G link each request costs a round trip (~0.8 s on EDGE) before its first byte: a
course of a dozen files fetched one by one spends as long waiting as receiving. The
bundle is one request, and it resumes: its bytes are the same for the same course
revision and media (fixed member order, times, owners and modes; no padding past the
end-of-archive blocks), so its ETag is the SHA-256 of those bytes and ``Range`` with
``If-Range`` picks up where a cut connection stopped.

Members, in this order: ``bundle.json`` (what is inside, and which media are not on the
server yet), ``course.json`` (the document as the store has it, ``_id`` and ``_rev``
included), then ``media/<sha256>/<file>`` in the order the lessons first name them (a
phone can show the first lesson before the rest has arrived): ``display.webp`` for a
picture, ``audio.opus|m4a|mp3`` for a voice clip.

A bundle is built once per revision into ``<media dir>/bundles/`` (written aside, then
renamed) and served from disk; building one for a newer revision removes the older.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.training import COURSE_PREFIX
from sync.rules.access import Reader, user_channels
from sync.store.documents import DocumentStore
from sync.store.errors import DocumentNotFound

from ..errors import NotFound
from . import lesson_media
from .lesson_media import StoredMedia

BUNDLES_DIR = "bundles"
CONTENT_TYPE = "application/x-tar"
FORMAT = 1  # bundle.json's "format": bumped if the layout ever changes


@dataclass
class Bundle:
    path: Path
    etag: str  # sha256 of the file's bytes
    course_id: str
    rev: str
    size: int


def doc_id(course: str) -> str:
    """``photo-basics`` or ``course:photo-basics``: the course's document id."""
    return course if course.startswith(COURSE_PREFIX) else f"{COURSE_PREFIX}{course}"


def read_course(store: DocumentStore, user: Reader, course: str) -> dict[str, Any]:
    """The course, if ``user`` reads it (its channels against hers: an artisan only a
    published course offered to her cooperative or to every cooperative); else 404, as
    for a course that does not exist."""
    wanted = doc_id(course)
    try:
        doc = store.get_doc(wanted, visible=user_channels(user))
    except DocumentNotFound as exc:
        raise NotFound("No such course (or not offered to you).", details={"id": wanted}) from exc
    if doc.get("type") != "course":
        raise NotFound("No such course (or not offered to you).", details={"id": wanted})
    return doc


def build(media_dir: str | Path, doc: dict[str, Any]) -> Bundle:
    """The bundle of this revision of ``doc``: from the cache, or built now."""
    found: list[StoredMedia] = []
    missing: list[str] = []
    for sha in lesson_media.named_in(doc):
        stored = lesson_media.find(media_dir, sha)
        if stored is None:
            missing.append(sha)
        else:
            found.append(stored)
    course_json = _canonical(doc)
    manifest = _canonical(
        {
            "format": FORMAT,
            "course": doc["_id"],
            "rev": doc["_rev"],
            "files": [
                {
                    "path": _member(item),
                    "kind": item.kind,
                    "url": item.url,
                    "bytes": item.path.stat().st_size,
                    **{k: v for k, v in item.media.items() if k != "bytes"},
                }
                for item in found
            ],
            "missing": missing,
        }
    )
    key = hashlib.sha256(manifest + b"\0" + course_json).hexdigest()
    folder = Path(media_dir) / BUNDLES_DIR / hashlib.sha256(doc["_id"].encode()).hexdigest()[:16]
    for cached in folder.glob(f"{key}-*.tar"):
        etag = cached.stem.split("-", 1)[1]
        return Bundle(cached, etag, doc["_id"], doc["_rev"], cached.stat().st_size)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{secrets.token_hex(8)}.tmp"
    try:
        etag = _write(tmp, manifest, course_json, found)
        final = folder / f"{key}-{etag}.tar"
        os.replace(tmp, final)  # the same bytes whoever builds it: the last rename wins
    finally:
        tmp.unlink(missing_ok=True)
    for old in folder.glob("*.tar"):  # older revisions: a reader holding one keeps it open
        if old != final:
            old.unlink(missing_ok=True)
    return Bundle(final, etag, doc["_id"], doc["_rev"], final.stat().st_size)


def _member(item: StoredMedia) -> str:
    return f"media/{item.media['sha256']}/{item.path.name}"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _info(name: str, size: int) -> tarfile.TarInfo:
    """The same header for the same name and size: no time, owner or mode of the host."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, 0, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _write(path: Path, manifest: bytes, course_json: bytes, found: list[StoredMedia]) -> str:
    with open(path, "wb") as fh:
        with tarfile.open(fileobj=fh, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            tar.addfile(_info("bundle.json", len(manifest)), io.BytesIO(manifest))
            tar.addfile(_info("course.json", len(course_json)), io.BytesIO(course_json))
            for item in found:
                with open(item.path, "rb") as src:
                    size = os.fstat(src.fileno()).st_size
                    tar.addfile(_info(_member(item), size), src)
        # tarfile pads the archive to a 10 KiB record; readers need only the two zero
        # blocks that end it, so the padding (up to 0.35 s on EDGE) is cut off.
        fh.truncate(tar.offset)
        fh.flush()
        os.fsync(fh.fileno())
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


class FileStream:
    """A file as a WSGI body that werkzeug's Range support can seek in (``seekable``,
    ``seek``, ``tell``, as ``_RangeWrapper`` asks): opened at the first read, closed
    once its last byte is read or by the server's ``close()``, so an answer that is never
    read (a 304, a client that drops the connection) holds no open file."""

    BLOCK = 64 * 1024

    def __init__(self, path: Path, size: int):
        self.path, self.size, self.pos = path, size, 0
        self._fh: io.BufferedReader | None = None
        self._done = False

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int) -> None:
        self.pos = pos
        if self._fh is not None:
            self._fh.seek(pos)

    def tell(self) -> int:
        return self.pos

    def __iter__(self) -> FileStream:
        return self

    def __next__(self) -> bytes:
        if self._done or self.pos >= self.size:
            self.close()
            raise StopIteration
        if self._fh is None:
            self._fh = open(self.path, "rb")  # noqa: SIM115  closed at the end or by close()
            self._fh.seek(self.pos)
        data = self._fh.read(min(self.BLOCK, self.size - self.pos))
        self.pos += len(data)
        if not data or self.pos >= self.size:
            self.close()
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        self._done = True
        if self._fh is not None:
            self._fh.close()
            self._fh = None
