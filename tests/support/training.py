"""A short course as the training tests write it, and the answers that pass it."""

from __future__ import annotations

from typing import Any

COURSE = "course:photo-basics"
TAZA = "coop-taza-zerbia"
KEY = {"q1": "a", "q2": "b"}


def course(**fields: Any) -> dict[str, Any]:
    """A published course of the Taza cooperative, offered to it: two lessons, a final
    assessment of two questions (70 % to pass), no practical."""
    question = {
        "prompt": {"fr": "Où photographier ?"},
        "choices": [{"id": "a", "label": {"fr": "Dehors"}}, {"id": "b", "label": {"fr": "Dedans"}}],
    }
    return {
        "_id": COURSE,
        "type": "course",
        "cooperative": TAZA,
        "author": "coo_naima",
        "title": {"ar": "تصوير المنتوج", "fr": "Photographier son produit"},
        "summary": {"fr": "La lumière, le fond, les angles."},
        "issuer": {"name": "Coopérative Zerbia de Taza"},
        "hours": 3,
        "lessons": [
            {"id": "light", "title": {"fr": "La lumière"}, "steps": [
                {"kind": "text", "text": {"fr": "Photographiez près d'une fenêtre."}}]},
            {"id": "background", "title": {"fr": "Le fond"}, "steps": [
                {"kind": "text", "text": {"fr": "Un fond uni."}}],
             "quiz": {"questions": [{"id": "p1", **question, "answer": "a"}]}},
        ],
        "assessment": {"questions": [{"id": "q1", **question}, {"id": "q2", **question}],
                       "pass_mark": 70},
        "status": "published",
        "offered_to": [TAZA],
        **fields,
    }  # fmt: skip


def progress(artisan: str = "art_fatima", **fields: Any) -> dict[str, Any]:
    return {
        "_id": f"progress:photo-basics:{artisan}",
        "type": "progress",
        "owner": artisan,
        "cooperative": TAZA,
        "course": COURSE,
        "steps_seen": ["light/0", "background/0"],
        "lessons_done": ["light", "background"],
        "quiz_scores": {"background": 100},
        **fields,
    }
