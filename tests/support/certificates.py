"""A certificate issued the way the server issues one: the course of
tests/support/training.py written by its coordinator, Fatima's passing progress pushed
as her phone would, and the training feed followed."""

from __future__ import annotations

from typing import Any

from api import state
from api.services.training import feed, progress
from tests.support.checked_store import checked_store, user
from tests.support.training import COURSE, KEY, TAZA, course
from tests.support.training import progress as progress_doc

NAIMA = user("coo_naima", "coordinator", TAZA)
FATIMA = user("art_fatima", "artisan", TAZA)
HOLDER = "فاطمة أيت علي"  # art_fatima's display name in the demo data


def issue(app, public_url: str = "", **course_fields: Any) -> str:
    """Fatima's certificate of the course; returns its verification code."""
    with checked_store(state.of(app)) as store:
        store.put(course(**course_fields), check=store.check_as(NAIMA))
        progress.set_answer_key(store.db, COURSE, KEY)
        [pushed] = store.bulk_docs(
            [progress_doc(assessment_answers=KEY)], check=store.check_as(FATIMA)
        )
        assert pushed.get("ok"), pushed
        feed.process(store, public_url)
        [(code,)] = store.db.execute(
            "SELECT code FROM certificates WHERE artisan_id = 'art_fatima'"
        ).fetchall()
    return code


def credential(app, code: str) -> str:
    """The signed credential (the JWS) her certificate document carries."""
    db = state.of(app).open_db()
    try:
        return state.of(app).store(db).winner_body(f"certificate:{code}")["credential"]
    finally:
        db.close()
