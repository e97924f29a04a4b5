"""Lessons' files: trainers' voice clips through tus (real type, duration, bitrate, tags
stripped, budgets, nothing kept on refusal), a lesson picture's media object, /media
Range on clips and the course bundle (one tar, the same bytes per revision, resumable,
only to whom the course is offered), with requests against a live server for Range."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
import requests
from mutagen import File as AudioFile

from api.services import media
from schemas.training import Media
from tests.support import images
from tests.support.apps import Auth, make_app
from tests.support.training import COURSE, course
from tests.support.uploads import CHUNK, TUS, fetch
from tests.support.uploads import upload as upload_photo

CLIPS = Path(__file__).resolve().parents[2] / "seed" / "media"
OPUS = (CLIPS / "voice.opus").read_bytes()
MP3 = (CLIPS / "voice.mp3").read_bytes()
M4A = (CLIPS / "voice.m4a").read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload(client, headers, data: bytes, filename: str, **metadata: str):
    """One tus request: creation-with-upload of the whole file."""
    return client.post(
        "/api/v1/uploads",
        data=data,
        headers={**headers, **TUS, **CHUNK, "Upload-Length": str(len(data)),
                 "Upload-Metadata": images.metadata_header(data, filename=filename,
                                                           **metadata)},
    )  # fmt: skip


def described(client, headers, data: bytes) -> dict:
    response = client.get(f"/api/v1/lesson-media/{sha(data)}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def media_root(app) -> Path:
    return Path(app.extensions["hirfa"].settings.media_dir)


def assert_nothing_kept(app) -> None:
    """No media folder, no partial file, no work directory, no upload row."""
    root = media_root(app)
    assert [p for p in root.glob("??/*") if p.is_dir()] == []
    assert list((root / "uploads").glob("*")) == []
    assert list((root / ".tmp").glob("*")) == []
    db = app.extensions["hirfa"].open_db()
    try:
        assert db.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0
    finally:
        db.close()


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    return error


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "codec", "duration_ms"),
    [
        (OPUS, "voice.ogg", "audio/ogg", "opus", 8000),
        (MP3, "voice.mp3", "audio/mpeg", "mp3", 5000),
        (M4A, "voice.m4a", "audio/mp4", "mp4a.40.2", 5064),
    ],
)
def test_a_trainer_uploads_a_clip_and_gets_the_steps_media(
    app, client, auth, data, filename, content_type, codec, duration_ms
):
    headers = auth.headers("coordinator")
    response = upload(client, headers, data, filename)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Upload-Offset"] == str(len(data))
    assert f"/api/v1/lesson-media/{sha(data)}" in response.headers["Link"]

    found = described(client, headers, data)
    step_media = found["media"]
    assert found["kind"] == "audio" and found["codec"] == codec
    assert step_media["sha256"] == sha(data) and step_media["content_type"] == content_type
    assert abs(step_media["duration_ms"] - duration_ms) <= 100
    assert 16_000 <= found["bitrate"] <= 64_000
    Media().load(step_media)  # exactly what a step's media is: no field too many

    stored = next((media_root(app) / sha(data)[:2] / sha(data)).glob("audio.*"))
    clip = stored.read_bytes()
    assert step_media["bytes"] == len(clip) < len(data)  # the tags are gone
    assert b"Taza" not in clip and b"Hirfa test" not in clip
    assert found["content_sha256"] == sha(clip)
    assert not dict(AudioFile(stored).tags or {})


def test_the_same_clip_twice_is_stored_once(client, auth):
    headers = auth.headers("admin")
    assert upload(client, headers, OPUS, "a.ogg").status_code == 201
    first = described(client, headers, OPUS)
    assert upload(client, headers, OPUS, "b.ogg").status_code == 201
    assert described(client, headers, OPUS) == first


def test_a_text_file_named_ogg_is_refused_and_nothing_is_kept(app, client, auth):
    text = "Ceci n'est pas une voix. " * 200
    response = upload(client, auth.headers("coordinator"), text.encode(), "lecon.ogg")
    error = refused(response, 415, "unsupported_audio_type")
    assert "Opus" in error["message"] and error["details"]["accepted"]
    assert_nothing_kept(app)


def test_a_damaged_clip_is_refused_and_nothing_is_kept(app, client, auth):
    damaged = OPUS[:200]  # the headers of an Ogg Opus file, then nothing
    refused(upload(client, auth.headers("coordinator"), damaged, "x.ogg"), 422, "audio_unreadable")
    assert_nothing_kept(app)


def test_an_artisan_cannot_upload_a_clip(app, client, auth):
    response = upload(client, auth.headers("artisan"), OPUS, "voice.ogg")
    refused(response, 415, "unsupported_image_type")
    assert_nothing_kept(app)


@pytest.fixture
def tight_app(tmp_path):
    return make_app(tmp_path, audio_max_bytes=40_000)


def test_a_clip_over_the_byte_budget_is_refused_and_nothing_is_kept(tight_app):
    client = tight_app.test_client()
    headers = Auth(client).headers("coordinator")
    # Not declared as audio (no audio name or type): refused once its bytes are read.
    error = refused(upload(client, headers, OPUS, "clip.bin"), 413, "audio_too_large")
    assert error["details"] == {"bytes": len(OPUS), "max_bytes": 40_000}
    assert_nothing_kept(tight_app)
    # Declared as audio: refused before a byte travels, no upload is created.
    response = client.post(
        "/api/v1/uploads",
        headers={**headers, **TUS, "Upload-Length": str(len(OPUS)),
                 "Upload-Metadata": images.metadata_header(OPUS, filename="voice.ogg")},
    )  # fmt: skip
    refused(response, 413, "audio_too_large")
    assert "Location" not in response.headers
    assert_nothing_kept(tight_app)


def test_a_clip_over_the_length_budget_is_refused_and_nothing_is_kept(tmp_path):
    app = make_app(tmp_path, audio_max_seconds=3)
    client = app.test_client()
    response = upload(client, Auth(client).headers("coordinator"), MP3, "voice.mp3")
    error = refused(response, 422, "audio_too_long")
    assert error["details"] == {"duration_ms": 5000, "max_seconds": 3}
    assert_nothing_kept(app)


def test_a_lesson_picture_is_the_display_webp(app, client, auth):
    photo = images.jpeg((1600, 1200), seed=21)
    headers = auth.headers("coordinator")
    assert upload_photo(client, headers, photo).status_code == 201
    found = described(client, headers, photo)
    display = media.load(media_root(app), sha(photo)).variants["display.webp"]
    assert found["kind"] == "picture" and found["url"] == f"/media/{sha(photo)}/display"
    assert found["media"] == {
        "sha256": sha(photo),
        "bytes": display["bytes"],
        "content_type": "image/webp",
    }
    assert (found["width"], found["height"]) == (1280, 960)


def test_lesson_media_is_for_trainers_and_404_for_an_unknown_hash(client, auth):
    assert client.get(f"/api/v1/lesson-media/{sha(OPUS)}",
                      headers=auth.headers("artisan")).status_code == 403  # fmt: skip
    refused(client.get(f"/api/v1/lesson-media/{sha(b'x')}", headers=auth.headers("admin")),
            404, "not_found")  # fmt: skip


def test_a_photo_document_naming_a_clip_stays_pending(app, client, auth):
    assert upload(client, auth.headers("coordinator"), OPUS, "v.ogg").status_code == 201
    response = client.post(
        "/api/v1/photos", json={"sha256": sha(OPUS)}, headers=auth.headers("artisan")
    )
    assert response.status_code == 201 and response.get_json()["status"] == "pending"
    assert fetch(client, f"/media/{sha(OPUS)}/thumb").status_code == 404


# --- /media Range, over real HTTP ------------------------------------------------------


def test_a_clip_resumes_with_range_over_http(live_server):
    client = live_server.app.test_client()
    assert upload(client, live_server.headers("coordinator"), OPUS, "v.ogg").status_code == 201
    url = f"{live_server.url}/media/{sha(OPUS)}/audio"
    full = requests.get(url, timeout=10)
    assert full.status_code == 200 and full.headers["Content-Type"] == "audio/ogg"
    assert full.headers["Accept-Ranges"] == "bytes"
    assert full.content.startswith(b"OggS") and b"Taza" not in full.content
    cut = 20_000  # the connection dropped there
    rest = requests.get(
        url, headers={"Range": f"bytes={cut}-", "If-Range": full.headers["ETag"]}, timeout=10
    )
    assert rest.status_code == 206
    assert (
        rest.headers["Content-Range"] == f"bytes {cut}-{len(full.content) - 1}/{len(full.content)}"
    )
    assert full.content[:cut] + rest.content == full.content
    stale = requests.get(url, headers={"Range": f"bytes={cut}-", "If-Range": '"other"'}, timeout=10)
    assert stale.status_code == 200 and stale.content == full.content
    assert (
        requests.get(f"{live_server.url}/media/{sha(b'none')}/audio", timeout=10).status_code == 404
    )


# --- the course bundle ----------------------------------------------------------------


def course_with_media(pictures: list[dict], clip: dict, **fields) -> dict:
    doc = course(**fields)
    doc["lessons"][0]["steps"] += [{"kind": "picture", "media": m} for m in pictures[:2]]
    doc["lessons"][1]["steps"] += [
        {"kind": "audio", "text": {"fr": "Écoutez"}, "media": clip},
        {"kind": "picture", "media": pictures[-1]},
        {"kind": "picture", "media": pictures[0]},  # named twice: carried once
    ]
    return doc


def put_course(app, doc: dict) -> None:
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    try:
        store = hirfa.store(db)
        existing = store.row(doc["_id"])
        if existing is not None and not existing.deleted:
            doc = {**doc, "_rev": store.get_doc(doc["_id"])["_rev"]}
        store.put(doc)
    finally:
        db.close()


@pytest.fixture
def bundled(live_server):
    """The live server with a course of three pictures and a clip, uploaded by its
    coordinator."""
    client = live_server.app.test_client()
    headers = live_server.headers("coordinator")
    photos = [images.jpeg((900, 700), seed=s) for s in (31, 32, 33)]
    for photo in photos:
        assert upload_photo(client, headers, photo).status_code == 201
    assert upload(client, headers, OPUS, "v.ogg").status_code == 201
    found = [described(client, headers, data)["media"] for data in (*photos, OPUS)]
    put_course(live_server.app, course_with_media(found[:3], found[3]))
    return live_server, found


def members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def test_the_bundle_is_the_course_and_its_files_and_resumes(bundled):
    server, found = bundled
    url = f"{server.url}/api/v1/courses/{COURSE}/bundle"
    headers = server.headers("artisan")
    full = requests.get(url, headers=headers, timeout=10)
    assert full.status_code == 200 and full.headers["Content-Type"] == "application/x-tar"
    assert full.headers["ETag"] == f'"{sha(full.content)}"'
    assert full.headers["Accept-Ranges"] == "bytes"
    inside = members(full.content)
    names = list(inside)
    assert names[:2] == ["bundle.json", "course.json"]
    manifest = json.loads(inside["bundle.json"])
    document = json.loads(inside["course.json"])
    assert document["_id"] == COURSE and document["_rev"] == full.headers["Hirfa-Course-Rev"]
    assert manifest["rev"] == document["_rev"] and manifest["missing"] == []
    # each file once, in the order the lessons first name them, with the media's bytes
    expected = [found[0], found[1], found[3], found[2]]
    assert [f["sha256"] for f in manifest["files"]] == [m["sha256"] for m in expected]
    for entry, step_media in zip(manifest["files"], expected, strict=True):
        assert len(inside[entry["path"]]) == step_media["bytes"] == entry["bytes"]
    clip = next(f for f in manifest["files"] if f["kind"] == "audio")
    assert inside[clip["path"]].startswith(b"OggS") and clip["duration_ms"] == 8000
    # The same revision: the same bytes. A cut download resumes where it stopped.
    again = requests.get(url, headers=headers, timeout=10)
    assert again.content == full.content and again.headers["ETag"] == full.headers["ETag"]
    cut = len(full.content) // 3
    rest = requests.get(
        url, headers={**headers, "Range": f"bytes={cut}-", "If-Range": full.headers["ETag"]},
        timeout=10,
    )  # fmt: skip
    assert rest.status_code == 206 and full.content[:cut] + rest.content == full.content
    unchanged = requests.get(
        url, headers={**headers, "If-None-Match": full.headers["ETag"]}, timeout=10
    )
    assert unchanged.status_code == 304
    # A partial file longer than the bundle is not of this bundle: it comes whole.
    past = requests.get(
        url, headers={**headers, "Range": f"bytes={len(full.content)}-"}, timeout=10
    )
    assert past.status_code == 200 and past.content == full.content


def test_a_new_revision_is_a_new_bundle_and_if_range_sends_it_whole(bundled):
    server, found = bundled
    url = f"{server.url}/api/v1/courses/{COURSE}/bundle"
    headers = server.headers("coordinator")
    first = requests.get(url, headers=headers, timeout=10)
    doc = json.loads(members(first.content)["course.json"])
    doc["hours"] = 4
    put_course(server.app, doc)
    resumed = requests.get(
        url, headers={**headers, "Range": "bytes=1000-", "If-Range": first.headers["ETag"]},
        timeout=10,
    )  # fmt: skip
    assert resumed.status_code == 200 and resumed.headers["ETag"] != first.headers["ETag"]
    assert json.loads(members(resumed.content)["course.json"])["hours"] == 4
    bundles = list((media_root(server.app) / "bundles").glob("*/*.tar"))
    assert len(bundles) == 1  # the older revision's bundle was removed


def test_the_bundle_only_to_whom_the_course_is_offered(bundled):
    server, _ = bundled
    url = f"{server.url}/api/v1/courses/{COURSE}/bundle"
    other = requests.get(url, headers=server.headers("artisan_other_coop"), timeout=10)
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    assert requests.get(url, headers=server.headers("buyer"), timeout=10).status_code == 403
    assert requests.get(url, timeout=10).status_code == 401
    for who in ("artisan", "coordinator2", "admin"):
        assert requests.get(url, headers=server.headers(who), timeout=10).status_code == 200
    by_code = f"{server.url}/api/v1/courses/photo-basics/bundle"
    assert requests.get(by_code, headers=server.headers("artisan"), timeout=10).status_code == 200


def test_a_draft_course_is_not_bundled_for_artisans(app, client, auth):
    put_course(app, course(status="draft"))
    url = f"/api/v1/courses/{COURSE}/bundle"
    refused(client.get(url, headers=auth.headers("artisan")), 404, "not_found")
    response = client.get(url, headers=auth.headers("coordinator"))
    assert response.status_code == 200
    assert json.loads(members(response.get_data())["bundle.json"])["files"] == []
    response.close()


def test_media_not_uploaded_yet_are_listed_as_missing(app, client, auth):
    absent = {"sha256": "ab" * 32, "bytes": 100, "content_type": "image/webp"}
    put_course(app, course_with_media([absent], {**absent, "content_type": "audio/ogg"}))
    response = client.get(f"/api/v1/courses/{COURSE}/bundle", headers=auth.headers("artisan"))
    assert response.status_code == 200
    assert json.loads(members(response.get_data())["bundle.json"])["missing"] == ["ab" * 32]
    response.close()
