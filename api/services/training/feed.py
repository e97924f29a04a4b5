"""What follows a training document's change, however it arrived (REST, /sync, the
compact protocol, the hub): her assessment graded, her certificate issued when the
course's conditions are met, and artisans told of a course newly offered to them.

Like api/services/order_feed.py, it reads the changes feed from its own checkpoint
(``training_feed``) and advances it in the same transaction as its effects, after every
write request and before every dispatcher pass; a crash repeats the work (a result is
written only when it changes, a certificate is one per artisan and course, a push has
its dedup key) instead of losing it.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlite_utils

from schemas.training import EVERYONE, PROGRESS_PREFIX, result_id
from sync.rules import resolution
from sync.rules.access import make_check
from sync.store import revtree
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore

from .. import outbox
from ..directory_docs import SERVER
from . import certificates, progress

log = logging.getLogger("hirfa.training")

BATCH = 500
# Past this many changes with no training document among them, move the checkpoint
# anyway, so the look after each write request stays short (as api/services/order_feed.py).
SKIP_AHEAD = 1000


def _checkpoint(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT value FROM training_feed WHERE key = 'seq'").fetchone()[0]


def _changed(db: sqlite_utils.Database, since: int) -> list[tuple[str, int]]:
    return db.execute(
        "SELECT id, seq FROM docs WHERE seq > ? AND deleted = 0 "
        "AND (id LIKE 'progress:%' OR id LIKE 'course:%') ORDER BY seq LIMIT ?",
        [since, BATCH],
    ).fetchall()


def process(store: DocumentStore, public_url: str = "") -> int:
    """Follow the training documents changed since the checkpoint; returns how many."""
    db = store.db
    if not _changed(db, _checkpoint(db)):  # the common case, without the write lock
        if store.update_seq() - _checkpoint(db) > SKIP_AHEAD:
            with write_transaction(db):
                db.execute(
                    "UPDATE training_feed SET value = ? WHERE key = 'seq'", [store.update_seq()]
                )
        return 0
    with write_transaction(db):
        rows = _changed(db, _checkpoint(db))
        for doc_id, _ in rows:
            body = store.winner_body(doc_id)
            if body is None:
                continue
            if doc_id.startswith(PROGRESS_PREFIX) and body.get("type") == "progress":
                row = store.row(doc_id)
                if row is not None and revtree.conflicts(row.tree):
                    # Two phones of hers: what she did on either counts (progress_union).
                    resolution.resolve(store, [doc_id])
                    body = store.winner_body(doc_id) or body
                settle_progress(store, body, public_url)
            elif body.get("type") == "course":
                _tell_newly_offered(db, {**body, "_id": doc_id})
        done = store.update_seq() if len(rows) < BATCH else rows[-1][1]
        db.execute("UPDATE training_feed SET value = ? WHERE key = 'seq'", [done])
    return len(rows)


def settle_progress(store: DocumentStore, body: dict[str, Any], public_url: str) -> str | None:
    """Grade her answers, and issue her certificate if she has earned it; returns its
    code, if she holds one."""
    course_id, artisan = body.get("course"), body.get("owner")
    course = store.winner_body(course_id) if isinstance(course_id, str) else None
    if course is None or course.get("type") != "course" or not isinstance(artisan, str):
        return None  # a course withdrawn, or not yet replicated here: settled when it is
    course = {**course, "_id": course_id}
    passed = None
    if course.get("assessment") and body.get("assessment_answers"):
        grade = progress.grade(
            course, progress.answer_key(store.db, course_id), body["assessment_answers"]
        )
        passed = grade.passed
        _write_result(store, body, grade)
    elif course.get("assessment"):
        result = store.winner_body(result_id(course_id, artisan))
        passed = bool(result and result.get("passed"))
    attested = _attested(store.db, course_id, artisan)
    if progress.missing(course, body, passed, attested):
        return None
    holder = holder_of(store.db, artisan, body.get("cooperative"))
    return certificates.issue(store, course, holder, public_url)


def holder_of(db: sqlite_utils.Database, artisan: str, cooperative: Any) -> certificates.Holder:
    row = db.execute(
        "SELECT display_name, locale, cooperative_id FROM users WHERE id = ?", [artisan]
    ).fetchone()
    if row is None:  # an artisan of another server: her public profile's name
        from_doc = db.execute(
            "SELECT json_extract(r.body, '$.display_name') FROM docs d JOIN revs r "
            "ON r.doc_id = d.id AND r.rev = d.winner WHERE d.id = ?",
            [f"artisan:{artisan}"],
        ).fetchone()
        name = from_doc[0] if from_doc and from_doc[0] else artisan
        return certificates.Holder(artisan, name, str(cooperative or ""), "ar")
    return certificates.Holder(artisan, row[0], row[2] or str(cooperative or ""), row[1] or "ar")


def _attested(db: sqlite_utils.Database, course_id: str, artisan: str) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM practical_attestations WHERE course_id = ? AND artisan_id = ?",
            [course_id, artisan],
        ).fetchone()
        is not None
    )


def _write_result(store: DocumentStore, body: dict[str, Any], grade: progress.Grade) -> None:
    doc_id = result_id(body["course"], body["owner"])
    result = {
        "type": "assessment_result",
        "owner": body["owner"],
        "cooperative": body["cooperative"],
        "course": body["course"],
        "score": grade.score,
        "passed": grade.passed,
        "unknown_questions": grade.unknown_questions,
        "unanswered": grade.unanswered,
    }
    current = store.winner_body(doc_id)
    if current == result:
        return
    if current is not None and current.get("passed") and not grade.passed:
        return  # a pass stands: an older copy of her answers does not undo it
    row = store.row(doc_id)
    revision = {"_rev": row.winner} if row is not None else {}
    store.put({"_id": doc_id, **revision, **result}, check=make_check(SERVER, lambda _a: None))


def _tell_newly_offered(db: sqlite_utils.Database, course: dict[str, Any]) -> None:
    """One push per artisan of each cooperative a published course is newly offered to."""
    if course.get("status") != "published":
        return
    offered = [c for c in course.get("offered_to") or [] if isinstance(c, str)]
    if EVERYONE in offered:
        artisans = db.execute("SELECT id FROM users WHERE role = 'artisan'").fetchall()
    else:
        marks = ",".join("?" * len(offered)) or "NULL"
        artisans = db.execute(
            f"SELECT id FROM users WHERE role = 'artisan' AND cooperative_id IN ({marks})",
            offered,
        ).fetchall()
    for (artisan,) in artisans:
        outbox.enqueue(
            db,
            user_id=artisan,
            kind="course_offered",
            data={"course_id": course["_id"], "course_title": course.get("title") or {}},
            dedup_key=f"course_offered:{course['_id']}:{artisan}",
            collapse_key=f"course_offered:{course['_id']}",
        )
