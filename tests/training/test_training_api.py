"""Training over REST: courses written with If-Match whose answer key never reaches a
document or a phone, lessons held to their download budget, offers to cooperatives,
attested practicals that issue certificates, progress reports, revocation, and every bad
input refused with its stable code."""

from __future__ import annotations

import pytest

from tests.support.training import KEY, TAZA, course

COURSES = "/api/v1/courses"
COURSE = "course:photo-basics"
ESSAOUIRA = "coop-essaouira-argan"


def body(**fields) -> dict:
    """A course as a REST client sends it: the document's fields without the server's,
    each assessment question with its answer."""
    doc = course()
    for name in ("_id", "type", "cooperative", "author"):
        doc.pop(name)
    questions = [{**q, "answer": KEY[q["id"]]} for q in doc["assessment"]["questions"]]
    doc["assessment"] = {**doc["assessment"], "questions": questions}
    return {"code": "photo-basics", **doc, **fields}


def _error(response, status, code):
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code, response.get_json()
    return response.get_json()["error"]


@pytest.fixture
def created(client, auth):
    response = client.post(COURSES, json=body(), headers=auth.headers("coordinator"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _stored(app, doc_id: str = COURSE) -> dict:
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    try:
        return hirfa.store(db).winner_body(doc_id)
    finally:
        db.close()


def _url(doc_id: str = COURSE, tail: str = "") -> str:
    return f"{COURSES}/{doc_id}{tail}"


def _answer(client, auth, answers, who="artisan"):
    return client.put(
        _url(tail="/assessment"), json={"answers": answers}, headers=auth.headers(who)
    )


def _progress(client, auth, lessons=("light", "background"), who="artisan"):
    """Her phone's progress document, pushed over /sync as PouchDB would."""
    artisan = {"artisan": "art_fatima", "artisan2": "art_khadija"}[who]
    doc = {
        "_id": f"progress:photo-basics:{artisan}",
        "type": "progress",
        "owner": artisan,
        "cooperative": TAZA,
        "course": COURSE,
        "steps_seen": ["light/0", "background/0"],
        "lessons_done": list(lessons),
        "quiz_scores": {"background": 100},
    }
    response = client.post(
        "/sync/hirfa/_bulk_docs", json={"docs": [doc]}, headers=auth.headers(who)
    )
    assert response.status_code == 201 and response.get_json()[0].get("ok"), response.get_json()


# Courses


def test_a_coordinator_creates_reads_and_edits_a_course_the_key_kept_apart(
    app, client, auth, created
):
    coordinator = auth.headers("coordinator")
    assert created["id"] == COURSE and created["author"] == "coo_naima"
    assert created["cooperative"] == TAZA and created["answer_key"] is True
    assert [q["answer"] for q in created["assessment"]["questions"]] == ["a", "b"]
    assert created["lesson_budget_bytes"] == 400_000
    assert [lesson["download_bytes"] for lesson in created["lessons"]] == [0, 0]
    # The document phones replicate has no answer in its assessment.
    stored = _stored(app)
    assert all("answer" not in q for q in stored["assessment"]["questions"])
    assert stored["lessons"][1]["quiz"]["questions"][0]["answer"] == "a"  # practice: kept
    # The artisan's GET (what her phone shows) has none either.
    seen = client.get(_url(), headers=auth.headers("artisan"))
    assert seen.status_code == 200 and seen.get_json()["answer_key"] is False
    assert all("answer" not in q for q in seen.get_json()["assessment"]["questions"])
    # Another cooperative's coordinator sees the published course, not its key.
    other = client.get(_url(), headers=auth.headers("coordinator2")).get_json()
    assert other["answer_key"] is False
    assert all("answer" not in q for q in other["assessment"]["questions"])
    # Edit with If-Match: a GET round-trips into PUT.
    got = client.get(_url(), headers=coordinator)
    assert got.headers["ETag"] == f'"{created["rev"]}"'
    edit = {k: v for k, v in got.get_json().items() if k in body()}
    edit.pop("code")
    for lesson in edit["lessons"]:
        lesson.pop("download_bytes")
    edit["assessment"]["questions"][1]["answer"] = "a"
    _error(client.put(_url(), json=edit, headers=coordinator), 428, "precondition_required")
    stale = client.put(_url(), json=edit, headers={**coordinator, "If-Match": '"1-stale"'})
    assert _error(stale, 412, "precondition_failed")["details"]["current"]["rev"] == created["rev"]
    done = client.put(_url(), json=edit, headers={**coordinator, "If-Match": f'"{created["rev"]}"'})
    assert done.status_code == 200, done.get_json()
    assert done.headers["ETag"] == f'"{done.get_json()["rev"]}"'
    assert [q["answer"] for q in done.get_json()["assessment"]["questions"]] == ["a", "a"]
    assert all("answer" not in q for q in _stored(app)["assessment"]["questions"])
    # Another cooperative's coordinator may not edit it; an artisan may not write at all.
    rev = {"If-Match": done.get_json()["rev"]}
    not_hers = client.put(_url(), json=edit, headers={**auth.headers("coordinator2"), **rev})
    _error(not_hers, 403, "not_your_course")
    _error(
        client.put(_url(), json=edit, headers={**auth.headers("artisan"), **rev}), 403, "forbidden"
    )
    _error(
        client.post(COURSES, json=body(code="mine"), headers=auth.headers("artisan")),
        403,
        "forbidden",
    )
    _error(client.post(COURSES, json=body(), headers=coordinator), 409, "course_exists")


def test_who_sees_which_course(client, auth, created):
    def listed(who, **params):
        response = client.get(COURSES, query_string=params, headers=auth.headers(who))
        assert response.status_code == 200, response.get_json()
        return [c["id"] for c in response.get_json()["items"]]

    draft = client.post(
        COURSES, json=body(code="draft-one", status="draft"), headers=auth.headers("coordinator")
    )
    assert draft.status_code == 201, draft.get_json()
    assert listed("coordinator") == ["course:draft-one", COURSE]
    assert listed("coordinator", status="draft") == ["course:draft-one"]
    assert listed("coordinator2") == [COURSE]  # published: to choose from; not the draft
    assert listed("artisan") == [COURSE]  # offered to her cooperative
    assert listed("artisan_other_coop") == []
    assert listed("admin") == ["course:draft-one", COURSE]
    _error(client.get(_url("course:draft-one"), headers=auth.headers("artisan")), 404, "not_found")
    _error(
        client.get(COURSES + "?status=gone", headers=auth.headers("artisan")), 400, "bad_request"
    )


def test_an_admin_writes_a_partners_course_and_offers_it_to_everyone(client, auth):
    admin = auth.headers("admin")
    made = client.post(
        COURSES,
        json=body(code="partner", cooperative=None, offered_to=[]),
        headers=admin,
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["cooperative"] is None and made.get_json()["answer_key"] is True
    url = _url("course:partner", "/offers/*")
    assert client.put(url, headers=admin).get_json()["offered_to"] == ["*"]
    zahra = client.get(COURSES, headers=auth.headers("artisan_other_coop")).get_json()
    assert [c["id"] for c in zahra["items"]] == ["course:partner"]
    # A coordinator may neither offer to everyone nor see its key.
    _error(client.put(url, headers=auth.headers("coordinator")), 403, "not_your_cooperative")
    seen = client.get(_url("course:partner"), headers=auth.headers("coordinator")).get_json()
    assert seen["answer_key"] is False


def test_a_lesson_over_budget_is_refused_naming_it(app, client, auth):
    app.extensions["hirfa"].settings.lesson_budget_bytes = 50_000
    clip = {"sha256": "ab" * 32, "bytes": 30_000, "content_type": "audio/ogg"}
    heavy = body()
    heavy["lessons"][1]["steps"] += [
        {"kind": "audio", "media": clip},
        {"kind": "picture", "media": clip},
    ]
    refused = client.post(COURSES, json=heavy, headers=auth.headers("coordinator"))
    error = _error(refused, 400, "lesson_over_budget")
    assert error["details"] == {"lesson": "background", "bytes": 60_000, "budget": 50_000}
    assert _stored(app) is None
    heavy["lessons"][1]["steps"].pop()
    made = client.post(COURSES, json=heavy, headers=auth.headers("coordinator")).get_json()
    assert [lesson["download_bytes"] for lesson in made["lessons"]] == [0, 30_000]
    assert made["download_bytes"] == 30_000 and made["lesson_budget_bytes"] == 50_000


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"assessment": {"pass_mark": 70, "questions": [
            {**body()["assessment"]["questions"][0], "answer": "z"}]}}, 400, "answer_not_a_choice"),
        ({"assessment": {"pass_mark": 70, "questions": [
            {k: v for k, v in body()["assessment"]["questions"][0].items() if k != "answer"}]}},
         400, "validation_error"),
        ({"cooperative": ESSAOUIRA}, 403, "not_your_cooperative"),
        ({"offered_to": ["*"]}, 403, "forbidden"),
        ({"code": "Not A Code"}, 400, "validation_error"),
        ({"practical": {"required": "yes"}}, 400, "validation_error"),
    ],
)  # fmt: skip
def test_bad_courses_are_refused_and_nothing_is_written(app, client, auth, change, status, code):
    response = client.post(COURSES, json=body(**change), headers=auth.headers("coordinator"))
    _error(response, status, code)
    assert _stored(app) is None
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    assert db.execute("SELECT count(*) FROM assessment_keys").fetchone()[0] == 0
    db.close()


