"""A photo's derivatives travel to the hub in a ``media:<sha256>`` document, so another
regional server that pulls from the hub can show a photo processed here.

The photo document stays metadata: it syncs to the artisan's phone, on 2G. The bytes go
in a separate document of type ``media``, its ``_attachments`` the display variants and
the thumbnail, with no owner and no cooperative: it is in no user's channel, so /sync
never sends it to a phone (artisans and coordinators read only their channels); only
what reads every document, replication, sees it. Content-addressed and written once,
it never changes, so it never conflicts. When one arrives from the hub, its files are
written into this server's media store the way the pipeline publishes them (a whole
folder renamed into place), and ``/media/<sha256>/display`` serves them.

Only a server with a hub writes them (they hold the derivatives a second time, in the
store): ``catch_up`` runs when its replication worker starts and writes what photos
processed before the hub was configured still lack, and the files of media documents
that arrived but could not be written then.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from sync.store.documents import DocumentStore
from sync.store.errors import RevisionConflict, StoreError

from . import media

log = logging.getLogger("hirfa.replication")

MEDIA_TYPE = "media"
PREFIX = "media:"
CARRIED = ("display.webp", "display.jpg", "thumb.webp")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def doc_id(sha256: str) -> str:
    return f"{PREFIX}{sha256}"


def media_doc(info: media.MediaInfo) -> dict[str, Any]:
    attachments = {}
    for name in CARRIED:
        variant = info.variants[name]
        data = Path(variant["path"]).read_bytes()
        attachments[name] = {
            "content_type": variant["content_type"],
            "data": base64.b64encode(data).decode(),
        }
    return {
        "_id": doc_id(info.sha256),
        "type": MEDIA_TYPE,
        "sha256": info.sha256,
        "width": info.width,
        "height": info.height,
        "_attachments": attachments,
    }


def publish(store: DocumentStore, info: media.MediaInfo) -> bool:
    """Write the media document for processed bytes, once (True if written now)."""
    row = store.row(doc_id(info.sha256))
    if row is not None and not row.deleted:
        return False
    doc = media_doc(info)
    if row is not None:
        doc["_rev"] = row.winner
    store.put(doc)  # the server's own write: no access check
    return True


def materialise(store: DocumentStore, media_dir: str | Path, ids: list[str]) -> list[str]:
    """For media documents among ``ids`` (just replicated in), write their files into the
    media store if it lacks them; returns the hashes written. A document that cannot be
    used is logged and left: the photo shows as soon as a good copy arrives."""
    written = []
    for one in ids:
        sha256 = one[len(PREFIX) :] if one.startswith(PREFIX) else ""
        if not _SHA256.fullmatch(sha256) or media.load(media_dir, sha256) is not None:
            continue
        try:
            if _materialise_one(store, Path(media_dir), one, sha256):
                written.append(sha256)
        except (OSError, StoreError, KeyError, TypeError, ValueError) as exc:
            # KeyError, TypeError: a body without usable width/height (another server's bug)
            log.warning("could not write the media files of %s: %r", one, exc)
    return written


def _materialise_one(store: DocumentStore, media_dir: Path, one: str, sha256: str) -> bool:
    body = store.winner_body(one)
    if not body or body.get("type") != MEDIA_TYPE:
        return False
    files = {}
    for name in CARRIED:
        stub, data = store.get_attachment(one, name)
        expected = media.CONTENT_TYPES[Path(name).suffix]
        if media.sniff(data[:16]) != expected:  # only images of the kind the name says
            raise ValueError(f"{name} is not {expected}")
        files[name] = data
    tmp = media_dir / media.TMP_DIR / secrets.token_hex(8)
    tmp.mkdir(parents=True)
    try:
        for name, data in files.items():
            media.write_file(tmp / name, data)
        dims = {"width": int(body["width"]), "height": int(body["height"])}
        (tmp / "info.json").write_text(json.dumps(dims))
        media.publish_dir(tmp, media.media_path(media_dir, sha256))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return True


def catch_up(store: DocumentStore, media_dir: str | Path) -> tuple[int, int]:
    """Media documents for processed photos that have none, and files for media documents
    that have none; returns (documents written, folders written)."""
    root = Path(media_dir)
    published = 0
    for folder in sorted(root.glob("??/*")):
        sha256 = folder.name
        if not _SHA256.fullmatch(sha256) or folder.parent.name != sha256[:2]:
            continue
        info = media.load(root, sha256)
        if info is not None and store.row(doc_id(sha256)) is None:
            try:
                published += publish(store, info)
            except RevisionConflict:
                pass  # another process (the replicate CLI beside the server) wrote it first
    ids = [
        row[0]
        for row in store.db.execute(
            "SELECT id FROM docs WHERE id >= ? AND id < ? AND deleted = 0", [PREFIX, "media;"]
        )
    ]
    return published, len(materialise(store, root, ids))
