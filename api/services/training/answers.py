"""Her answers to a course's final assessment over REST: written into her progress
document as her phone would write them (merged with those she gave before), and graded
at once by the same code that grades what phones push (api/services/training/feed.py).
"""

from __future__ import annotations

from typing import Any

from schemas.training import progress_id
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore
from sync.store.errors import RevisionConflict

from ...errors import BadRequest, Conflict
from ..accounts import User
from . import feed
from .courses import OFFER_ATTEMPTS, KeptChanging, check_for, get, now_iso


class NoAssessment(Conflict):
    code = "no_assessment"
    message = "This course has no final assessment."


class UnknownQuestion(BadRequest):
    code = "unknown_question"


class UnknownChoice(BadRequest):
    code = "unknown_choice"


def answer(
    store: DocumentStore,
    user: User,
    doc_id: str,
    answers: dict[str, str],
    public_url: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Her answers to the final assessment, written into her progress document as her
    phone would (merged with those she gave before), graded at once; returns the course
    and her progress."""
    course = get(store, user, doc_id)
    questions = {q["id"]: q for q in (course.get("assessment") or {}).get("questions") or []}
    if not questions:
        raise NoAssessment(details={"id": doc_id})
    for qid, choice in answers.items():
        if qid not in questions:
            raise UnknownQuestion(
                f"The assessment has no question {qid!r}.",
                details={"question": qid, "questions": sorted(questions)},
            )
        choices = [c["id"] for c in questions[qid]["choices"]]
        if choice not in choices:
            raise UnknownChoice(
                f"Question {qid!r} has no choice {choice!r}.",
                details={"question": qid, "answer": choice, "choices": choices},
            )
    pid = progress_id(doc_id, user.id)
    for _ in range(OFFER_ATTEMPTS):
        row = store.row(pid)
        current = store.winner_body(pid) if row is not None and not row.deleted else None
        stamp = now_iso()
        body = current or {
            "type": "progress",
            "owner": user.id,
            "cooperative": user.cooperative_id or next(iter(user.cooperative_ids), None),
            "course": doc_id,
            "steps_seen": [],
            "lessons_done": [],
            "quiz_scores": {},
            "created_at": stamp,
        }
        merged = {**(body.get("assessment_answers") or {}), **answers}
        body = {**body, "assessment_answers": merged, "updated_at": stamp, "_id": pid}
        if current is not None:
            body["_rev"] = row.winner  # type: ignore[union-attr]
        try:
            with write_transaction(store.db):
                store.put(body, check=check_for(store, user))
                feed.settle_progress(store, body, public_url)
        except RevisionConflict:
            continue  # her phone wrote between our read and our write: merge again
        return {**course, "_id": doc_id}, store.winner_body(pid) or body
    raise KeptChanging("Your progress kept changing: try again.", details={"id": pid})