# Offers


def test_a_coordinator_offers_and_withdraws_a_course_for_her_cooperatives(client, auth, created):
    rachid = auth.headers("coordinator2")  # coordinates Essaouira and Marrakech
    zahra = auth.headers("artisan_other_coop")  # an artisan of Essaouira
    assert client.get(_url(), headers=zahra).status_code == 404
    offered = client.put(_url(tail=f"/offers/{ESSAOUIRA}"), headers=rachid)
    assert offered.status_code == 200, offered.get_json()
    assert offered.get_json()["offered_to"] == [TAZA, ESSAOUIRA]
    assert offered.get_json()["title"] == created["title"]  # the rest is Taza's, untouched
    assert [c["id"] for c in client.get(COURSES, headers=zahra).get_json()["items"]] == [COURSE]
    again = client.put(_url(tail=f"/offers/{ESSAOUIRA}"), headers=rachid)
    assert again.get_json()["rev"] == offered.get_json()["rev"]  # nothing changed
    # Not her cooperative: Taza is Naima's.
    _error(client.delete(_url(tail=f"/offers/{TAZA}"), headers=rachid), 403, "not_your_cooperative")
    withdrawn = client.delete(_url(tail=f"/offers/{ESSAOUIRA}"), headers=rachid)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["offered_to"] == [TAZA]
    assert client.get(COURSES, headers=zahra).get_json()["items"] == []
    # Only a published course is offered.
    draft = client.post(
        COURSES, json=body(code="later", status="draft", offered_to=[]),
        headers=auth.headers("coordinator"),
    )  # fmt: skip
    assert draft.status_code == 201
    late = client.put(_url("course:later", f"/offers/{TAZA}"), headers=auth.headers("coordinator"))
    _error(late, 409, "course_not_published")
    _error(
        client.put(_url("course:nope", f"/offers/{ESSAOUIRA}"), headers=rachid), 404, "not_found"
    )
    _error(
        client.put(_url(tail=f"/offers/{TAZA}"), headers=auth.headers("artisan")), 403, "forbidden"
    )


