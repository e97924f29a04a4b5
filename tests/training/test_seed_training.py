"""The demo courses `make run` seeds: two courses in Arabic and French with pictures and a
voice clip, within the lesson budget, answer keys kept off the documents, and Fatima
holding a certificate that verifies; seeding again makes nothing."""

from __future__ import annotations

from api import state
from api.services.training import credentials, keys
from seed.training import PHOTO_COURSE, PRICING_COURSE, populate_training
from tests.support.apps import make_app


def test_the_demo_courses_and_certificate(tmp_path):
    app = make_app(tmp_path)
    hirfa = state.of(app)
    settings = hirfa.settings
    db = hirfa.open_db()
    try:
        store = hirfa.store(db)
        args = (settings.media_dir, settings.media_max_pixels)
        limits = (settings.audio_max_bytes, settings.audio_max_seconds)
        assert populate_training(store, *args, *limits) == {"courses": 2, "certificates": 1}
        assert populate_training(store, *args, *limits) == {"courses": 0, "certificates": 0}
        for course_id in (PHOTO_COURSE, PRICING_COURSE):
            course = store.winner_body(course_id)
            assert course["title"]["ar"] and course["title"]["fr"]
            assert all("answer" not in q for q in course["assessment"]["questions"])
            for lesson in course["lessons"]:
                size = sum((s.get("media") or {}).get("bytes", 0) for s in lesson["steps"])
                assert size <= settings.lesson_budget_bytes, (lesson["id"], size)
        kinds = {
            s["kind"]
            for lesson in store.winner_body(PHOTO_COURSE)["lessons"]
            for s in lesson["steps"]
        }
        assert kinds == {"picture", "text", "audio"}
        [(code, artisan)] = db.execute("SELECT code, artisan_id FROM certificates").fetchall()
        assert artisan == "art_fatima"
        token = store.winner_body(f"certificate:{code}")["credential"]
        assert credentials.verify(token, keys.jwks(db)).valid
    finally:
        db.close()
