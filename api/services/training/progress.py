"""Grading a final assessment against its key, and whether a course's conditions are met.

The phone grades practice quizzes itself (their answers are in the course document);
the final assessment's answers reach the server in her progress document and are graded
here, against ``assessment_keys``, which no phone ever receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils


@dataclass(frozen=True)
class Grade:
    score: int  # percent of the assessment's questions answered right
    passed: bool
    unknown_questions: list[str]  # answered, but not in the assessment: reported, not counted
    unanswered: list[str]


def answer_key(db: sqlite_utils.Database, course_id: str) -> dict[str, str]:
    return dict(
        db.execute(
            "SELECT question_id, answer FROM assessment_keys WHERE course_id = ?", [course_id]
        ).fetchall()
    )


def set_answer_key(db: sqlite_utils.Database, course_id: str, key: dict[str, str]) -> None:
    """Replace a course's key (call inside the write that stores the course)."""
    db.execute("DELETE FROM assessment_keys WHERE course_id = ?", [course_id])
    db.conn.executemany(
        "INSERT INTO assessment_keys (course_id, question_id, answer) VALUES (?, ?, ?)",
        [(course_id, q, a) for q, a in sorted(key.items())],
    )


def grade(course: dict[str, Any], key: dict[str, str], answers: dict[str, str]) -> Grade:
    assessment = course.get("assessment") or {}
    questions = [q["id"] for q in assessment.get("questions") or []]
    right = sum(1 for q in questions if q in key and answers.get(q) == key[q])
    score = round(100 * right / len(questions)) if questions else 0
    return Grade(
        score=score,
        passed=bool(questions) and score >= assessment.get("pass_mark", 100),
        unknown_questions=sorted(set(answers) - set(questions)),
        unanswered=[q for q in questions if q not in answers],
    )


def missing(
    course: dict[str, Any], progress: dict[str, Any], passed: bool | None, attested: bool
) -> list[str]:
    """What she still lacks for the certificate (empty: she has earned it)."""
    lacking = []
    lessons = [lesson["id"] for lesson in course.get("lessons") or []]
    done = set(progress.get("lessons_done") or [])
    not_done = [lesson for lesson in lessons if lesson not in done]
    if not_done:
        lacking.append("lessons: " + ", ".join(not_done))
    if course.get("assessment") and not passed:
        lacking.append("the final assessment")
    if (course.get("practical") or {}).get("required") and not attested:
        lacking.append("the practical, attested by a trainer")
    return lacking
