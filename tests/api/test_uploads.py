"""tus 1.0.0 uploads: tuspy (a real tus client) against a real HTTP server, plus the
protocol's edges with the Flask test client."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import os
import random
import socket
from pathlib import Path

import pytest
import requests
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError

from api import create_app
from seed import populate
from tests.support import images
from tests.support.apps import Auth, make_config

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = {"Content-Type": "application/offset+octet-stream"}


def tus_client(server, who: str = "artisan") -> TusClient:
    return TusClient(f"{server.url}/api/v1/uploads", headers=server.headers(who))


def uploader(client: TusClient, data: bytes, url: str | None = None, **options):
    return client.uploader(
        file_stream=io.BytesIO(data),
        url=url,
        metadata={"sha256": images.sha256(data), "filename": "tajine.jpg"},
        **options,
    )


def upload_row(app, upload_id: str) -> dict | None:
    db = app.extensions["hirfa"].open_db()
    try:
        rows = list(db.query("SELECT * FROM uploads WHERE id = ?", [upload_id]))
    finally:
        db.close()
    return rows[0] if rows else None


def media_dir(app) -> Path:
    return Path(app.extensions["hirfa"].settings.media_dir)


def part_file(app, url: str) -> Path:
    return media_dir(app) / "uploads" / f"{url.rsplit('/', 1)[1]}.part"


def test_resumes_after_cuts_at_random_offsets(live_server):
    data = images.jpeg((1200, 900), seed=1)
    rnd = random.Random(20261122)
    cuts = sorted(rnd.sample(range(1, len(data)), 5)) + [len(data)]
    client = tus_client(live_server)
    first = uploader(client, data, chunk_size=rnd.randrange(4_000, 40_000))
    first.upload(stop_at=cuts[0])
    url, held = first.url, cuts[0]
    for cut in cuts[1:]:
        # A new uploader knowing only the URL, as a phone after losing its connection:
        # it asks HEAD where to resume, and must hear exactly what was sent before.
        resumed = uploader(client, data, url=url, chunk_size=rnd.randrange(4_000, 40_000))
        assert resumed.offset == held
        resumed.upload(stop_at=cut)
        held = cut
    head = requests.head(url, headers={**client.headers, **TUS})
    assert head.headers["Upload-Offset"] == head.headers["Upload-Length"] == str(len(data))
    sha = hashlib.sha256(data).hexdigest()  # the server checked the same hash
    stored = media_dir(live_server.app) / sha[:2] / sha
    assert sorted(p.name for p in stored.iterdir()) == [
        "display.jpg", "display.webp", "info.json", "thumb.webp",
    ]  # fmt: skip
    assert not part_file(live_server.app, url).exists()
    assert upload_row(live_server.app, url.rsplit("/", 1)[1])["completed_at"] is not None


def _cut_mid_chunk(server, url: str, data: bytes, sent: int, headers: dict) -> int:
    """Send a PATCH whose body stops after ``sent`` bytes (the client's write side closes,
    as when a 2G link drops); returns the status the server answered with."""
    path = url.removeprefix(server.url)
    head = "".join(f"{k}: {v}\r\n" for k, v in {**headers, **TUS, **CHUNK}.items())
    request = (
        f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}Upload-Offset: 0\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request + data[:sent])
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_connection_cut_mid_chunk_keeps_the_bytes_that_arrived(live_server):
    data = images.jpeg((800, 600), seed=2)
    client = tus_client(live_server)
    up = uploader(client, data)
    up.set_url(up.create_url())
    status = _cut_mid_chunk(live_server, up.url, data, 20_000, client.headers)
    assert status == 400
    resumed = uploader(client, data, url=up.url)
    assert resumed.offset == 20_000
    resumed.upload()
    assert (media_dir(live_server.app) / images.sha256(data)[:2] / images.sha256(data)).is_dir()


def test_cut_chunk_with_a_checksum_is_dropped_whole(live_server):
    data = images.jpeg((800, 600), seed=3)
    client = tus_client(live_server)
    up = uploader(client, data)
    up.set_url(up.create_url())
    digest = base64.b64encode(hashlib.sha1(data).digest()).decode()
    headers = {**client.headers, "Upload-Checksum": f"sha1 {digest}"}
    assert _cut_mid_chunk(live_server, up.url, data, 20_000, headers) == 400
    assert uploader(client, data, url=up.url).offset == 0  # a partial chunk cannot be checked
    assert part_file(live_server.app, up.url).stat().st_size == 0


def test_corrupted_chunk_is_refused_by_its_checksum(live_server):
    data = images.jpeg((800, 600), seed=4)
    client = tus_client(live_server)
    up = uploader(client, data, chunk_size=10_000, upload_checksum=True)
    up.upload(stop_at=10_000)
    chunk = data[10_000:30_000]
    damaged = chunk[:500] + bytes([chunk[500] ^ 0xFF]) + chunk[501:]
    checksum = base64.b64encode(hashlib.sha1(chunk).digest()).decode()
    headers = {**client.headers, **TUS, **CHUNK, "Upload-Offset": "10000"}
    response = requests.patch(
        up.url, data=damaged, headers={**headers, "Upload-Checksum": f"sha1 {checksum}"}
    )
    assert response.status_code == 460
    assert response.json()["error"]["code"] == "checksum_mismatch"
    assert part_file(live_server.app, up.url).stat().st_size == 10_000  # discarded
    sha256 = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
    response = requests.patch(
        up.url, data=chunk, headers={**headers, "Upload-Checksum": f"sha256 {sha256}"}
    )
    assert response.status_code == 204 and response.headers["Upload-Offset"] == "30000"
    md5 = requests.patch(
        up.url,
        data=b"x",
        headers={**headers, "Upload-Offset": "30000", "Upload-Checksum": "md5 eA=="},
    )
    assert md5.status_code == 400 and md5.json()["error"]["details"]["supported"] == [
        "sha1", "sha256",
    ]  # fmt: skip
    resumed = uploader(client, data, url=up.url, chunk_size=25_000, upload_checksum=True)
    assert resumed.offset == 30_000
    resumed.upload()
    assert upload_row(live_server.app, up.url.rsplit("/", 1)[1])["completed_at"] is not None


def test_upload_survives_a_server_restart(live_server):
    data = images.jpeg((1000, 750), seed=5)
    client = tus_client(live_server)
    up = uploader(client, data, chunk_size=15_000)
    up.upload(stop_at=45_000)
    live_server.stop()
    live_server.start()
    resumed = uploader(client, data, url=up.url, chunk_size=15_000)
    assert resumed.offset == 45_000
    resumed.upload()
    thumb = requests.get(f"{live_server.url}/media/{images.sha256(data)}/thumb")
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"


def test_termination_deletes_the_partial_upload(live_server):
    data = images.jpeg(seed=6)
    client = tus_client(live_server)
    up = uploader(client, data, chunk_size=5_000)
    up.upload(stop_at=5_000)
    headers = {**client.headers, **TUS}
    assert requests.delete(up.url, headers=headers).status_code == 204
    assert requests.head(up.url, headers=headers).status_code == 404
    assert not part_file(live_server.app, up.url).exists()
    assert upload_row(live_server.app, up.url.rsplit("/", 1)[1]) is None


def test_another_user_can_neither_see_nor_resume_nor_delete(live_server):
    data = images.jpeg(seed=7)
    owner = tus_client(live_server, "artisan")
    up = uploader(owner, data, chunk_size=5_000)
    up.upload(stop_at=5_000)
    intruder = tus_client(live_server, "artisan2")
    with pytest.raises(TusCommunicationError) as refused:
        uploader(intruder, data, url=up.url)
    assert refused.value.status_code == 404
    headers = {**intruder.headers, **TUS, **CHUNK, "Upload-Offset": "5000"}
    patch = requests.patch(up.url, data=data[5_000:6_000], headers=headers)
    assert patch.status_code == 404 and patch.json()["error"]["code"] == "not_found"
    assert requests.delete(up.url, headers=headers).status_code == 404
    assert uploader(owner, data, url=up.url).offset == 5_000


# --- protocol edges, with the Flask test client --------------------------------------


def _create(client, headers, data: bytes, **extra):
    return client.post(
        "/api/v1/uploads",
        headers={**headers, **TUS, "Upload-Length": str(len(data)),
                 "Upload-Metadata": images.metadata_header(data), **extra},
    )  # fmt: skip


def test_options_advertises_version_extensions_and_limits(client):
    response = client.options("/api/v1/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {
        "creation", "creation-with-upload", "termination", "checksum", "expiration",
    }  # fmt: skip
    assert response.headers["Tus-Max-Size"] == str(25 * 1024 * 1024)
    assert response.headers["Tus-Checksum-Algorithm"] == "sha1,sha256"


@pytest.mark.parametrize("version", [None, "0.2.2"])
def test_other_tus_versions_get_412(client, auth, version):
    headers = {**auth.headers("artisan"), "Upload-Length": "10"}
    if version:
        headers["Tus-Resumable"] = version
    response = client.post("/api/v1/uploads", headers=headers)
    assert response.status_code == 412
    assert response.headers["Tus-Version"] == "1.0.0"
    assert response.get_json()["error"]["code"] == "tus_version_unsupported"


def test_creation_needs_a_sha256_and_a_length_within_the_limit(client, auth):
    headers = {**auth.headers("artisan"), **TUS, "Upload-Length": "10"}
    missing = client.post(
        "/api/v1/uploads", headers={**headers, "Upload-Metadata": "filename eA=="}
    )
    assert missing.status_code == 400
    assert "Upload-Metadata.sha256" in missing.get_json()["error"]["details"]["fields"]
    big = _create(client, auth.headers("artisan"), b"x", **{"Upload-Length": str(10**9)})
    assert big.status_code == 413 and big.get_json()["error"]["details"]["max_bytes"]
    buyer = _create(client, auth.headers("buyer"), b"x")
    assert buyer.status_code == 403


def test_wrong_offset_is_409_and_wrong_content_type_415(client, auth):
    data = images.jpeg(seed=8)
    location = _create(client, auth.headers("artisan"), data).headers["Location"]
    headers = {**auth.headers("artisan"), **TUS, **CHUNK}
    wrong = client.patch(location, headers={**headers, "Upload-Offset": "7"}, data=data[7:99])
    assert wrong.status_code == 409
    assert wrong.get_json()["error"]["details"] == {"upload_offset": 0, "got": 7}
    as_json = client.patch(
        location, headers={**headers, "Upload-Offset": "0", "Content-Type": "application/json"}
    )
    assert as_json.status_code == 415
    past_end = client.patch(location, headers={**headers, "Upload-Offset": "0"}, data=data + b"!")
    assert past_end.status_code == 413
    assert client.head(location, headers={**headers}).headers["Upload-Offset"] == "0"


def test_creation_with_upload_and_a_chunk_bigger_than_max_content_length(tmp_path):
    app = create_app(make_config(tmp_path, max_request_bytes=1024))
    db = app.extensions["hirfa"].open_db()
    populate(db, app.extensions["hirfa"].hasher)
    db.close()
    client = app.test_client()
    data = images.jpeg(seed=9)
    assert len(data) > 50 * 1024
    response = client.post(
        "/api/v1/uploads",
        data=data,
        headers={**Auth(client).headers("coordinator"), **TUS, **CHUNK,
                 "Upload-Length": str(len(data)), "Upload-Metadata": images.metadata_header(data)},
    )  # fmt: skip
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Upload-Offset"] == str(len(data))
    assert "Upload-Expires" not in response.headers  # finished: nothing left to expire


def test_a_busy_upload_answers_423(app, client, auth):
    data = images.jpeg(seed=10)
    location = _create(client, auth.headers("artisan"), data).headers["Location"]
    with open(part_file(app, location), "r+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # another worker writing this upload
        response = client.patch(
            location,
            headers={**auth.headers("artisan"), **TUS, **CHUNK, "Upload-Offset": "0"},
            data=data,
        )
    assert response.status_code == 423
    assert response.get_json()["error"]["code"] == "upload_locked"


@pytest.fixture
def expiring_app(tmp_path):
    """Uploads expire as soon as they are created (a TTL of zero seconds)."""
    app = create_app(make_config(tmp_path, upload_expires_seconds=0))
    db = app.extensions["hirfa"].open_db()
    populate(db, app.extensions["hirfa"].hasher)
    db.close()
    return app


def test_expired_uploads_answer_410_and_are_cleaned_up_lazily(expiring_app):
    client = expiring_app.test_client()
    headers = Auth(client).headers("artisan")
    data = images.jpeg(seed=11)
    first = _create(client, headers, data)
    assert first.status_code == 201 and first.headers["Upload-Expires"]
    second = _create(client, headers, data).headers["Location"]  # creation purges the first
    assert upload_row(expiring_app, first.headers["Location"].rsplit("/", 1)[1]) is None
    assert not part_file(expiring_app, first.headers["Location"]).exists()
    gone = client.head(second, headers={**headers, **TUS})
    assert gone.status_code == 410
    assert not part_file(expiring_app, second).exists()


def test_purge_uploads_command(expiring_app, tmp_path):
    client = expiring_app.test_client()
    headers = Auth(client).headers("artisan")
    location = _create(client, headers, images.jpeg(seed=12)).headers["Location"]
    leftover = media_dir(expiring_app) / ".tmp" / "crashed"
    leftover.mkdir(parents=True)
    os.utime(leftover, (1_000_000_000, 1_000_000_000))  # from a crash long ago
    result = expiring_app.test_cli_runner().invoke(args=["purge-uploads"])
    assert result.exit_code == 0, result.output
    assert "purged 1 expired upload(s), 1 leftover work dir(s)" in result.output
    assert not part_file(expiring_app, location).exists() and not leftover.exists()


def test_purge_keeps_uploads_that_have_not_expired(app, client, auth):
    location = _create(client, auth.headers("artisan"), images.jpeg(seed=13)).headers["Location"]
    result = app.test_cli_runner().invoke(args=["purge-uploads"])
    assert "purged 0 expired upload(s)" in result.output
    assert part_file(app, location).exists()
    head = client.head(location, headers={**auth.headers("artisan"), **TUS})
    assert head.status_code == 200 and head.headers["Upload-Metadata"].startswith("sha256 ")


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999", "-1", "1e3", " 10"])
def test_a_length_or_offset_that_is_not_ascii_digits_is_400(client, auth, value):
    created = _create(client, auth.headers("artisan"), b"x", **{"Upload-Length": value})
    assert created.status_code == 400, created.get_json()
    assert "Upload-Length" in created.get_json()["error"]["details"]["fields"]
    data = images.jpeg(seed=9)
    location = _create(client, auth.headers("artisan"), data).headers["Location"]
    headers = {**auth.headers("artisan"), **TUS, **CHUNK, "Upload-Offset": value}
    patched = client.patch(location, headers=headers, data=data[:10])
    assert patched.status_code == 400, patched.get_json()
    assert "Upload-Offset" in patched.get_json()["error"]["details"]["fields"]


def test_an_empty_upload_is_400_not_415(client, auth):
    """No photo has 0 bytes: an empty upload is refused at creation, for the length it
    names, and nothing is created (it was 415 "send chunks as ...", with no chunk sent)."""
    created = _create(client, auth.headers("artisan"), b"")
    assert created.status_code == 400, created.get_json()
    assert "Upload-Length" in created.get_json()["error"]["details"]["fields"]
    assert "Location" not in created.headers
