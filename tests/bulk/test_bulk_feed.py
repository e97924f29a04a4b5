"""What follows bulk orders' documents (api/services/bulk/feed.py): each person told at
each step, in her language; what a shipment earned written once, the same revision on
two servers; concurrent moves of a bulk order merged as the rule says."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import sqlite_utils

from api import migrations
from api.services.bulk import feed, members
from api.services.push import messages
from api.stores import document_store
from schemas.bulk_orders import shipment_earning_id
from sync.rules.bulk_orders import bulk_order_state
from tests.support.bulk import bulk_doc, moved

COOP = "coop-taza-zerbia"
DUE = (date.today() + timedelta(days=30)).isoformat()


def post(client, auth, who, path, body=None, **headers):
    answer = client.post(f"/api/v1{path}", json=body, headers={**auth.headers(who), **headers})
    assert answer.status_code in (200, 201), (path, answer.get_json())
    return answer.get_json()


def told(db, user_id: str) -> list[tuple[str, dict]]:
    rows = db.execute(
        "SELECT kind, data FROM outbox WHERE user_id = ? ORDER BY id", [user_id]
    ).fetchall()
    return [(kind, json.loads(data)) for kind, data in rows]


def test_each_step_tells_the_person_concerned_in_her_language(client, auth, db):
    bulk = post(
        client, auth, "buyer", "/bulk-orders",
        {"cooperative": COOP, "piece": {"fr": "Panier", "ar": "سلة"}, "quantity": 4,
         "unit_price_centimes": 20_000, "due": DUE,
         "delivery": {"name": "H", "phone": "+212522000000", "address": "A", "city": "Fès"}},
        **{"Idempotency-Key": str(uuid.uuid4())},
    )  # fmt: skip
    assert [k for k, _ in told(db, "coo_naima")] == ["bulk_requested"]
    post(client, auth, "coordinator", f"/bulk-orders/{bulk['id']}/moves",
         {"status": "accepted", "artisan_share_centimes": 15_000})  # fmt: skip
    [(kind, data)] = told(db, "buy_claire")
    assert kind == "bulk_moved"
    assert messages.render(kind, data, "fr")[0] == "Commande en gros acceptée"

    part = post(client, auth, "coordinator", f"/bulk-orders/{bulk['id']}/parts",
                {"artisan": "art_fatima", "quantity": 4})  # fmt: skip
    assert [k for k, _ in told(db, "art_fatima")] == ["order_placed"]
    post(client, auth, "artisan", f"/orders/{part['id']}/moves", {"status": "accepted"})
    # Her answer goes to her cooperative's coordinators, not to the bulk order's buyer.
    assert told(db, "coo_naima")[-1][0] == "order_moved"
    assert [k for k, _ in told(db, "buy_claire")] == ["bulk_moved"]

    post(client, auth, "coordinator", f"/bulk-orders/{bulk['id']}/checks",
         {"part": part["id"], "passed": 3, "refused": 1, "reason": "finish"})  # fmt: skip
    kind, data = told(db, "art_fatima")[-1]
    assert kind == "pieces_checked"
    title, body = messages.render(kind, data, "ar")
    assert "التشطيب غير كافٍ" in body and "3" in body  # the reason, in her language

    shipment = post(client, auth, "coordinator", f"/bulk-orders/{bulk['id']}/shipments",
                    {"tracking": "CP1"})  # fmt: skip
    assert told(db, "buy_claire")[-1][0] == "bulk_shipped"
    kinds = [k for k, _ in told(db, "art_fatima")]
    assert kinds[-1] == "earning_recorded"  # what the three pieces earned her
    earned = told(db, "art_fatima")[-1][1]
    assert messages.render("earning_recorded", earned, "fr")[0] == "Vous avez gagné 450,00 DH"

    post(client, auth, "buyer",
         f"/bulk-orders/{bulk['id']}/shipments/{shipment['id']}/delivered")  # fmt: skip
    assert told(db, "coo_naima")[-1][0] == "bulk_shipped"
    assert told(db, "art_fatima")[-1][0] in ("bulk_shipped", "order_moved")
    post(client, auth, "coordinator", "/earnings/payments",
         {"artisan": "art_fatima", "amount_centimes": 10_000, "method": "cash"})  # fmt: skip
    kind, data = told(db, "art_fatima")[-1]
    assert messages.render(kind, data, "fr") == ("Paiement de 100,00 DH", "En espèces")

    # Running the feed again tells no one twice.
    before = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    db.execute("UPDATE bulk_feed SET value = 0")
    feed.process(document_store(db))
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == before


def _store(path):
    db = sqlite_utils.Database(path)
    migrations.migrate(db)
    return db, document_store(db)


def _copy(source, target, doc_ids):
    """Replicate documents with their full history, as the hub would."""
    docs = [source.get_doc(doc_id, revs=True) for doc_id in doc_ids]
    results = target.bulk_docs(docs, new_edits=False)
    assert all("error" not in r for r in results), results


def test_two_servers_settling_one_shipment_write_the_same_earning(tmp_path):
    (db_a, a), (db_b, b) = _store(tmp_path / "a.sqlite"), _store(tmp_path / "b.sqlite")
    bulk = bulk_doc("bulk:00aa11bb22cc33dd", artisan_share_centimes=12_000)
    part = {
        "_id": "order:00aa11bb22cc33dd", "type": "order", "bulk_order": bulk["_id"],
        "buyer": bulk["buyer"], "artisan": "art_fatima", "cooperative": bulk["cooperative"],
        "product_id": "", "quantity": 2, "status": "ready",
        "history": [{"status": "placed", "by": "coo_naima", "role": "coordinator",
                     "at": "2026-12-01T10:00:00Z"}],
    }  # fmt: skip
    check = {
        "_id": "check:00aa11bb22cc33dd", "type": "piece_check", "bulk_order": bulk["_id"],
        "part": part["_id"], "artisan": "art_fatima", "cooperative": bulk["cooperative"],
        "passed": 2, "refused": 0, "by": "coo_naima", "at": "2026-12-02T10:00:00Z",
    }  # fmt: skip
    shipment = {
        "_id": "shipment:00aa11bb22cc33dd", "type": "shipment", "bulk_order": bulk["_id"],
        "cooperative": bulk["cooperative"], "buyer": bulk["buyer"], "status": "shipped",
        "pieces": [{"part": part["_id"], "artisan": "art_fatima", "count": 2}],
        "tracking": "", "by": "coo_naima", "shipped_at": "2026-12-03T10:00:00Z",
    }  # fmt: skip
    for doc in (bulk, part, check, shipment):
        a.put(doc, check=None)
    _copy(a, b, [bulk["_id"], part["_id"], check["_id"], shipment["_id"]])
    # The shipment reaches the second server before its bulk order's acceptance would
    # have: both settle it on their own.
    feed.process(a)
    feed.process(b)
    earning = shipment_earning_id(shipment["_id"], part["_id"])
    assert a.row(earning).winner == b.row(earning).winner
    assert a.winner_body(earning)["amount_centimes"] == 24_000
    # Once replicated, the two are one revision: nothing to settle, nothing counted twice.
    _copy(a, b, [earning])
    assert b.row(earning).winner == a.row(earning).winner
    for db in (db_a, db_b):
        total = db.execute("SELECT sum(signed_centimes) FROM earning_entries").fetchone()[0]
        assert total == 24_000
    # The part moved on once all its passed pieces shipped, on both servers alike.
    assert a.winner_body(part["_id"])["status"] == b.winner_body(part["_id"])["status"]
    assert a.winner_body(part["_id"])["status"] == "shipped"


def test_a_withdrawal_beats_an_acceptance_made_offline_meanwhile():
    requested = bulk_doc(status="requested", artisan_share_centimes=None)
    at = "2026-12-02T09:00:00Z"
    accepted = {
        **moved(requested, "accepted", "coo_naima", "coordinator", at),
        "artisan_share_centimes": 10_000,
    }
    withdrawn = moved(requested, "cancelled", "buy_claire", "buyer", at)
    merged = bulk_order_state([("2-a", accepted), ("2-b", withdrawn)])
    assert merged["status"] == "cancelled"
    assert [s["status"] for s in merged["superseded"]] == ["accepted"]
    # The same whichever order the two arrive in.
    assert bulk_order_state([("2-b", withdrawn), ("2-a", accepted)]) == merged


def test_a_malformed_document_from_the_hub_is_left_alone_and_the_rest_settled(tmp_path):
    db, store = _store(tmp_path / "hub-fed.sqlite")
    bulk = bulk_doc("bulk:00aa11bb22cc33ee", artisan_share_centimes=12_000)
    store.put(bulk, check=None)
    # Written unchecked, as replication writes: a status that is a list, a line that is
    # a string. Neither may stop the feed (a 500 after every request, forever).
    store.put(
        {"_id": "shipment:bad0bad0bad0bad0", "type": "shipment", "bulk_order": bulk["_id"],
         "status": ["shipped"], "pieces": ["order:x"], "cooperative": COOP},
        check=None,
    )  # fmt: skip
    store.put(
        {"_id": "order:bad1bad1bad1bad1", "type": "order", "bulk_order": bulk["_id"],
         "status": ["placed"], "quantity": "2", "artisan": "art_fatima", "cooperative": COOP},
        check=None,
    )  # fmt: skip
    assert feed.process(store) == 2  # the bulk order and the shipment, both followed
    assert db.execute("SELECT count(*) FROM earning_entries").fetchone()[0] == 0
    _, totals = members.totals(store, {**bulk, "_id": bulk["_id"]})
    assert totals["figures"]["to_assign"] == bulk["quantity"]
