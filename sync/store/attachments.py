"""Attachment bytes, stored once per digest, and CouchDB-style stubs in revision bodies."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import sqlite_utils

from sync.store.errors import InvalidInput, MissingStub, TooLarge


def digest_of(data: bytes) -> str:
    """CouchDB's attachment digest: ``md5-`` and the base64 of the MD5."""
    return "md5-" + base64.b64encode(hashlib.md5(data).digest()).decode()


def store_bytes(db: sqlite_utils.Database, data: bytes, content_type: str) -> str:
    digest = digest_of(data)
    db.execute(
        "INSERT OR IGNORE INTO attachments (digest, content_type, length, data) "
        "VALUES (?, ?, ?, ?)",
        [digest, content_type, len(data), data],
    )
    return digest


def load_bytes(db: sqlite_utils.Database, digest: str) -> bytes | None:
    row = db.execute("SELECT data FROM attachments WHERE digest = ?", [digest]).fetchone()
    return row[0] if row else None


def has_digest(db: sqlite_utils.Database, digest: str) -> bool:
    return db.execute("SELECT 1 FROM attachments WHERE digest = ?", [digest]).fetchone() is not None


def normalise(
    db: sqlite_utils.Database,
    attachments: dict[str, Any] | None,
    new_pos: int,
    parent_atts: dict[str, Any],
    max_bytes: int,
    own_digests: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Turn incoming attachments (inline base64 or stubs) into stored stubs.

    Inline data is stored by digest and gets ``revpos`` = the new revision's position.
    A stub must name bytes this document already has, never bytes that merely exist in
    the store (another user's photo): for a new edit (``own_digests`` None) it is
    resolved by name against the parent revision, as CouchDB does (couch_att
    ``merge_stubs``: the parent's attachment is kept, a stub with no such name, or with
    a ``revpos`` past the parent's, is ``missing_stub``). A replicated revision
    (``own_digests``: every attachment of the document's stored revisions, by digest)
    may name any of those by digest; otherwise it is ``missing_stub`` too, and the
    replicator sends the document again with its bytes inline.
    """
    if not attachments:
        return {}
    if not isinstance(attachments, dict):
        raise InvalidInput("_attachments must be an object")
    stubs: dict[str, Any] = {}
    for name, att in attachments.items():
        if not isinstance(att, dict) or not name:
            raise InvalidInput(f"attachment {name!r} must be an object")
        known = parent_atts.get(name) or {}
        content_type = (
            att.get("content_type") or known.get("content_type") or "application/octet-stream"
        )
        if att.get("stub"):
            stubs[name] = _resolve_stub(db, name, att, known, own_digests)
            continue
        if "data" in att:
            try:
                data = base64.b64decode(att["data"], validate=True)
            except (binascii.Error, TypeError, ValueError) as exc:
                raise InvalidInput(f"attachment {name!r} is not valid base64") from exc
            if len(data) > max_bytes:
                raise TooLarge(f"attachment {name!r} is larger than {max_bytes} bytes")
            digest = store_bytes(db, data, content_type)
            revpos, length = new_pos, len(data)
        else:
            raise InvalidInput(f"attachment {name!r} has neither data nor stub")
        stubs[name] = {
            "content_type": content_type,
            "digest": digest,
            "length": length,
            "revpos": revpos,
            "stub": True,
        }
    return stubs


def _resolve_stub(
    db: sqlite_utils.Database,
    name: str,
    att: dict[str, Any],
    known: dict[str, Any],
    own_digests: dict[str, dict[str, Any]] | None,
) -> dict[str, Any]:
    missing = MissingStub(f"attachment {name!r} is a stub but its content is unknown")
    if own_digests is None:
        revpos = att.get("revpos")
        if not known or (isinstance(revpos, int) and revpos > known.get("revpos", 0)):
            raise missing
        found = known
    else:
        digest = att.get("digest") or known.get("digest")
        found = own_digests.get(digest) if isinstance(digest, str) else None
        if found is None:
            raise missing
        found = {**found, "revpos": att.get("revpos") or found.get("revpos")}
    if not has_digest(db, found["digest"]):  # bytes lost (a restore): send them again
        raise missing
    return {
        "content_type": found.get("content_type") or "application/octet-stream",
        "digest": found["digest"],
        "length": found.get("length") or 0,
        "revpos": found.get("revpos") or 1,
        "stub": True,
    }


def expand(db: sqlite_utils.Database, stubs: dict[str, Any], since_pos: int = 0) -> dict[str, Any]:
    """Inline the data of attachments changed after ``since_pos`` (``atts_since``)."""
    out = {}
    for name, stub in stubs.items():
        if stub.get("revpos", 0) > since_pos:
            data = load_bytes(db, stub["digest"]) or b""
            out[name] = {
                "content_type": stub["content_type"],
                "digest": stub["digest"],
                "length": stub["length"],
                "revpos": stub["revpos"],
                "data": base64.b64encode(data).decode(),
            }
        else:
            out[name] = dict(stub)
    return out
