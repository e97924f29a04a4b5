"""From her progress to her certificate: the server grades her final answers against a
key no phone sees, issues the certificate when the course's conditions are met, and the
signed credential verifies with the public keys alone; one byte changed, it does not."""

from __future__ import annotations

import json

import pytest

from api import state
from api.services.push.messages import render
from api.services.training import certificates, credentials, feed, keys, progress
from sync.rules.access import channels_for
from tests.support.apps import make_app
from tests.support.checked_store import checked_store, user
from tests.support.training import COURSE, KEY, TAZA, course
from tests.support.training import progress as progress_doc

NAIMA = user("coo_naima", "coordinator", TAZA)
FATIMA = user("art_fatima", "artisan", TAZA)


@pytest.fixture
def store(tmp_path):
    app = make_app(tmp_path)
    with checked_store(state.of(app)) as found:
        found.put(course(), check=found.check_as(NAIMA))
        progress.set_answer_key(found.db, COURSE, KEY)
        yield found


def _push(store, doc) -> dict:
    [result] = store.bulk_docs([doc], check=store.check_as(FATIMA))
    return result


def test_passing_answers_earn_a_certificate_that_verifies(store):
    assert _push(store, progress_doc(assessment_answers={"q1": "a", "q2": "b"})).get("ok")
    assert feed.process(store) >= 1
    result = store.winner_body("assessment:photo-basics:art_fatima")
    assert (result["score"], result["passed"]) == (100, True)
    [(code,)] = store.db.execute("SELECT code FROM certificates").fetchall()
    doc = store.winner_body(f"certificate:{code}")
    assert doc["owner"] == "art_fatima" and doc["status"] == "valid"
    assert "artisan:art_fatima" in channels_for(f"certificate:{code}", doc)
    verdict = credentials.verify(doc["credential"], keys.jwks(store.db))
    assert verdict.valid, verdict.reason
    vc = verdict.credential
    assert "OpenBadgeCredential" in vc["type"]
    assert vc["credentialSubject"]["name"] == "فاطمة أيت علي"
    assert vc["credentialSubject"]["achievement"]["name"] == "Photographier son produit"
    # One byte of the payload changed: the signature no longer matches.
    head, body, signature = doc["credential"].split(".")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    altered = credentials.verify(f"{head}.{flipped}.{signature}", keys.jwks(store.db))
    assert not altered.valid and "altered" in altered.reason
    # Processing again issues nothing new.
    feed.process(store)
    assert store.db.execute("SELECT count(*) FROM certificates").fetchone()[0] == 1


def test_failing_answers_earn_nothing_and_unknown_questions_are_reported(store):
    _push(store, progress_doc(assessment_answers={"q1": "b", "q9": "a"}))
    feed.process(store)
    result = store.winner_body("assessment:photo-basics:art_fatima")
    assert (result["score"], result["passed"]) == (0, False)
    assert result["unknown_questions"] == ["q9"] and result["unanswered"] == ["q2"]
    assert store.db.execute("SELECT count(*) FROM certificates").fetchone()[0] == 0


def test_lessons_not_done_earn_nothing(store):
    _push(store, progress_doc(lessons_done=["light"], assessment_answers=KEY))
    feed.process(store)
    assert store.db.execute("SELECT count(*) FROM certificates").fetchone()[0] == 0


def test_a_key_from_another_issuer_does_not_verify(store):
    _push(store, progress_doc(assessment_answers=KEY))
    feed.process(store)
    token = store.winner_body(
        "certificate:" + store.db.execute("SELECT code FROM certificates").fetchone()[0]
    )["credential"]
    keys.rotate(store.db)  # the old key stays published: the certificate still verifies
    assert credentials.verify(token, keys.jwks(store.db)).valid
    stranger = {"keys": [k for k in keys.jwks(store.db)["keys"]][:1]}  # only the new key
    verdict = credentials.verify(token, stranger)
    assert not verdict.valid and "never published" in verdict.reason


@pytest.mark.parametrize(
    ("who", "doc", "says"),
    [
        (
            FATIMA,
            {
                "_id": "certificate:FAKE-CODE-00",
                "type": "certificate",
                "owner": "art_fatima",
                "cooperative": TAZA,
                "course": COURSE,
                "code": "FAKE-CODE-00",
                "credential": "x.y.z",
                "status": "valid",
            },
            "issued by the server",
        ),
        (
            FATIMA,
            {
                "_id": "assessment:photo-basics:art_fatima",
                "type": "assessment_result",
                "owner": "art_fatima",
                "cooperative": TAZA,
                "course": COURSE,
                "score": 100,
                "passed": True,
            },
            "issued by the server",
        ),
        (FATIMA, progress_doc(artisan="art_khadija"), "the artisan herself"),
        (FATIMA, {**progress_doc(), "_id": "progress:other:art_fatima"}, "progress:<course code>"),
        (NAIMA, progress_doc(), "the artisan herself"),
        (FATIMA, course(_id="course:mine", author="art_fatima"), "does not write courses"),
    ],
)
def test_what_no_one_but_the_server_or_its_owner_writes(store, who, doc, says):
    [result] = store.bulk_docs([doc], check=store.check_as(who))
    assert result.get("error") == "forbidden" and says in result["reason"], result