# The assessment, practicals, certificates


def test_answers_over_rest_are_graded_and_a_practical_attested_issues_the_certificate(client, auth):
    coordinator = auth.headers("coordinator")
    practical = {"required": True, "description": {"fr": "Photographier un tapis"}}
    made = client.post(COURSES, json=body(practical=practical), headers=coordinator)
    assert made.status_code == 201, made.get_json()
    _progress(client, auth)
    _error(_answer(client, auth, {"q9": "a"}), 400, "unknown_question")
    _error(_answer(client, auth, {"q1": "z"}), 400, "unknown_choice")
    half = _answer(client, auth, {"q1": "a"})
    assert half.status_code == 200, half.get_json()
    assert half.get_json()["assessment"] == {"score": 50, "passed": False}
    passed = _answer(client, auth, {"q2": "b"}).get_json()  # q1's answer is kept
    assert passed["assessment"] == {"score": 100, "passed": True}
    assert passed["certificate"] is None
    assert passed["missing"] == ["the practical, attested by a trainer"]
    # Another cooperative's coordinator is not her trainer; an artisan attests nothing.
    attest = {"artisan": "art_fatima", "note": "Un tapis net, bien éclairé"}
    url = _url(tail="/attestations")
    _error(
        client.post(url, json=attest, headers=auth.headers("coordinator2")), 403, "not_her_trainer"
    )
    _error(client.post(url, json=attest, headers=auth.headers("artisan")), 403, "forbidden")
    _error(
        client.post(url, json={"artisan": "nobody"}, headers=coordinator), 404, "unknown_artisan"
    )
    done = client.post(url, json=attest, headers=coordinator)
    assert done.status_code == 201, done.get_json()
    found = done.get_json()
    assert found["attested_by"] == "coo_naima" and found["note"] == attest["note"]
    code = found["certificate"]
    assert code and found["missing"] == []
    # Her certificates, and her cooperative's.
    mine = client.get("/api/v1/certificates", headers=auth.headers("artisan")).get_json()
    assert [c["code"] for c in mine["items"]] == [code]
    assert mine["items"][0]["verify_url"] == f"/v/{code}"
    assert mine["items"][0]["course_title"]["fr"] == "Photographier son produit"
    theirs = client.get("/api/v1/certificates", headers=coordinator).get_json()
    assert [c["code"] for c in theirs["items"]] == [code]
    other = client.get("/api/v1/certificates", headers=auth.headers("coordinator2")).get_json()
    assert other["items"] == []
    assert client.get("/api/v1/certificates", headers=auth.headers("artisan2")).get_json() == {
        "items": []
    }


