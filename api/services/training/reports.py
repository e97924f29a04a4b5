"""Where artisans stand in their courses, for their trainers and for themselves: steps
seen, lessons done, practice-quiz scores, the graded assessment, the attested practical
and the certificate, read from the progress documents their phones write and the
server's own tables."""

from __future__ import annotations

from typing import Any

from schemas.training import PROGRESS_PREFIX, result_id
from sync.store.documents import DocumentStore

from ...errors import Forbidden
from ..accounts import User
from . import attestations, certificates, courses, progress


def _progress_ids(store: DocumentStore, prefix: str, suffix: str = "") -> list[str]:
    # substr, not LIKE: ids hold "_", which LIKE reads as a wildcard.
    return [
        r[0]
        for r in store.db.execute(
            "SELECT id FROM docs WHERE deleted = 0 AND substr(id, 1, ?) = ? "
            "AND (? = '' OR substr(id, -?) = ?) ORDER BY id",
            [len(prefix), prefix, suffix, len(suffix) or 1, suffix],
        )
    ]


def _names(store: DocumentStore, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return dict(
        store.db.execute(f"SELECT id, display_name FROM users WHERE id IN ({marks})", list(ids))
    )


def _certificate(store: DocumentStore, course: str, artisan: str) -> tuple[str | None, bool]:
    row = store.db.execute(
        "SELECT code, revoked_at FROM certificates WHERE course_id = ? AND artisan_id = ?",
        [course, artisan],
    ).fetchone()
    return (row[0], row[1] is not None) if row else (None, False)


def summary(
    store: DocumentStore, course: dict[str, Any], body: dict[str, Any], name: str | None
) -> dict[str, Any]:
    """One artisan's standing in one course, from her progress document."""
    artisan, doc_id = body["owner"], course["_id"]
    lessons = course.get("lessons") or []
    ids = {lesson["id"] for lesson in lessons}
    steps = {f"{lesson['id']}/{n}" for lesson in lessons for n in range(len(lesson["steps"]))}
    result = store.winner_body(result_id(doc_id, artisan)) if course.get("assessment") else None
    passed = bool(result and result.get("passed")) if course.get("assessment") else None
    attested = attestations.attested(store, doc_id, artisan) is not None
    code, revoked = _certificate(store, doc_id, artisan)
    return {
        "course": doc_id,
        "course_title": course.get("title") or {},
        "artisan": artisan,
        "name": name or artisan,
        "cooperative": body.get("cooperative"),
        "steps_seen": len(set(body.get("steps_seen") or []) & steps),
        "steps_total": len(steps),
        "lessons_done": [lesson for lesson in body.get("lessons_done") or [] if lesson in ids],
        "lessons_total": len(lessons),
        "quiz_scores": body.get("quiz_scores") or {},
        "assessment": (
            {"score": result["score"], "passed": result["passed"]} if result is not None else None
        ),
        "practical_required": bool((course.get("practical") or {}).get("required")),
        "practical_attested": attested,
        "certificate": code,
        "certificate_revoked": revoked,
        "missing": [] if code else progress.missing(course, body, passed, attested),
        "updated_at": body.get("updated_at"),
    }


def course_progress(store: DocumentStore, user: User, doc_id: str) -> list[dict[str, Any]]:
    """Every artisan of the trainer's cooperatives (all, for an admin) who started the
    course, by name."""
    course = courses.get(store, user, doc_id)
    course = {**course, "_id": doc_id}
    prefix = f"{PROGRESS_PREFIX}{doc_id.removeprefix('course:')}:"
    bodies = []
    for pid in _progress_ids(store, prefix):
        body = store.winner_body(pid)
        if not body or body.get("type") != "progress" or not isinstance(body.get("owner"), str):
            continue
        if user.role != "admin" and body.get("cooperative") not in user.cooperative_ids:
            continue
        bodies.append(body)
    names = _names(store, {b["owner"] for b in bodies})
    found = [summary(store, course, b, names.get(b["owner"])) for b in bodies]
    return sorted(found, key=lambda s: (s["name"].casefold(), s["artisan"]))


def artisan_progress(store: DocumentStore, user: User, artisan_id: str) -> list[dict[str, Any]]:
    """Her courses: for herself, her cooperative's coordinators and admins."""
    if user.role == "artisan":
        if user.id != artisan_id:
            raise Forbidden(
                "An artisan sees her own progress only.", details={"artisan": artisan_id}
            )
        name = user.display_name
    elif user.role in courses.TRAINERS:
        name = attestations.artisan_of(store, user, artisan_id).display_name
    else:
        raise Forbidden("Progress is seen by the artisan and her trainers.")
    found = []
    for pid in _progress_ids(store, PROGRESS_PREFIX, f":{artisan_id}"):
        body = store.winner_body(pid)
        if not body or body.get("type") != "progress" or body.get("owner") != artisan_id:
            continue
        course = courses.get_any(store, body.get("course") or "")
        if course is None:
            continue  # not yet replicated here
        found.append(summary(store, course, body, name))
    return sorted(found, key=lambda s: s["course"])


def certificates_of(store: DocumentStore, user: User) -> list[dict[str, Any]]:
    """An artisan's own certificates; a coordinator's cooperatives'; every one for an
    admin. Newest first."""
    if user.role == "admin":
        where, args = "1 = 1", []
    elif user.role == "coordinator":
        mine = list(user.cooperative_ids)
        where, args = f"cooperative_id IN ({','.join('?' * len(mine)) or 'NULL'})", mine
    else:
        where, args = "artisan_id = ?", [user.id]
    cursor = store.db.execute(
        f"SELECT code FROM certificates WHERE {where} ORDER BY issued_at DESC, code", args
    )
    return [shown_certificate(certificates.lookup(store.db, code)) for (code,) in cursor.fetchall()]


def shown_certificate(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "course": row["course_id"],
        "course_title": row["course_title"],
        "artisan": row["artisan_id"],
        "holder_name": row["holder_name"],
        "cooperative": row["cooperative_id"],
        "issuer_name": row["issuer_name"],
        "hours": row["hours"],
        "issued_at": row["issued_at"],
        "revoked_at": row["revoked_at"],
        "revoked_reason": row["revoked_reason"],
        "verify_url": f"/v/{row['code']}",
    }
