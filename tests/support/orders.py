"""What the order and push tests share: an approved product, a buyer's order, a clock
the dispatcher reads instead of sleeping, and an app whose firebase-admin talks to the
loopback fake FCM."""

from __future__ import annotations

import datetime
import time
import uuid

import firebase_admin
import pytest

from api import create_app
from api.workers import make_dispatcher
from seed import populate
from sync.store import revtree
from tests.support.apps import Auth, make_config

FAR = datetime.datetime(2100, 1, 1)
DELIVERY = {
    "name": "Claire Martin",
    "phone": "+33600000001",
    "address": "12 rue des Tanneurs",
    "city": "Lyon",
    "country": "FR",
}


def approved_product(app, product_id: str = "product:zerbia", **fields) -> str:
    """A product as the review would leave it: approved. Written server-side (no user
    check) because the review workflow is someone else's module."""
    doc = {
        "_id": product_id,
        "type": "product",
        "owner": "art_fatima",
        "cooperative": "coop-taza-zerbia",
        "listed_by": "art_fatima",
        "title": {"ar": "زربية بني ورين", "fr": "Tapis Beni Ouarain", "en": "Beni Ouarain rug"},
        "category": "carpets",
        "status": "approved",
        "price_centimes": 450000,
        "stock": {"mode": "in_stock", "quantity": 3},
        "options": [
            {
                "code": "colour",
                "label": {"fr": "Couleur"},
                "choices": [
                    {"code": "natural", "label": {"fr": "Naturel"}, "price_delta_centimes": 0},
                    {"code": "indigo", "label": {"fr": "Indigo"}, "price_delta_centimes": 5000},
                ],
            }
        ],
        "photos": [],
        "created_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-20T10:00:00Z",
        **fields,
    }
    with app.app_context():
        app.extensions["hirfa"].store().put(doc)
    return product_id


def product(app, product_id: str) -> dict:
    with app.app_context():
        return app.extensions["hirfa"].store().winner_body(product_id)


def place(client, auth, product_id: str = "product:zerbia", key: str | None = None, **body):
    """POST /orders as the buyer, with ``key`` as Idempotency-Key (a fresh one if None)."""
    headers = {**auth.headers("buyer"), "Idempotency-Key": key or f"test-{uuid.uuid4()}"}
    payload = {"product_id": product_id, "options": {"colour": "indigo"}, "delivery": DELIVERY}
    return client.post("/api/v1/orders", json={**payload, **body}, headers=headers)


def move(client, auth, who: str, order_id: str, status: str, if_match: str | None = None):
    headers = {**auth.headers(who), **({"If-Match": f'"{if_match}"'} if if_match else {})}
    return client.post(f"/api/v1/orders/{order_id}/moves", json={"status": status}, headers=headers)


def push_branch(client, auth, parent: dict, body: dict, who="artisan") -> list[dict]:
    """Replicate ``body`` as a child of ``parent`` (new_edits=false, with ``_revisions``,
    as PouchDB pushes an edit made offline)."""
    content = {k: v for k, v in body.items() if not k.startswith("_")}
    rev = revtree.new_rev_id(parent["_rev"], content, False)
    pos, digest = revtree.parse_rev(rev)
    doc = {
        **content,
        "_id": parent["_id"],
        "_rev": rev,
        "_revisions": {"start": pos, "ids": [digest, revtree.parse_rev(parent["_rev"])[1]]},
    }
    response = client.post(
        "/sync/hirfa/_bulk_docs",
        json={"docs": [doc], "new_edits": False},
        headers=auth.headers(who),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def register_device(client, auth, who: str, token: str, locale: str | None = "ar"):
    body = {"token": token, "platform": "android", "app_version": "1.0.0"}
    if locale:
        body["locale"] = locale
    response = client.post("/api/v1/devices", json=body, headers=auth.headers(who))
    assert response.status_code == 200, response.get_json()


def rows(app, sql: str, params=()) -> list[tuple]:
    db = app.extensions["hirfa"].open_db()
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


class Clock:
    """The dispatcher's time: real time plus what a test skipped ahead."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def fcm_app(tmp_path, fake, **config):
    """An app whose firebase-admin sends to ``fake`` (credentials made in the test)."""
    app = create_app(
        make_config(
            tmp_path,
            firebase_credentials=str(fake.service_account(tmp_path)),
            firebase_project_id="hirfa-test",
            fcm_endpoint=fake.url,
            **config,
        )
    )
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    populate(db, hirfa.hasher)
    db.close()
    return offline_google(app)


def offline_google(app):
    """``app`` with no background call to Google from google-auth."""
    # google-auth 2.6x looks up the service account's "regional access boundary" at
    # iamcredentials.googleapis.com in a background thread after each token refresh.
    # Tests stay off the network: give it the no-op boundary up front (the hook gcloud
    # uses; google-auth's credentials.py promises to keep it).
    credential = app.extensions["hirfa"].firebase().credential.get_credential()
    credential._set_regional_access_boundary({"encodedLocations": "0x0", "expiry": FAR})
    return app


def close_firebase(app) -> None:
    transport = app.extensions["hirfa"].push_transport
    if transport is not None and hasattr(transport, "close"):
        transport.close()
    firebase = app.extensions["hirfa"].firebase_app
    if firebase is not None:
        firebase_admin.delete_app(firebase)


@pytest.fixture
def push(tmp_path, fake_fcm):
    """(app, client, auth, dispatcher, clock, fake) with real firebase-admin."""
    app = fcm_app(tmp_path, fake_fcm)
    clock = Clock()
    client = app.test_client()
    dispatcher = make_dispatcher(app.extensions["hirfa"], clock=clock)
    yield app, client, Auth(client), dispatcher, clock, fake_fcm
    close_firebase(app)
