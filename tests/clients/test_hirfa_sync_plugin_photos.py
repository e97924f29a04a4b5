"""A product listed with a photo while offline, through the plugin's photo helper
(clients/js/lib/photos.js, tus-js-client): when the link returns, the bytes go once and
everything reaches the server, which marks the photo ready and syncs that back.

The link is a LinkProxy in front of the live server (tests/support/link_proxy.py); the
tus requests, the syncs and the helper's own beforeUpload sync all go through it.
"""

from __future__ import annotations

import base64
import io

import pytest
import requests
from PIL import Image

from tests.support import images
from tests.support.compact import product
from tests.support.link_proxy import UP, LinkProxy
from tests.support.pouch_device import results

OWNER, COOP = "art_fatima", "coop-taza-zerbia"
# tus retries every 200 ms for a minute: long enough to outlast the outage the test
# makes, short enough that the upload resumes as soon as the link heals.
RETRY_DELAYS = [200] * 300


@pytest.fixture
def link(server):
    with LinkProxy("127.0.0.1", server.port) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def photo() -> bytes:
    return images.jpeg((480, 360), seed=7)  # about 100 KB


def upload_op(link, token: str, data: bytes, **fields) -> dict:
    base = f"http://127.0.0.1:{link.port}"
    options = {"retryDelays": RETRY_DELAYS, "filename": "tapis.jpg", **fields.pop("options", {})}
    return {
        "op": "upload_photo",
        "url": base,
        "token": token,
        "file_b64": base64.b64encode(data).decode(),
        "owner": OWNER,
        "cooperative": COOP,
        "options": options,
        **fields,
    }


def tus_events(lines: list[dict], name: str) -> list[dict]:
    return [
        line["data"] for line in lines if (line.get("event"), line.get("name")) == ("upload", name)
    ]


def test_a_listing_made_offline_goes_with_its_photo_when_the_link_returns(
    server, store, token, device, link, photo
):
    phone = device("phone-a")
    fatima = token()
    sync_url = f"http://127.0.0.1:{link.port}/sync/hirfa"
    listing = product("offline-1", status="submitted", photos=[])
    link.partition()  # offline from the start: nothing reaches the server

    with phone.start(
        [
            {"op": "put", "doc": listing},
            upload_op(
                link,
                fatima,
                photo,
                product_id=listing["_id"],
                sync_url=sync_url,  # the helper's recommended beforeUpload: a sync (fails)
                device=phone.name,
                options={"wait": False, "contentType": "image/jpeg"},
            ),
        ]
    ) as running:
        answered = running.wait_for("upload", name="answered")["data"]
        for _ in range(3):  # offline for a while: tus tries, fails and waits
            failed = running.wait_for("upload", name="retry")["data"]
            assert failed["status"] == 0, failed  # no answer: the link is down
        assert store.row(listing["_id"]) is None
        assert link.bytes[UP] == 0
        link.heal()
        lines = running.wait()
    result = results(lines)[-1]
    assert result["ok"] and result["completed"], result

    photo_id, sha = answered["id"], answered["sha256"]
    assert sha == images.sha256(photo)
    # the tus exchange: one upload created, its bytes sent in one PATCH from 0
    sent = tus_events(lines, "request")
    assert [(r["method"], r["offset"]) for r in sent] == [("POST", None), ("PATCH", 0)], sent
    assert sent[-1]["upload_offset"] == len(photo)
    assert link.bytes[UP] < 2 * len(photo), link.bytes

    # offline, the device showed the listing with its pending photo
    local = phone.docs()
    assert local[listing["_id"]]["photos"] == [photo_id]
    assert local[photo_id]["status"] == "pending"
    assert local[photo_id]["product_id"] == listing["_id"]

    # the sync brings listing and photo document; the photo's bytes came first, so the
    # server marks it ready on arrival (api/services/order_feed.py)
    phone.synced(sync_url, fatima)
    on_server = store.get_doc(listing["_id"])
    assert on_server["photos"] == [photo_id]
    assert on_server["status"] == "submitted"
    ready = store.get_doc(photo_id)
    assert ready["status"] == "ready", ready
    assert (ready["width"], ready["height"]) == (480, 360)
    assert ready["sha256"] == sha

    thumb = requests.get(f"{server.url}/media/{sha}/thumb", timeout=10)
    assert thumb.status_code == 200
    assert thumb.headers["Content-Type"].startswith("image/")
    Image.open(io.BytesIO(thumb.content)).verify()

    phone.synced(sync_url, fatima)
    assert phone.get(photo_id)["doc"]["_rev"] == ready["_rev"]
    assert phone.get(photo_id)["doc"]["status"] == "ready"


def test_an_upload_cut_midway_resumes_from_the_servers_offset(
    server, store, token, device, link, photo
):
    phone = device("phone-a")
    fatima = token()
    chunk = 16 * 1024
    cut = int(len(photo) * 0.75)  # in a PATCH well past the first chunks
    link.cut_after(cut, direction=UP, partition=True)

    with phone.start(
        [upload_op(link, fatima, photo, options={"wait": False, "chunkSize": chunk})]
    ) as running:
        running.wait_for("upload", name="retry")
        link.heal()
        lines = running.wait()
    result = results(lines)[-1]
    assert result["ok"] and result["completed"], result

    sent = tus_events(lines, "request")
    methods = [r["method"] for r in sent]
    assert methods.count("POST") == 1, sent  # the same upload, never a new one
    head = methods.index("HEAD")  # after the cut: ask the server where it stands
    resumed_at = sent[head]["upload_offset"]
    assert resumed_at >= chunk, sent  # what arrived before the cut was kept
    assert (sent[head + 1]["method"], sent[head + 1]["offset"]) == ("PATCH", resumed_at)
    assert sent[-1]["upload_offset"] == len(photo)
    # resumed, not restarted: a restart would have sent the first 75 % twice
    assert link.bytes[UP] < 1.5 * len(photo), (link.bytes, len(photo))

    thumb = requests.get(f"{server.url}/media/{images.sha256(photo)}/thumb", timeout=10)
    assert thumb.status_code == 200
