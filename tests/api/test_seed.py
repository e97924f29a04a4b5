"""The demo data `make run` shows: listings in every status, with processed photos."""

from __future__ import annotations

from seed.demo_products import LISTINGS, populate_products


def test_demo_listings_cover_every_status_and_both_sides(app, client, auth, db):
    settings = app.extensions["hirfa"].settings
    store = app.extensions["hirfa"].store(db)
    assert populate_products(store, settings.media_dir, settings.media_max_pixels) == len(LISTINGS)
    assert populate_products(store, settings.media_dir, settings.media_max_pixels) == 0  # again
    statuses = {
        row[0]
        for row in db.execute(
            "SELECT json_extract(r.body, '$.status') FROM docs d JOIN revs r "
            "ON r.doc_id = d.id AND r.rev = d.winner "
            "WHERE json_extract(r.body, '$.type') = 'product'"
        )
    }
    assert statuses == {
        "draft",
        "submitted",
        "changes_requested",
        "approved",
        "rejected",
        "archived",
    }
    catalog = client.get("/api/v1/catalog").get_json()["items"]
    assert len({item["cooperative"]["id"] for item in catalog}) >= 3
    assert all(item["thumb_url"] for item in catalog)
    with client.get(catalog[0]["thumb_url"], headers={"Accept": "image/webp"}) as thumb:
        assert thumb.status_code == 200 and thumb.data[:4] == b"RIFF"
    queue = client.get("/api/v1/reviews/queue", headers=auth.headers("coordinator")).get_json()
    assert len(queue["items"]) >= 2 and all(item["thumb_url"] for item in queue["items"])
