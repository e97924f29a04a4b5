"""Courses over REST (``course:<code>`` documents): written by trainers with If-Match, the
final assessment's answer key taken out of the body and kept in ``assessment_keys`` in
the same transaction, each lesson's media held to a download budget, and offered to
cooperatives by their coordinators (docs/training.md).

Trainers are coordinators (their cooperatives' courses) and admins (any course, and
partners' courses, which belong to no cooperative). The write rules are the ones every
path applies (sync/rules/training.py); this module adds what only REST sees: the key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from schemas.training import COURSE_PREFIX, EVERYONE, course_id
from sync.rules.access import make_check, user_channels
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore
from sync.store.errors import RevisionConflict
from sync.store.reads import can_see

from ...errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from ..accounts import User
from ..directory import artisan_cooperative
from ..visible_docs import visible_doc
from . import progress

TRAINERS = ("coordinator", "admin")
# A concurrent write (a phone's offer, another coordinator's) between our read and our
# write: read again and retry this many times before answering 409.
OFFER_ATTEMPTS = 3


class CourseExists(Conflict):
    code = "course_exists"
    message = "A course has this code already: edit it with PUT."


class LessonOverBudget(BadRequest):
    code = "lesson_over_budget"


class AnswerNotAChoice(BadRequest):
    code = "answer_not_a_choice"


class NotYourCourse(Forbidden):
    code = "not_your_course"
    message = "This course is written by its cooperative's coordinators (or an admin's)."


class NotYourCooperative(Forbidden):
    code = "not_your_cooperative"
    message = "This is not one of your cooperatives."


class CourseNotPublished(Conflict):
    code = "course_not_published"
    message = "Only a published course is offered to cooperatives."


class KeptChanging(Conflict):
    code = "kept_changing"
    message = "The document kept changing while we wrote it: try again."


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_for(store: DocumentStore, user: User):
    """The store's write check for this user (sync/rules/access.py), as /sync applies it."""
    return make_check(user, lambda artisan: artisan_cooperative(store.db, artisan))


def may_edit(user: User, course: dict[str, Any]) -> bool:
    """Its trainers: an admin, or a coordinator of the course's cooperative."""
    if user.role == "admin":
        return True
    return user.role == "coordinator" and course.get("cooperative") in user.cooperative_ids


# Shape


def lesson_bytes(lesson: dict[str, Any]) -> int:
    """What a lesson's pictures and voice clips weigh: its download."""
    return sum(int((step.get("media") or {}).get("bytes") or 0) for step in lesson["steps"])


def check_budget(lessons: list[dict[str, Any]], budget: int) -> None:
    for lesson in lessons:
        size = lesson_bytes(lesson)
        if size > budget:
            raise LessonOverBudget(
                f"Lesson {lesson['id']!r} weighs {size} bytes of media; a lesson may weigh "
                f"{budget}: split it, or make its pictures and clips smaller.",
                details={"lesson": lesson["id"], "bytes": size, "budget": budget},
            )


def _check_answers(questions: list[dict[str, Any]], where: str) -> None:
    for question in questions:
        choices = [c["id"] for c in question["choices"]]
        if question["answer"] not in choices:
            raise AnswerNotAChoice(
                f"The answer of question {question['id']!r} is {question['answer']!r}, "
                f"which is not one of its choices.",
                details={
                    "where": where,
                    "question": question["id"],
                    "answer": question["answer"],
                    "choices": choices,
                },
            )


def split_key(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The body without the final assessment's answers, and those answers (the key)."""
    for lesson in data["lessons"]:
        _check_answers((lesson.get("quiz") or {}).get("questions") or [], f"lesson {lesson['id']}")
    assessment = data.get("assessment")
    if not assessment:
        return {**data, "assessment": None}, {}
    _check_answers(assessment["questions"], "assessment")
    key = {q["id"]: q["answer"] for q in assessment["questions"]}
    questions = [{k: v for k, v in q.items() if k != "answer"} for q in assessment["questions"]]
    return {**data, "assessment": {**assessment, "questions": questions}}, key


def render(
    db: sqlite_utils.Database, user: User, doc: dict[str, Any], budget: int
) -> dict[str, Any]:
    """A course as REST shows it: each lesson's download, the budget, and the answer key
    for its trainers only (never for an artisan)."""
    out = {k: v for k, v in doc.items() if not k.startswith("_") and k != "type"}
    lessons = [{**lesson, "download_bytes": lesson_bytes(lesson)} for lesson in doc["lessons"]]
    keyed = may_edit(user, doc) and bool(doc.get("assessment"))
    if keyed:
        key = progress.answer_key(db, doc["_id"])
        questions = [
            {**q, "answer": key[q["id"]]} if q["id"] in key else q
            for q in doc["assessment"]["questions"]
        ]
        out["assessment"] = {**doc["assessment"], "questions": questions}
    out.update(
        id=doc["_id"],
        rev=doc["_rev"],
        code=doc["_id"].removeprefix(COURSE_PREFIX),
        lessons=lessons,
        download_bytes=sum(lesson["download_bytes"] for lesson in lessons),
        lesson_budget_bytes=budget,
        answer_key=keyed,
    )
    return out


# Reads


def _course_ids(db: sqlite_utils.Database) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT id FROM docs WHERE deleted = 0 AND substr(id, 1, ?) = ? ORDER BY id",
            [len(COURSE_PREFIX), COURSE_PREFIX],
        )
    ]