def test_a_coordinator_offers_another_cooperatives_course_to_hers_only(store):
    other = user("coo_other", "coordinator", "coop-essaouira-argan")
    rev = store.row(COURSE).winner
    offered = {**course(), "_rev": rev, "offered_to": [TAZA, "coop-essaouira-argan"]}
    assert store.bulk_docs([offered], check=store.check_as(other))[0].get("ok")
    rev = store.row(COURSE).winner
    retitled = {**offered, "_rev": rev, "title": {"fr": "Autre"}}
    [refused] = store.bulk_docs([retitled], check=store.check_as(other))
    assert "title is theirs" in refused["reason"]
    everyone = {**offered, "_rev": rev, "offered_to": ["*"]}
    [refused] = store.bulk_docs([everyone], check=store.check_as(other))
    assert "admin" in refused["reason"]
    channels = channels_for(COURSE, store.winner_body(COURSE))
    assert {"members:coop-essaouira-argan", f"members:{TAZA}", "courses"} <= channels


def test_revocation_is_kept_and_listed(store):
    _push(store, progress_doc(assessment_answers=KEY))
    feed.process(store)
    code = store.db.execute("SELECT code FROM certificates").fetchone()[0]
    found = certificates.revoke(store, code.lower().replace("-", " "), "coo_naima", "erreur")
    assert found["revoked_reason"] == "erreur"
    assert store.winner_body(f"certificate:{code}")["status"] == "revoked"
    listed = certificates.status_list(store.db)["revokedCredentials"]
    assert [(r["code"], r["reason"]) for r in listed] == [(code, "erreur")]


def _pushes(store, kind: str) -> list[str]:
    rows = store.db.execute("SELECT user_id FROM outbox WHERE kind = ? ORDER BY user_id", [kind])
    return [r[0] for r in rows]


def test_artisans_are_told_once_of_a_course_offered_to_them(store):
    feed.process(store)
    assert _pushes(store, "course_offered") == ["art_fatima", "art_khadija"]
    other = user("coo_other", "coordinator", "coop-essaouira-argan")
    rev = store.row(COURSE).winner
    offered = {**course(), "_rev": rev, "offered_to": [TAZA, "coop-essaouira-argan"]}
    assert store.bulk_docs([offered], check=store.check_as(other))[0].get("ok")
    feed.process(store)
    assert _pushes(store, "course_offered") == ["art_fatima", "art_khadija", "art_zahra"]


def test_her_certificate_push_is_in_her_language(store):
    _push(store, progress_doc(assessment_answers=KEY))
    feed.process(store)
    [(data,)] = store.db.execute(
        "SELECT data FROM outbox WHERE kind = 'certificate_issued' AND user_id = 'art_fatima'"
    ).fetchall()
    title, body = render("certificate_issued", json.loads(data), "ar")
    assert title == "مبروك! حصلتِ على شهادة" and body == "تصوير المنتوج"


def test_progress_from_two_phones_counts_what_she_did_on_either(store):
    """Two phones of hers, each offline, each with part of the course: both pushed as
    branches of her progress; the server keeps the union and issues her certificate."""
    first = {**progress_doc(lessons_done=["light"], steps_seen=["light/0"]), "_rev": "1-aaa"}
    first["_revisions"] = {"start": 1, "ids": ["aaa"]}
    second = {
        **progress_doc(lessons_done=["background"], steps_seen=["background/0"]),
        "assessment_answers": KEY,
        "quiz_scores": {"background": 50},
        "_rev": "1-bbb",
    }
    second["_revisions"] = {"start": 1, "ids": ["bbb"]}
    results = store.bulk_docs([first, second], new_edits=False, check=store.check_as(FATIMA))
    assert all(r.get("ok") for r in results), results
    feed.process(store)
    merged = store.winner_body("progress:photo-basics:art_fatima")
    assert merged["lessons_done"] == ["background", "light"]
    assert merged["steps_seen"] == ["background/0", "light/0"]
    assert store.db.execute("SELECT count(*) FROM certificates").fetchone()[0] == 1


def test_the_feed_moves_past_writes_that_are_not_training(store):
    """After every write request the feed looks for training documents past its
    checkpoint: with none among many writes, the checkpoint must still move, or each
    look reads every document written since."""
    feed.process(store)
    others = [
        {"_id": f"photo:{i}", "type": "photo", "owner": "art_fatima", "cooperative": TAZA,
         "sha256": f"{i:064x}", "status": "pending"}
        for i in range(feed.SKIP_AHEAD + 1)
    ]  # fmt: skip
    assert all(r.get("ok") for r in store.bulk_docs(others))
    feed.process(store)
    checkpoint = store.db.execute("SELECT value FROM training_feed WHERE key = 'seq'").fetchone()
    assert checkpoint == (store.update_seq(),)
