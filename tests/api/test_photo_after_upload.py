"""A photo document that reaches the server after its bytes (the phone uploaded first,
then synced, as a phone back online may) becomes ready all the same: the server sees the
bytes are there when the document arrives, whichever path it came by."""

from __future__ import annotations

from tests.support import images
from tests.support.uploads import upload


def photo_doc(doc_id: str, sha: str) -> dict:
    return {
        "_id": doc_id,
        "type": "photo",
        "owner": "art_fatima",
        "cooperative": "coop-taza-zerbia",
        "sha256": sha,
        "status": "pending",
    }


def test_a_photo_document_pushed_after_its_upload_becomes_ready(client, auth):
    headers = auth.headers("artisan")
    data = images.jpeg(seed=41)
    assert upload(client, headers, data).status_code == 201
    pushed = client.post(
        "/sync/hirfa/_bulk_docs",
        json={"docs": [photo_doc("photo:after-upload", images.sha256(data))]},
        headers=headers,
    )
    assert pushed.status_code == 201, pushed.get_json()
    got = client.get("/sync/hirfa/photo:after-upload", headers=headers).get_json()
    assert got["status"] == "ready"
    assert (got["width"], got["height"]) == (800, 600)


def test_a_photo_document_without_its_bytes_stays_pending(client, auth):
    headers = auth.headers("artisan")
    pushed = client.post(
        "/sync/hirfa/_bulk_docs",
        json={"docs": [photo_doc("photo:no-bytes", "ab" * 32)]},
        headers=headers,
    )
    assert pushed.status_code == 201
    got = client.get("/sync/hirfa/photo:no-bytes", headers=headers).get_json()
    assert got["status"] == "pending"