def list_courses(
    store: DocumentStore, user: User, status: str | None = None
) -> list[dict[str, Any]]:
    """What the caller may see: a coordinator her cooperatives' courses and every published
    one; an artisan the published courses offered to her cooperative or to everyone; an
    admin all."""
    visible = user_channels(user)
    rows = store.rows(_course_ids(store.db))
    found = []
    for doc_id, row in sorted(rows.items()):
        if row.deleted or not can_see(visible, row.channels):
            continue
        body = store.body(doc_id, row.winner)
        if body is None or body.get("type") != "course":
            continue
        if status is not None and body.get("status") != status:
            continue
        found.append({**body, "_id": doc_id, "_rev": row.winner})
    return found


def get(store: DocumentStore, user: User, doc_id: str) -> dict[str, Any]:
    """A course the caller may see (404 otherwise)."""
    return visible_doc(store, user, doc_id, "course", "course")


def get_any(store: DocumentStore, doc_id: str) -> dict[str, Any] | None:
    """The course's winning body with its id, whoever reads it (the server's own look)."""
    body = store.winner_body(doc_id)
    if body is None or body.get("type") != "course":
        return None
    return {**body, "_id": doc_id}


# Writes


def _owner_cooperative(db: sqlite_utils.Database, user: User, data: dict[str, Any]) -> str | None:
    given = data.pop("cooperative", None)
    if user.role == "admin":
        if (
            given
            and db.execute("SELECT 1 FROM cooperatives WHERE id = ?", [given]).fetchone() is None
        ):
            raise NotFound("No such cooperative.", details={"cooperative": given})
        return given or None
    if user.role != "coordinator":
        raise NotYourCourse("Courses are written by coordinators and admins.")
    mine = tuple(user.cooperative_ids)
    if given:
        if given not in mine:
            raise NotYourCooperative(details={"cooperative": given, "yours": list(mine)})
        return given
    if len(mine) != 1:
        raise BadRequest(
            "You coordinate several cooperatives: say whose course it is with `cooperative`.",
            details={"yours": list(mine)},
        )
    return mine[0]


def create(store: DocumentStore, user: User, data: dict[str, Any], budget: int) -> dict[str, Any]:
    data = dict(data)
    coop = _owner_cooperative(store.db, user, data)
    doc_id = course_id(data.pop("code"))
    check_budget(data["lessons"], budget)
    content, key = split_key(data)
    stamp = now_iso()
    body = {
        **content,
        "_id": doc_id,
        "type": "course",
        "cooperative": coop,
        "author": user.id,
        "created_at": stamp,
        "updated_at": stamp,
    }
    with write_transaction(store.db):
        row = store.row(doc_id)
        if row is not None:  # a course is never deleted: its code stays taken
            raise CourseExists(details={"id": doc_id})
        store.put(body, check=check_for(store, user))
        progress.set_answer_key(store.db, doc_id, key)
    return get(store, user, doc_id)


def _revision(if_match: str | None) -> str:
    if not if_match or not if_match.strip():
        raise PreconditionRequired()
    return if_match.strip().removeprefix("W/").strip('"')


def update(
    store: DocumentStore,
    user: User,
    doc_id: str,
    if_match: str | None,
    data: dict[str, Any],
    budget: int,
) -> dict[str, Any]:
    """Replace a course's fields with If-Match; code, cooperative and author are its own.
    The answer key is replaced with the body's in the same transaction."""
    current = get(store, user, doc_id)
    if not may_edit(user, current):
        raise NotYourCourse(details={"id": doc_id, "cooperative": current.get("cooperative")})
    rev = _revision(if_match)
    if rev != current["_rev"]:
        raise PreconditionFailed(details={"current": render(store.db, user, current, budget)})
    check_budget(data["lessons"], budget)
    content, key = split_key(dict(data))
    kept = {k: current[k] for k in ("type", "cooperative", "author", "created_at") if k in current}
    body = {**kept, **content, "updated_at": now_iso(), "_id": doc_id, "_rev": rev}
    try:
        with write_transaction(store.db):
            store.put(body, check=check_for(store, user))
            progress.set_answer_key(store.db, doc_id, key)
    except RevisionConflict as exc:  # changed between our read and our write
        latest = get(store, user, doc_id)
        raise PreconditionFailed(
            details={"current": render(store.db, user, latest, budget)}
        ) from exc
    return get(store, user, doc_id)


def offer(
    store: DocumentStore, user: User, doc_id: str, cooperative: str, offered: bool
) -> dict[str, Any]:
    """Offer a published course to one of her cooperatives (``offered``), or withdraw it.
    The server writes the course with her check, so the rule that she changes only her
    own cooperatives' places holds here as on /sync; a concurrent write is retried."""
    if user.role == "admin":
        if cooperative != EVERYONE and (
            store.db.execute("SELECT 1 FROM cooperatives WHERE id = ?", [cooperative]).fetchone()
            is None
        ):
            raise NotFound("No such cooperative.", details={"cooperative": cooperative})
    elif cooperative not in user.cooperative_ids:
        everyone = " Every cooperative (*) is an admin's choice." if cooperative == EVERYONE else ""
        raise NotYourCooperative(
            "You offer courses to your own cooperatives only." + everyone,
            details={"cooperative": cooperative, "yours": list(user.cooperative_ids)},
        )
    for _ in range(OFFER_ATTEMPTS):
        current = get(store, user, doc_id)
        if offered and current.get("status") != "published":
            raise CourseNotPublished(details={"id": doc_id, "status": current.get("status")})
        targets = list(current.get("offered_to") or [])
        if (cooperative in targets) == offered:
            return current
        targets = [*targets, cooperative] if offered else [t for t in targets if t != cooperative]
        body = {**current, "offered_to": targets, "updated_at": now_iso()}
        body.pop("_revisions", None)
        try:
            store.put(body, check=check_for(store, user))
        except RevisionConflict:
            continue
        return get(store, user, doc_id)
    raise KeptChanging(details={"id": doc_id})
