"""The demo bulk order: forty doum baskets Claire ordered from the Marrakech pottery and
basketry cooperative, accepted at 110 DH per piece for the artisan, shared among three
of its artisans at different stages (docs/bulk-orders.md):

- Aïcha: 15 pieces, checked (13 passed, 2 refused for their finish), the 13 shipped in
  one parcel and delivered; paid part of what she earned, by mobile money;
- Hafsa: 15 pieces in production, and a cash advance beyond what she is owed;
- Saïda declined her 10; they were assigned again to Hafsa, who has not answered yet.

The two refused pieces are left to assign. Everything is written through the services
(api/services/bulk/), as the app writes it, then the bulk feed writes the earnings.
The seed adds Hafsa and Saïda to the cooperative (the other demo people have one artisan
per cooperative, two at most). Seeding again writes nothing: the order is found by its
buyer, cooperative and message.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.services import accounts, orders
from api.services.bulk import earnings, feed, parts, quality, requests, shipments
from api.services.credentials import SecretHasher
from sync.store.documents import DocumentStore

from . import demo

FAKHAR = "coop-marrakech-fakhar"
BUYER, COORDINATOR = "buy_claire", "coo_rachid"
AICHA, HAFSA, SAIDA = "art_aicha", "art_hafsa", "art_saida"
# (id, phone, display name, locale): the cooperative's basket weavers, besides Aïcha.
WEAVERS = [
    (HAFSA, "+212600000105", "حفصة الورزازي", "ar"),
    (SAIDA, "+212600000106", "Saïda Boukhris", "fr"),
]
MESSAGE = "Pour les 40 chambres du riad : paniers à linge en doum, anses en cuir naturel."
PIECE = {"ar": "سلة من الدوم بمقبضين من الجلد", "fr": "Panier en doum, anses en cuir",
         "en": "Doum palm basket with leather handles"}  # fmt: skip
DELIVERY = {
    "name": "Riad Dar Claire",
    "phone": "+33600000001",
    "address": "Derb Sidi Bouloukat 12",
    "city": "Marrakech",
    "country": "MA",
}
PRICE, SHARE = 18_000, 11_000  # centimes per piece: 180 DH to the buyer, 110 DH to her


def seeded(store: DocumentStore) -> str | None:
    """The demo bulk order's id, if it is already there."""
    rows = store.db.execute("SELECT id FROM docs WHERE id LIKE 'bulk:%' ORDER BY id").fetchall()
    for (doc_id,) in rows:
        body = store.winner_body(doc_id) or {}
        if (body.get("buyer"), body.get("cooperative"), body.get("message")) == (
            BUYER,
            FAKHAR,
            MESSAGE,
        ):
            return doc_id
    return None


def add_weavers(store: DocumentStore, hasher: SecretHasher) -> int:
    """Hafsa and Saïda, weavers of the cooperative; returns how many were added."""
    made = 0
    for user_id, phone, name, locale in WEAVERS:
        if store.db.execute("SELECT 1 FROM users WHERE id = ?", [user_id]).fetchone():
            continue
        secret, kind = demo.secret_for("artisan")
        accounts.create_user(
            store.db, hasher, role="artisan", phone=phone, display_name=name, secret=secret,
            secret_kind=kind, locale=locale, user_id=user_id, cooperative_id=FAKHAR,
        )  # fmt: skip
        made += 1
    return made


def populate_bulk(
    store: DocumentStore, hasher: SecretHasher, now: datetime | None = None
) -> dict[str, int]:
    """The demo bulk order and its artisans' payments; returns how many of each."""
    made = {"artisans": add_weavers(store, hasher), "bulk_orders": 0}
    if seeded(store) is not None:
        return made
    people = {u: accounts.get_user(store.db, u) for u in (BUYER, COORDINATOR, AICHA)}
    people |= {u: accounts.get_user(store.db, u) for u, *_ in WEAVERS}
    if any(user is None for user in people.values()):
        return made  # the demo people are not there: populate() first
    buyer, coordinator = people[BUYER], people[COORDINATOR]
    due = ((now or datetime.now(UTC)) + timedelta(days=30)).date().isoformat()
    request = {"cooperative": FAKHAR, "piece": PIECE, "quantity": 40, "due": due,
               "unit_price_centimes": PRICE, "delivery": DELIVERY, "message": MESSAGE}  # fmt: skip
    bulk_id = requests.create(store, buyer, request)["id"]
    requests.move(store, coordinator, bulk_id, "accepted", None, share=SHARE)
    part_a = parts.assign(store, coordinator, bulk_id, AICHA, 15)["_id"]
    part_b = parts.assign(store, coordinator, bulk_id, HAFSA, 15)["_id"]
    part_c = parts.assign(store, coordinator, bulk_id, SAIDA, 10)["_id"]
    for status in ("accepted", "in_production", "ready"):
        orders.move(store, people[AICHA], part_a, status, None)
    for status in ("accepted", "in_production"):
        orders.move(store, people[HAFSA], part_b, status, None)
    orders.move(store, people[SAIDA], part_c, "declined", None)
    parts.assign(store, coordinator, bulk_id, HAFSA, 10)
    quality.record(
        store, coordinator, bulk_id,
        {"part": part_a, "passed": 13, "refused": 2, "reason": "finish",
         "note": "Deux anses mal cousues."},
    )  # fmt: skip
    shipment = shipments.ship(store, coordinator, bulk_id, {"tracking": "AMANA CX123456789MA"})
    shipments.deliver(store, buyer, bulk_id, shipment["_id"], None)
    feed.process(store)  # what the 13 shipped pieces earned Aïcha
    earnings.pay(
        store, coordinator,
        {"artisan": AICHA, "amount_centimes": 100_000, "method": "mobile_money",
         "reference": "MT-2026-0042", "note": "Premier versement."},
    )  # fmt: skip
    earnings.pay(
        store, coordinator,
        {"artisan": HAFSA, "amount_centimes": 30_000, "method": "cash",
         "note": "Avance pour le doum et le cuir."},
    )  # fmt: skip
    feed.process(store)
    made["bulk_orders"] = 1
    return made
