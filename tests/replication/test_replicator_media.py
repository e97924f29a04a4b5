"""A photo processed on one regional server shows on another: its derivatives travel in a
``media:`` document through the hub, and never to a phone."""

from __future__ import annotations

import logging

import pytest
import requests

from api.services import media, media_replication
from api.workers import make_worker
from sync.rules.access import channels_for
from tests.support import images
from tests.support.apps import Auth, make_app
from tests.support.uploads import JPEG, WEBP, fetch, upload


def test_a_photo_processed_on_one_server_is_served_by_another(tmp_path, hub):
    a = make_app(tmp_path / "a", couchdb_url=hub)
    b = make_app(tmp_path / "b", couchdb_url=hub)
    client_a = a.test_client()
    photo = images.jpeg((900, 700), seed=3)
    sha = images.sha256(photo)
    response = upload(client_a, Auth(client_a).headers("artisan"), photo)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert fetch(client_a, f"/media/{sha}/display", WEBP).status_code == 200
    # in no user's channel: no phone gets the bytes through /sync
    store_a = _store(a.extensions["hirfa"])
    body = store_a.winner_body(media_replication.doc_id(sha))
    assert body["type"] == "media" and channels_for(f"media:{sha}", body) == set()
    feed = client_a.get(
        "/sync/hirfa/_changes?style=all_docs", headers=Auth(client_a).headers("artisan")
    ).get_json()
    assert all(not r["id"].startswith("media:") for r in feed["results"])
    for app in (a, b):
        worker = make_worker(app.extensions["hirfa"])
        assert worker.step() is None, worker.status
        worker.stop()
    assert requests.get(f"{hub}/media:{sha}", timeout=10).status_code == 200
    client_b = b.test_client()
    for variant, accept in (("display", WEBP), ("display", JPEG), ("thumb", WEBP)):
        there = fetch(client_b, f"/media/{sha}/{variant}", accept)
        assert there.status_code == 200, (variant, accept)
        assert there.data == fetch(client_a, f"/media/{sha}/{variant}", accept).data
    assert not list((tmp_path / "b").rglob(".tmp/*"))  # published whole, nothing left aside


def test_a_server_without_a_hub_keeps_no_media_documents_until_it_has_one(tmp_path, hub):
    """The derivatives would be a second copy in the store: written only for a hub, and
    caught up for earlier photos when the replication worker first starts."""
    alone = make_app(tmp_path / "a")
    client = alone.test_client()
    photo = images.jpeg((600, 400), seed=5)
    sha = images.sha256(photo)
    assert upload(client, Auth(client).headers("artisan"), photo).status_code == 201
    store = _store(alone.extensions["hirfa"])
    assert store.row(media_replication.doc_id(sha)) is None
    store.db.close()

    joined = make_app(tmp_path / "a", couchdb_url=hub)  # the same server, given a hub
    worker = make_worker(joined.extensions["hirfa"])
    assert worker.step() is None, worker.status
    worker.stop()
    assert requests.get(f"{hub}/media:{sha}", timeout=10).status_code == 200


def _media_doc(tmp_path, seed: int) -> tuple[media.MediaInfo, dict]:
    """A photo processed on another server, and the media document it sent the hub."""
    data = images.jpeg((300, 200), seed=seed)
    src = tmp_path / f"photo-{seed}.jpg"
    src.write_bytes(data)
    info = media.ingest(src, images.sha256(data), tmp_path / "elsewhere", 50_000_000)
    return info, media_replication.media_doc(info)


@pytest.mark.parametrize(
    "change",
    [{"width": None}, {"width": "wide"}, {"height": [1]}],
    ids=["no-width", "width-not-a-number", "height-a-list"],
)
def test_a_media_document_without_dimensions_is_logged_and_skipped(tmp_path, caplog, change):
    """From the hub, so from any server's bugs: the others arriving with it are written."""
    app = make_app(tmp_path / "b")
    hirfa = app.extensions["hirfa"]
    store = _store(hirfa)
    _, bad = _media_doc(tmp_path, seed=7)
    for key, value in change.items():
        if value is None:
            del bad[key]
        else:
            bad[key] = value
    good_info, good = _media_doc(tmp_path, seed=8)
    store.put(bad)
    store.put(good)
    with caplog.at_level(logging.WARNING, logger="hirfa.replication"):
        written = media_replication.materialise(
            store, hirfa.settings.media_dir, [bad["_id"], good["_id"]]
        )
    assert written == [good_info.sha256]
    assert bad["_id"] in caplog.text
    store.db.close()


def test_a_bad_media_document_does_not_stop_the_worker_starting(tmp_path):
    """catch_up runs in make_worker: what it cannot use must not keep replication down."""
    app = make_app(tmp_path / "b", couchdb_url="http://127.0.0.1:9/hirfa")
    hirfa = app.extensions["hirfa"]
    store = _store(hirfa)
    _, bad = _media_doc(tmp_path, seed=9)
    del bad["width"], bad["height"]
    store.put(bad)
    store.db.close()
    worker = make_worker(hirfa)
    worker.stop()


def test_catch_up_lets_another_process_publish_the_same_media_document(tmp_path, monkeypatch):
    """The replicate CLI runs beside the server: both may catch up the same photo. The
    other process's write lands between this one's look and its write (wrapped around the
    real media_doc, which reads the files in that window)."""
    app = make_app(tmp_path / "a")
    hirfa = app.extensions["hirfa"]
    data = images.jpeg((300, 200), seed=11)
    src = tmp_path / "photo.jpg"
    src.write_bytes(data)
    info = media.ingest(src, images.sha256(data), hirfa.settings.media_dir, 50_000_000)
    store, other = _store(hirfa), _store(hirfa)
    real, raced = media_replication.media_doc, []

    def other_process_first(one):
        doc = real(one)
        if not raced:
            raced.append(one.sha256)
            assert media_replication.publish(other, one)
        return doc

    monkeypatch.setattr(media_replication, "media_doc", other_process_first)
    assert media_replication.catch_up(store, hirfa.settings.media_dir) == (0, 0)
    assert raced == [info.sha256]
    assert store.winner_body(media_replication.doc_id(info.sha256))["type"] == "media"
    store.db.close()
    other.db.close()


def _store(hirfa):
    """A store on a connection of its own, as replication sees it."""
    return hirfa.store(hirfa.open_db())
