"""A photo processed on one regional server shows on another: its derivatives travel in a
``media:`` document through the hub, and never to a phone."""

from __future__ import annotations

import requests

from api.cli_replication import make_worker, open_store
from api.services import media_replication
from sync.access import channels_for
from tests import images
from tests.conftest import Auth
from tests.test_media import JPEG, WEBP, fetch, upload
from tests.test_replicator import hub  # noqa: F401  (the fixture)
from tests.test_replicator_api import make_app


def test_a_photo_processed_on_one_server_is_served_by_another(tmp_path, hub):  # noqa: F811
    a = make_app(tmp_path / "a", couchdb_url=hub)
    b = make_app(tmp_path / "b", couchdb_url=hub)
    client_a = a.test_client()
    photo = images.jpeg((900, 700), seed=3)
    sha = images.sha256(photo)
    response = upload(client_a, Auth(client_a).headers("artisan"), photo)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert fetch(client_a, f"/media/{sha}/display", WEBP).status_code == 200
    # in no user's channel: no phone gets the bytes through /sync
    store_a = open_store(a.extensions["hirfa"])
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


def test_a_server_without_a_hub_keeps_no_media_documents_until_it_has_one(tmp_path, hub):  # noqa: F811
    """The derivatives would be a second copy in the store: written only for a hub, and
    caught up for earlier photos when the replication worker first starts."""
    alone = make_app(tmp_path / "a")
    client = alone.test_client()
    photo = images.jpeg((600, 400), seed=5)
    sha = images.sha256(photo)
    assert upload(client, Auth(client).headers("artisan"), photo).status_code == 201
    store = open_store(alone.extensions["hirfa"])
    assert store.row(media_replication.doc_id(sha)) is None
    store.db.close()

    joined = make_app(tmp_path / "a", couchdb_url=hub)  # the same server, given a hub
    worker = make_worker(joined.extensions["hirfa"])
    assert worker.step() is None, worker.status
    worker.stop()
    assert requests.get(f"{hub}/media:{sha}", timeout=10).status_code == 200
