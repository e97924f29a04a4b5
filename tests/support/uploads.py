"""A photo uploaded in one tus request, and /media fetched, through the Flask test client."""

from __future__ import annotations

from tests.support import images

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = {"Content-Type": "application/offset+octet-stream"}
WEBP, JPEG = {"Accept": "image/webp,image/*,*/*;q=0.8"}, {"Accept": "image/jpeg"}


def upload(client, headers, data: bytes, declared: bytes | None = None):
    """One request: creation-with-upload of the whole file (its last byte ends it)."""
    return client.post(
        "/api/v1/uploads",
        data=data,
        headers={**headers, **TUS, **CHUNK, "Upload-Length": str(len(data)),
                 "Upload-Metadata": images.metadata_header(declared or data,
                                                           filename="photo.jpg")},
    )  # fmt: skip


def fetch(client, url: str, headers: dict | None = None):
    """GET, reading the body and closing the file werkzeug's send_file opened."""
    response = client.get(url, headers=headers or {})
    response.get_data()
    response.close()
    return response