def test_an_attestation_before_the_lessons_waits_for_them(client, auth):
    practical = {"required": True}
    made = client.post(COURSES, json=body(practical=practical), headers=auth.headers("coordinator"))
    assert made.status_code == 201
    url = _url(tail="/attestations")
    first = client.post(url, json={"artisan": "art_fatima"}, headers=auth.headers("coordinator"))
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["certificate"] is None
    assert first.get_json()["missing"] == [
        "lessons: light, background",
        "the final assessment",
    ]
    # The first attestation stands.
    again = client.post(
        url, json={"artisan": "art_fatima", "note": "x"}, headers=auth.headers("admin")
    )
    assert again.get_json()["attested_by"] == "coo_naima" and again.get_json()["note"] is None
    _progress(client, auth)
    answered = _answer(client, auth, KEY).get_json()
    assert answered["certificate"] and answered["missing"] == []


def test_no_practical_no_attestation(client, auth, created):
    response = client.post(
        _url(tail="/attestations"), json={"artisan": "art_fatima"},
        headers=auth.headers("coordinator"),
    )  # fmt: skip
    _error(response, 409, "no_practical")


def test_progress_reports_for_trainers_and_herself(client, auth, created):
    _progress(client, auth)
    _progress(client, auth, lessons=("light",), who="artisan2")
    assert _answer(client, auth, {"q1": "a", "q2": "a"}).status_code == 200
    report = client.get(_url(tail="/progress"), headers=auth.headers("coordinator"))
    assert report.status_code == 200, report.get_json()
    rows = {r["artisan"]: r for r in report.get_json()["items"]}
    assert set(rows) == {"art_fatima", "art_khadija"}
    fatima = rows["art_fatima"]
    assert (fatima["steps_seen"], fatima["steps_total"]) == (2, 2)
    assert (fatima["lessons_done"], fatima["lessons_total"]) == (["light", "background"], 2)
    assert fatima["quiz_scores"] == {"background": 100}
    assert fatima["assessment"] == {"score": 50, "passed": False}
    assert fatima["certificate"] is None and fatima["missing"] == ["the final assessment"]
    assert fatima["name"] == "فاطمة أيت علي"
    khadija = rows["art_khadija"]
    assert khadija["assessment"] is None and khadija["lessons_done"] == ["light"]
    # Another cooperative's coordinator sees none of Taza's artisans; an admin all.
    other = client.get(_url(tail="/progress"), headers=auth.headers("coordinator2")).get_json()
    assert other["items"] == []
    everyone = client.get(_url(tail="/progress"), headers=auth.headers("admin")).get_json()
    assert len(everyone["items"]) == 2
    _error(client.get(_url(tail="/progress"), headers=auth.headers("artisan")), 403, "forbidden")
    # Hers: for herself and her coordinator; not for another artisan or coordinator.
    url = "/api/v1/artisans/art_fatima/progress"
    own = client.get(url, headers=auth.headers("artisan")).get_json()["items"]
    assert [(p["course"], p["assessment"]["score"]) for p in own] == [(COURSE, 50)]
    assert client.get(url, headers=auth.headers("coordinator")).get_json()["items"] == own
    _error(client.get(url, headers=auth.headers("artisan2")), 403, "forbidden")
    _error(client.get(url, headers=auth.headers("coordinator2")), 403, "not_her_trainer")
    _error(
        client.get("/api/v1/artisans/nobody/progress", headers=auth.headers("coordinator")),
        404,
        "unknown_artisan",
    )


