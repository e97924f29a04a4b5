"""What the compact protocol's tests share: a product document, the store behind a live
server, and a reference client signed in as a demo account."""

from __future__ import annotations

from sync.compact.client import CompactClient
from sync.store.documents import DocumentStore
from tests.support.apps import DEMO


def product(i: int | str, owner="art_fatima", coop="coop-taza-zerbia", **extra) -> dict:
    return {
        "_id": f"product:{i}",
        "type": "product",
        "owner": owner,
        "cooperative": coop,
        "title": {"fr": f"Tapis {i}"},
        "category": "carpets",
        "status": "draft",
        **extra,
    }


def store_of(server) -> DocumentStore:
    """The live server's store, built by the app's one factory (api/stores.py), on a
    connection of its own."""
    hirfa = server.app.extensions["hirfa"]
    return hirfa.store(hirfa.open_db())


def client_for(server, who: str, device: str, url: str | None = None, **options) -> CompactClient:
    phone, secret = DEMO[who]
    return CompactClient(
        url or server.sync_url(), server.token(phone, **secret), device, backoff_s=0, **options
    )
