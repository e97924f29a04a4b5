"""Issuing, finding and revoking certificates.

A certificate is three things written in one transaction: a row of ``certificates``
(what /v/{code} reads, by its primary key), a ``certificate:<code>`` document in the
artisan's channel (her phone shows it offline) and the signed credential inside it. One
per artisan and course: issuing again returns the first.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from schemas.training import certificate_id
from sync.rules.access import make_check
from sync.store.database import server_uuid, write_transaction
from sync.store.documents import DocumentStore

from .. import outbox
from ..directory_docs import SERVER
from . import credentials, keys

# Crockford's base32 without I, L, O, U: read aloud or typed from paper without doubt.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
STATUS_PATH = "/credentials/status"


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    """What a person typed: case, spaces, O for 0 and I or L for 1 forgiven."""
    cleaned = code.upper().replace(" ", "").replace("-", "")
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    return f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}" if len(cleaned) == CODE_LENGTH else code


def issuer_id(db: sqlite_utils.Database, public_url: str) -> str:
    return public_url.rstrip("/") if public_url else f"urn:uuid:{server_uuid(db)}"


@dataclass(frozen=True)
class Holder:
    id: str
    name: str
    cooperative: str
    locale: str


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _title(text: dict[str, str], locale: str) -> str:
    return text.get(locale) or text.get("fr") or text.get("ar") or text.get("en") or ""


def issue(store: DocumentStore, course: dict[str, Any], holder: Holder, public_url: str) -> str:
    """Issue her certificate of ``course`` (its document, ``_id`` included); returns its
    code, the existing one if she already holds it. Call inside a write transaction."""
    db = store.db
    found = db.execute(
        "SELECT code FROM certificates WHERE course_id = ? AND artisan_id = ?",
        [course["_id"], holder.id],
    ).fetchone()
    if found:
        return found[0]
    code = new_code()
    while db.execute("SELECT 1 FROM certificates WHERE code = ?", [code]).fetchone():
        code = new_code()  # ~10^15 codes: a clash is rare, but never a merge of two
    base = issuer_id(db, public_url)
    site = public_url.rstrip("/")
    issued = _now()
    issuer = course.get("issuer") or {}
    award = credentials.Award(
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        code=code,
        issuer_id=base,
        issuer_name=issuer.get("name") or "Hirfa",
        issuer_url=issuer.get("url"),
        holder_id=f"urn:hirfa:artisan:{holder.id}",
        holder_name=holder.name,
        course_url=f"{site}/courses/{course['_id']}" if site else f"urn:hirfa:{course['_id']}",
        course_title=course.get("title") or {},
        course_summary=course.get("summary") or {},
        criteria=_criteria(course),
        hours=course["hours"],
        issued_at=issued,
        status_url=f"{site}{STATUS_PATH}" if site else STATUS_PATH,
        verify_url=f"{site}/v/{code}" if site else f"/v/{code}",
    )
    key = keys.current(db)
    token = credentials.sign(award, key)
    with write_transaction(db):
        db.execute(
            "INSERT INTO certificates (code, credential_id, course_id, artisan_id, "
            "cooperative_id, holder_name, course_title, issuer_name, hours, issued_at, kid) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                code,
                award.credential_id,
                course["_id"],
                holder.id,
                holder.cooperative,
                holder.name,
                json.dumps(course.get("title") or {}, ensure_ascii=False),
                award.issuer_name,
                award.hours,
                award.issued_at.isoformat().replace("+00:00", "Z"),
                key.kid,
            ],
        )
        store.put(
            {
                "_id": certificate_id(code),
                "type": "certificate",
                "owner": holder.id,
                "cooperative": holder.cooperative,
                "course": course["_id"],
                "course_title": course.get("title") or {},
                "issuer": award.issuer_name,
                "hours": award.hours,
                "holder_name": holder.name,
                "code": code,
                "issued_at": award.issued_at.isoformat().replace("+00:00", "Z"),
                "credential": token,
                "status": "valid",
            },
            check=make_check(SERVER, lambda _a: None),
        )
        outbox.enqueue(
            db,
            user_id=holder.id,
            kind="certificate_issued",
            data={"course_title": course.get("title") or {}, "certificate_code": code},
            dedup_key=f"certificate_issued:{code}",
            priority="normal",
        )
    return code


def _criteria(course: dict[str, Any]) -> str:
    parts = [f"Completed the {len(course.get('lessons') or [])} lessons"]
    assessment = course.get("assessment")
    if assessment:
        parts.append(f"passed the final assessment ({assessment['pass_mark']} % or more)")
    if (course.get("practical") or {}).get("required"):
        parts.append("had the practical skill attested by a trainer")
    return ", ".join(parts) + "."


def lookup(db: sqlite_utils.Database, code: str) -> dict[str, Any] | None:
    """A certificate by its verification code: one primary-key read."""
    cursor = db.execute("SELECT * FROM certificates WHERE code = ?", [normalise_code(code)])
    row = cursor.fetchone()
    if row is None:
        return None
    found = dict(zip([d[0] for d in cursor.description], row, strict=True))
    found["course_title"] = json.loads(found["course_title"])
    return found


def revoke(store: DocumentStore, code: str, by: str, reason: str) -> dict[str, Any] | None:
    """Revoke with a reason (its document says so too); None if no such certificate.
    Revoking again keeps the first revocation."""
    db = store.db
    with write_transaction(db):
        found = lookup(db, code)
        if found is None or found["revoked_at"]:
            return found
        at = _now().isoformat().replace("+00:00", "Z")
        db.execute(
            "UPDATE certificates SET revoked_at = ?, revoked_reason = ? WHERE code = ?",
            [at, reason, found["code"]],
        )
        doc_id = certificate_id(found["code"])
        body = store.winner_body(doc_id)
        if body is not None:
            revision = store.row(doc_id).winner  # type: ignore[union-attr]
            store.put(
                {
                    **body,
                    "_id": doc_id,
                    "_rev": revision,
                    "status": "revoked",
                    "revoked": {"at": at, "reason": reason, "by": by},
                },
                check=make_check(SERVER, lambda _a: None),
            )
    return lookup(db, code)


def status_list(db: sqlite_utils.Database) -> dict[str, Any]:
    """The revoked certificates, by credential id and code: what ``credentialStatus``
    points at (a 1EdTech revocation list)."""
    rows = db.execute(
        "SELECT credential_id, code, revoked_at, revoked_reason FROM certificates "
        "WHERE revoked_at IS NOT NULL ORDER BY revoked_at, code"
    ).fetchall()
    return {
        "type": "1EdTechRevocationList",
        "revokedCredentials": [
            {"id": cid, "code": code, "revokedAt": at, "reason": reason}
            for cid, code, at, reason in rows
        ],
    }