def test_a_coordinator_of_its_cooperative_revokes_a_certificate(app, client, auth, created):
    _progress(client, auth)
    code = _answer(client, auth, KEY).get_json()["certificate"]
    assert code
    url = f"/api/v1/certificates/{code}/revoke"
    reason = {"reason": "Délivré par erreur"}
    _error(
        client.post(url, json=reason, headers=auth.headers("coordinator2")),
        403,
        "not_your_cooperative",
    )
    _error(client.post(url, json=reason, headers=auth.headers("artisan")), 403, "forbidden")
    _error(client.post(url, json={}, headers=auth.headers("coordinator")), 400, "validation_error")
    _error(
        client.post("/api/v1/certificates/0000-0000-00/revoke", json=reason,
                    headers=auth.headers("coordinator")),
        404, "unknown_certificate",
    )  # fmt: skip
    # Typed from paper: lower case and spaces are forgiven.
    typed = code.lower().replace("-", " ")
    done = client.post(
        f"/api/v1/certificates/{typed}/revoke", json=reason, headers=auth.headers("coordinator")
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["revoked_reason"] == reason["reason"] and done.get_json()["revoked_at"]
    again = client.post(url, json={"reason": "autre"}, headers=auth.headers("admin"))
    assert again.get_json()["revoked_reason"] == reason["reason"]  # the first stands
    assert _stored(app, f"certificate:{code}")["status"] == "revoked"
    report = client.get(_url(tail="/progress"), headers=auth.headers("coordinator")).get_json()
    assert report["items"][0]["certificate_revoked"] is True


def test_an_artisan_answers_only_what_is_offered_to_her(client, auth, created):
    _error(_answer(client, auth, KEY, who="artisan_other_coop"), 404, "not_found")
    _error(_answer(client, auth, KEY, who="coordinator"), 403, "forbidden")
    made = client.post(
        COURSES, json=body(code="no-test", assessment=None), headers=auth.headers("coordinator")
    )
    assert made.status_code == 201, made.get_json()
    response = client.put(
        _url("course:no-test", "/assessment"),
        json={"answers": KEY},
        headers=auth.headers("artisan"),
    )
    _error(response, 409, "no_assessment")
