"""The trainer's page: behind the review sign-in, her cooperatives' courses and those
offered to them, where each of her artisans stands, and a practical attested with the
page's CSRF token issuing the certificate at once; in Arabic (right to left), French and
English."""

from __future__ import annotations

import re

import pytest

from api.services import accounts
from api.services.directory import artisan_cooperative
from api.services.training import feed, progress
from sync.rules.access import make_check
from tests.support.apps import DEMO
from tests.support.listings import Reviewer, page
from tests.support.training import COURSE, KEY, course
from tests.support.training import progress as progress_doc

PAGE = "/review/training"
ATTEST = f"{PAGE}/attest"
PRACTICAL = {"required": True, "description": {"fr": "Photographier un tapis"}}


def put(app, who: str, *docs: dict) -> None:
    """Writes documents through the store as ``who``'s phone would, then settles them."""
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    try:
        store = hirfa.store(db)
        user = accounts.get_user(db, who)
        check = make_check(user, lambda a: artisan_cooperative(db, a))
        for doc in docs:
            store.put(doc, check=check)
            if doc["type"] == "course":
                progress.set_answer_key(db, doc["_id"], KEY)
        feed.process(store)
    finally:
        db.close()


def demo_training(app) -> None:
    """Taza's course with a practical: Fatima passed everything but the practical,
    Khadija has done one lesson. Essaouira has a draft of its own."""
    put(app, "coo_naima", course(practical=PRACTICAL))
    put(app, "art_fatima", progress_doc(assessment_answers=KEY))
    put(app, "art_khadija", progress_doc("art_khadija", lessons_done=["light"], quiz_scores={}))
    draft = course(
        _id="course:argan-oil",
        cooperative="coop-essaouira-argan",
        author="coo_rachid",
        title={"fr": "Huile d'argan"},
        status="draft",
        offered_to=[],
    )
    put(app, "coo_rachid", draft)


@pytest.fixture
def reviewer(client):
    return Reviewer(client)


def _section(body: str, artisan: str) -> str:
    found = re.search(rf'<section class="who" data-artisan="{artisan}">(.*?)</section>', body, re.S)
    assert found, artisan
    return found.group(1)


def test_the_page_needs_the_coordinator_sign_in_and_returns_to_it(app, client, reviewer):
    demo_training(app)
    asked = client.get(f"{PAGE}?lang=fr")
    form, body = page(asked), asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'action="/review/sign-in"' in body
    assert "Photographier son produit" not in body and "Formations" in body
    assert form.hidden["back"] == PAGE
    phone, secret = DEMO["coordinator"]
    signed = client.post(
        "/review/sign-in",
        data={"csrf": form.hidden["csrf"], "back": PAGE, "phone": phone, **secret},
    )
    assert signed.status_code == 303 and signed.headers["Location"] == PAGE
    assert "Photographier son produit" in client.get(PAGE).get_data(as_text=True)


def test_a_coordinator_sees_her_artisans_progress(app, client, reviewer):
    demo_training(app)
    reviewer.sign_in("coordinator")
    response = client.get(f"{PAGE}?lang=en")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert f'data-course="{COURSE}"' in body and "argan-oil" not in body  # not hers
    fatima = _section(body, "art_fatima")
    assert "فاطمة أيت علي" in fatima
    assert '<bdi dir="ltr">2/2</bdi>' in fatima
    assert "100\u00a0%" in fatima and "passed" in fatima
    assert 'name="artisan" value="art_fatima"' in fatima  # her practical, to attest
    khadija = _section(body, "art_khadija")
    assert '<bdi dir="ltr">1/2</bdi>' in khadija and "not taken yet" in khadija
    assert "started by 2" in body


def test_another_cooperatives_coordinator_sees_the_course_once_offered(app, client, reviewer):
    demo_training(app)
    reviewer.sign_in("coordinator2")
    body = client.get(f"{PAGE}?lang=fr").get_data(as_text=True)
    # Her own draft; Taza's published course is not offered to her cooperatives.
    assert 'data-course="course:argan-oil"' in body and f'data-course="{COURSE}"' not in body
    assert "art_fatima" not in body


def test_a_practical_attested_on_the_page_issues_the_certificate(app, client, reviewer):
    demo_training(app)
    reviewer.sign_in("coordinator")
    csrf = reviewer.csrf()
    refused = client.post(
        ATTEST, data={"csrf": "forged", "course_id": COURSE, "artisan": "art_fatima"}
    )
    assert refused.status_code == 400
    done = client.post(
        ATTEST,
        data={"csrf": csrf, "course_id": COURSE, "artisan": "art_fatima", "note": "Un tapis net"},
    )
    assert done.status_code == 303
    assert done.headers["Location"] == f"{PAGE}?course=course%3Aphoto-basics#c-photo-basics"
    back = done.headers["Location"].partition("#")[0]
    body = client.get(back + "&lang=fr").get_data(as_text=True)
    assert "son certificat est délivré" in body
    fatima = _section(body, "art_fatima")
    [code] = re.findall(r'href="/v/([0-9A-Z-]+)"', fatima)
    assert "attestée" in fatima and 'name="artisan"' not in fatima
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    try:
        row = db.execute(
            "SELECT attested_by, note FROM practical_attestations WHERE artisan_id = 'art_fatima'"
        ).fetchone()
        assert tuple(row) == ("coo_naima", "Un tapis net")
        assert db.execute("SELECT code FROM certificates").fetchone()[0] == code
    finally:
        db.close()


def test_an_attestation_not_hers_to_give_writes_nothing(app, client, reviewer):
    demo_training(app)
    reviewer.sign_in("coordinator2")
    done = client.post(
        ATTEST, data={"csrf": reviewer.csrf(), "course_id": COURSE, "artisan": "art_fatima"}
    )
    assert done.status_code == 303
    body = client.get(f"{PAGE}?lang=en").get_data(as_text=True)
    assert "could not be attested" in body
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    try:
        assert db.execute("SELECT count(*) FROM practical_attestations").fetchone()[0] == 0
    finally:
        db.close()


def test_arabic_is_right_to_left_and_french_left_to_right(app, client, reviewer):
    demo_training(app)
    reviewer.sign_in("coordinator")
    arabic = client.get(f"{PAGE}?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic and "التكوين" in arabic
    assert "المصادقة على التطبيق العملي" in arabic
    french = client.get(f"{PAGE}?lang=fr").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in french and "Attester la pratique" in french
    assert len(arabic.encode()) < 50_000


def test_an_empty_page_says_so(client, reviewer):
    reviewer.sign_in("coordinator")
    body = client.get(f"{PAGE}?lang=en").get_data(as_text=True)
    assert 'id="no-courses"' in body
