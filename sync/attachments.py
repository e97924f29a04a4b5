"""Attachment bytes, stored once per digest, and CouchDB-style stubs in revision bodies."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import sqlite_utils

from .errors import BadRequest, MissingStub, TooLarge


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
) -> dict[str, Any]:
    """Turn incoming attachments (inline base64 or stubs) into stored stubs.

    Inline data is stored by digest and gets ``revpos`` = the new revision's position;
    a stub keeps the ``revpos`` it had in the parent revision.
    """
    if not attachments:
        return {}
    if not isinstance(attachments, dict):
        raise BadRequest("_attachments must be an object")
    stubs: dict[str, Any] = {}
    for name, att in attachments.items():
        if not isinstance(att, dict) or not name:
            raise BadRequest(f"attachment {name!r} must be an object")
        known = parent_atts.get(name) or {}
        content_type = (
            att.get("content_type") or known.get("content_type") or "application/octet-stream"
        )
        if att.get("stub"):
            digest = att.get("digest") or known.get("digest")
            if not digest or not has_digest(db, digest):
                raise MissingStub(f"attachment {name!r} is a stub but its content is unknown")
            revpos = att.get("revpos") or known.get("revpos") or new_pos
            length = att.get("length") or known.get("length") or 0
        elif "data" in att:
            try:
                data = base64.b64decode(att["data"], validate=True)
            except (binascii.Error, TypeError, ValueError) as exc:
                raise BadRequest(f"attachment {name!r} is not valid base64") from exc
            if len(data) > max_bytes:
                raise TooLarge(f"attachment {name!r} is larger than {max_bytes} bytes")
            digest = store_bytes(db, data, content_type)
            revpos, length = new_pos, len(data)
        else:
            raise BadRequest(f"attachment {name!r} has neither data nor stub")
        stubs[name] = {
            "content_type": content_type,
            "digest": digest,
            "length": length,
            "revpos": revpos,
            "stub": True,
        }
    return stubs


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
