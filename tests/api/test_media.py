"""The photo pipeline and /media: refusals leave nothing behind, served bytes carry no
metadata, orientation is applied, content is stored once, caching and Range work."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from api import create_app
from api.services import media
from seed import populate
from tests.support import images
from tests.support.apps import Auth, make_config
from tests.support.uploads import CHUNK, JPEG, TUS, WEBP, fetch, upload


def stored_dirs(app) -> list[Path]:
    root = Path(app.extensions["hirfa"].settings.media_dir)
    return [p for p in root.glob("??/*") if p.is_dir()]


def assert_nothing_kept(app) -> None:
    root = Path(app.extensions["hirfa"].settings.media_dir)
    assert stored_dirs(app) == []
    assert list((root / "uploads").iterdir()) == []
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
    assert response.headers["Tus-Resumable"] == "1.0.0"
    return error


def test_a_gif_is_refused_with_415(app, client, auth):
    error = refused(upload(client, auth.headers("artisan"), images.gif()), 415,
                    "unsupported_image_type")  # fmt: skip
    assert "GIF" in error["message"] and error["details"]["detected"] == "image/gif"
    assert_nothing_kept(app)


def test_a_text_file_named_jpg_is_refused_with_415(app, client, auth):
    text = b"Ceci n'est pas une photo.\n" * 40
    error = refused(upload(client, auth.headers("artisan"), text), 415, "unsupported_image_type")
    assert "JPEG, PNG and WebP" in error["message"] and error["details"]["detected"] is None
    assert_nothing_kept(app)


def test_a_decompression_bomb_is_refused(app, client, auth):
    bomb = images.png_bomb(100_000, 100_000)
    assert len(bomb) < 1024
    refused(upload(client, auth.headers("artisan"), bomb), 413, "image_too_large")
    assert_nothing_kept(app)


def test_more_pixels_than_the_configured_limit_is_refused(tmp_path):
    app = create_app(make_config(tmp_path, media_max_pixels=1_000_000))
    db = app.extensions["hirfa"].open_db()
    populate(db, app.extensions["hirfa"].hasher)
    db.close()
    client = app.test_client()
    error = refused(upload(client, Auth(client).headers("artisan"), images.png_bomb(2000, 1000)),
                    413, "image_too_large")  # fmt: skip
    assert error["details"] == {"width": 2000, "height": 1000, "max_pixels": 1_000_000}
    assert_nothing_kept(app)


def test_a_truncated_jpeg_is_refused_cleanly(app, client, auth):
    whole = images.jpeg((800, 600), seed=1)
    error = refused(upload(client, auth.headers("artisan"), whole[: len(whole) // 2]), 422,
                    "image_unreadable")  # fmt: skip
    assert "truncated" in error["details"]["reason"]
    assert_nothing_kept(app)


def test_bytes_that_do_not_match_the_declared_sha256_are_refused(app, client, auth):
    photo = images.jpeg(seed=2)
    error = refused(upload(client, auth.headers("artisan"), photo, declared=b"other"), 422,
                    "sha256_mismatch")  # fmt: skip
    assert error["details"]["received"] == images.sha256(photo)
    assert_nothing_kept(app)


def _variants(client, sha: str):
    for variant in ("thumb", "display"):
        for accept in (WEBP, JPEG):
            response = fetch(client, f"/media/{sha}/{variant}", headers=accept)
            assert response.status_code == 200
            yield variant, response


def test_no_served_variant_carries_exif_gps_xmp_or_comments(client, auth):
    photo = images.jpeg_with_gps()
    assert b"Exif" in photo and b"GPS" in photo and b"xmpmeta" in photo  # the test is real
    assert upload(client, auth.headers("artisan"), photo).status_code == 201
    served = list(_variants(client, images.sha256(photo)))
    assert {r.mimetype for _, r in served} == {"image/webp", "image/jpeg"}
    for _, response in served:
        body = response.data
        for marker in (b"Exif", b"GPS", b"xmpmeta", b"HirfaPhone", b"Douar"):
            assert marker not in body, (response.mimetype, marker)
        with Image.open(io.BytesIO(body)) as im:
            assert dict(im.getexif()) == {}
            assert not {"exif", "xmp", "comment", "icc_profile"} & set(im.info)


def test_orientation_is_applied(client, auth):
    photo = images.jpeg_with_gps(orientation=6)  # stored 400×300, shown rotated 90° cw
    assert upload(client, auth.headers("artisan"), photo).status_code == 201
    for _, response in _variants(client, images.sha256(photo)):
        with Image.open(io.BytesIO(response.data)) as im:
            rgb = im.convert("RGB")
            assert im.height > im.width  # landscape became portrait
            top, bottom = (
                rgb.getpixel((im.width // 2, 5)),
                rgb.getpixel((im.width // 2, im.height - 6)),
            )
            assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]  # left half is on top


def test_the_same_content_is_stored_once(app, client, auth):
    photo = images.jpeg(seed=3)
    assert upload(client, auth.headers("artisan"), photo).status_code == 201
    [folder] = stored_dirs(app)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert upload(client, auth.headers("artisan2"), photo).status_code == 201
    assert stored_dirs(app) == [folder]
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before  # not redone


def test_caching_conditional_get_and_range(client, auth):
    photo = images.jpeg((1600, 1200), seed=4)
    upload(client, auth.headers("artisan"), photo)
    url = f"/media/{images.sha256(photo)}/display"
    full = fetch(client, url, headers=WEBP)
    assert full.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert full.headers["Vary"] == "Accept" and full.headers["ETag"]
    assert fetch(client, url, headers=JPEG).headers["ETag"] != full.headers["ETag"]
    again = fetch(client, url, headers={**WEBP, "If-None-Match": full.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    part = fetch(client, url, headers={**WEBP, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == full.data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(full.data)}"


def test_derivative_sizes_and_alpha(client, auth):
    photo = images.png((2000, 1500), alpha=True)
    upload(client, auth.headers("artisan"), photo)
    sha = images.sha256(photo)
    thumb = fetch(client, f"/media/{sha}/thumb", headers=WEBP)
    with Image.open(io.BytesIO(thumb.data)) as im:
        assert im.size == (320, 240) and im.mode == "RGBA"  # WebP keeps the cut-out
    assert len(thumb.data) <= media.THUMB_BUDGET
    with Image.open(io.BytesIO(fetch(client, f"/media/{sha}/display", headers=JPEG).data)) as im:
        assert im.size == (1280, 960) and im.mode == "RGB"


@pytest.mark.parametrize(
    "path",
    ["/media/{sha}/original", "/media/{sha}/info.json", "/media/{sha}/..", "/media/nothex/thumb",
     "/media/" + "0" * 64 + "/thumb"],
)  # fmt: skip
def test_originals_and_unknown_paths_are_404(client, auth, path):
    photo = images.jpeg(seed=5)
    upload(client, auth.headers("artisan"), photo)
    response = fetch(client, path.format(sha=images.sha256(photo)))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_media_ready_callbacks_run_once_the_photo_is_stored(app, client, auth):
    seen = []

    def record(db, info):
        # Inside the completing transaction, on the request's connection.
        assert db.conn.in_transaction
        assert Path(info.variants["thumb.webp"]["path"]).is_file()
        seen.append(info)

    app.extensions["hirfa"].on_media_ready.append(record)
    photo = images.jpeg_with_gps(orientation=6)
    response = client.post(
        "/api/v1/uploads",
        data=photo,
        headers={**auth.headers("artisan"), **TUS, **CHUNK, "Upload-Length": str(len(photo)),
                 "Upload-Metadata": images.metadata_header(photo, photo_id="photo:abc")},
    )  # fmt: skip
    assert response.status_code == 201
    [info] = seen
    assert (info.sha256, info.width, info.height, info.photo_id) == (
        images.sha256(photo), 300, 400, "photo:abc",
    )  # fmt: skip
    assert info.variants["display.jpg"]["content_type"] == "image/jpeg"
    thumb = info.variants["thumb.webp"]
    assert (thumb["width"], thumb["height"]) == (240, 320)  # upright, long side 320


def test_a_failing_callback_fails_the_last_chunk_which_can_be_sent_again(app, client, auth):
    calls = []

    def flaky(db, info):
        calls.append(info.sha256)
        if len(calls) == 1:
            raise RuntimeError("photo documents unavailable")

    app.extensions["hirfa"].on_media_ready.append(flaky)
    photo = images.jpeg(seed=6)
    headers = {**auth.headers("artisan"), **TUS}
    location = client.post(
        "/api/v1/uploads",
        headers={**headers, "Upload-Length": str(len(photo)),
                 "Upload-Metadata": images.metadata_header(photo)},
    ).headers["Location"]  # fmt: skip
    last = {**headers, **CHUNK, "Upload-Offset": "0"}
    assert client.patch(location, headers=last, data=photo).status_code == 500
    assert client.head(location, headers=headers).headers["Upload-Offset"] == "0"
    assert client.patch(location, headers=last, data=photo).status_code == 204
    assert calls == [images.sha256(photo)] * 2


def test_the_pipeline_without_http_on_a_12_megapixel_jpeg(tmp_path):
    photo = tmp_path / "big.jpg"
    photo.write_bytes(images.jpeg((4000, 3000), seed=7, quality=80))
    info = media.ingest(photo, images.sha256(photo.read_bytes()), tmp_path / "media", 40_000_000)
    assert (info.width, info.height) == (4000, 3000)
    assert info.variants["display.webp"]["width"] == 1280
    assert info.variants["thumb.webp"]["bytes"] <= media.THUMB_BUDGET
