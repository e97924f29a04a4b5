"""A trainer attests that an artisan showed a course's practical skill
(``practical_attestations``, never a document: phones cannot forge it); her progress is
settled in the same transaction, so her certificate is issued at once when the
attestation was all she lacked."""

from __future__ import annotations

from typing import Any

from schemas.training import progress_id, result_id
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore

from ...errors import Conflict, Forbidden, NotFound
from ..accounts import User, get_user
from . import certificates, courses, feed, progress


class NoPractical(Conflict):
    code = "no_practical"
    message = "This course asks for no practical: there is nothing to attest."


class UnknownArtisan(NotFound):
    code = "unknown_artisan"
    message = "No such artisan."


class NotHerTrainer(Forbidden):
    code = "not_her_trainer"
    message = "A practical is attested by a coordinator of the artisan's cooperative."


def artisan_of(store: DocumentStore, user: User, artisan_id: str) -> User:
    """An artisan the caller trains: one of her cooperatives' (any, for an admin)."""
    artisan = get_user(store.db, artisan_id)
    if artisan is None or artisan.role != "artisan":
        raise UnknownArtisan(details={"artisan": artisan_id})
    if user.role != "admin" and not (
        user.role == "coordinator" and artisan.cooperative_id in user.cooperative_ids
    ):
        raise NotHerTrainer(details={"artisan": artisan_id})
    return artisan


def attest(
    store: DocumentStore,
    user: User,
    course_id: str,
    artisan_id: str,
    note: str | None,
    public_url: str,
) -> dict[str, Any]:
    course = courses.get(store, user, course_id)
    if not (course.get("practical") or {}).get("required"):
        raise NoPractical(details={"id": course_id})
    artisan_of(store, user, artisan_id)
    stamp = courses.now_iso()
    certificate = None
    with write_transaction(store.db):
        store.db.execute(
            "INSERT INTO practical_attestations "
            "(course_id, artisan_id, attested_by, note, attested_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (course_id, artisan_id) DO NOTHING",  # the first attestation stands
            [course_id, artisan_id, user.id, note, stamp],
        )
        kept = attested(store, course_id, artisan_id)
        body = store.winner_body(progress_id(course_id, artisan_id))
        if body is None or body.get("type") != "progress":
            body = {}  # not started yet: her certificate waits for her lessons
        if body:
            certificate = feed.settle_progress(store, body, public_url)
        passed = None
        if course.get("assessment"):
            result = store.winner_body(result_id(course_id, artisan_id))
            passed = bool(result and result.get("passed"))
    return {
        "course": course_id,
        "artisan": artisan_id,
        **(kept or {}),
        "certificate": certificate,
        "missing": [] if certificate else progress.missing(course, body, passed, True),
    }


def attested(store: DocumentStore, course_id: str, artisan_id: str) -> dict[str, Any] | None:
    cursor = store.db.execute(
        "SELECT attested_by, note, attested_at FROM practical_attestations "
        "WHERE course_id = ? AND artisan_id = ?",
        [course_id, artisan_id],
    )
    row = cursor.fetchone()
    return dict(zip(("attested_by", "note", "attested_at"), row, strict=True)) if row else None


class UnknownCertificate(NotFound):
    code = "unknown_certificate"
    message = "No certificate has this code."


def revoke(store: DocumentStore, user: User, code: str, reason: str) -> dict[str, Any]:
    """Revoke a certificate of one of her cooperatives (any, for an admin), with a reason;
    revoking again keeps the first revocation."""
    found = certificates.lookup(store.db, code)
    if found is None:
        raise UnknownCertificate(details={"code": code})
    if user.role != "admin" and found["cooperative_id"] not in user.cooperative_ids:
        raise courses.NotYourCooperative(
            "A certificate is revoked by a coordinator of its cooperative, or an admin.",
            details={"code": found["code"], "cooperative": found["cooperative_id"]},
        )
    return certificates.revoke(store, found["code"], user.id, reason) or found
