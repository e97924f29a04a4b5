"""Forty baskets from the buyer's request to delivery, through three artisans' PouchDB
phones, one of whom declines and whose part is shared again; the totals checked at
every step, and each artisan's balance on her phone equal to the coordinator's view and
the CSV (issue 18, "Done when").

The coordinator works from her own PouchDB phone as well, offline: she accepts the order
and shares it out there, then syncs. REST is used where a person online would use it:
the buyer's request and delivery, the checks, the shipments and the payments.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import requests

from api import state
from api.services import accounts
from seed import demo
from tests.support.pouch_device import PouchDevice

COOP = "coop-taza-zerbia"
NAIMA = "coo_naima"
FATIMA, KHADIJA, HASNA = "art_fatima", "art_khadija", "art_hasna"
HASNA_PHONE = "+212600000199"
SHARE = 18_000  # what an artisan is paid per basket, in centimes (the buyer pays 25,000)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Scene:
    """The live server, the people's tokens, and the phones."""

    def __init__(self, server, tmp_path):
        self.server = server
        app_state = state.of(server.app)
        db = app_state.open_db()
        try:
            accounts.create_user(
                db,
                app_state.hasher,
                role="artisan",
                phone=HASNA_PHONE,
                display_name="حسناء أوبلا",
                secret=demo.ARTISAN_PIN,
                secret_kind="pin",
                cooperative_id=COOP,
                user_id=HASNA,
            )
        finally:
            db.close()
        self.auth = {
            "buyer": server.headers("buyer"),
            NAIMA: server.headers("coordinator"),
            FATIMA: server.headers("artisan"),
            KHADIJA: server.headers("artisan2"),
            HASNA: {"Authorization": "Bearer " + server.token(HASNA_PHONE, pin=demo.ARTISAN_PIN)},
        }
        self.phones = {who: PouchDevice(tmp_path / who) for who in (NAIMA, FATIMA, KHADIJA, HASNA)}

    # REST

    def call(self, who: str, method: str, path: str, **kwargs) -> requests.Response:
        headers = {**self.auth[who], **kwargs.pop("headers", {})}
        return requests.request(
            method, f"{self.server.url}{path}", headers=headers, timeout=20, **kwargs
        )

    def ok(self, who: str, method: str, path: str, **kwargs) -> dict:
        answer = self.call(who, method, path, **kwargs)
        assert answer.status_code in (200, 201), (path, answer.status_code, answer.text)
        return answer.json()

    def view(self, who: str, bulk_id: str) -> dict:
        return self.ok(who, "GET", f"/api/v1/bulk-orders/{bulk_id}")

    # Phones

    def sync(self, who: str) -> dict:
        result = self.phones[who].result(
            {"op": "replicate", "direction": "sync", "url": self.server.sync_url(),
             "headers": self.auth[who]}
        )  # fmt: skip
        assert result["ok"], result
        assert result["push"]["doc_write_failures"] == 0, result
        return result

    def docs(self, who: str) -> dict[str, dict]:
        rows = self.phones[who].result({"op": "all_docs", "include_docs": True})["rows"]
        return {row["id"]: row["doc"] for row in rows if not row["id"].startswith("_design")}

    def put(self, who: str, doc: dict) -> None:
        result = self.phones[who].result({"op": "put", "doc": doc})
        assert result["ok"], result

    def move(self, who: str, doc_id: str, status: str, **fields) -> None:
        """A move made on the phone offline: a step of her own added to the history."""
        doc = self.phones[who].result({"op": "get", "id": doc_id})["doc"]
        at = now()
        role = "coordinator" if who == NAIMA else "artisan"
        history = [*doc["history"], {"status": status, "by": who, "role": role, "at": at}]
        changes = {"status": status, "history": history, "updated_at": at, **fields}
        result = self.phones[who].result({"op": "update", "id": doc_id, "set": changes})
        assert result["ok"], result


def part_doc(bulk: dict, artisan: str, quantity: int) -> dict:
    """A part as the coordinator's phone writes it offline."""
    at = now()
    return {
        "_id": f"order:{uuid.uuid4().hex[:16]}",
        "type": "order",
        "bulk_order": bulk["_id"],
        "buyer": bulk["buyer"],
        "artisan": artisan,
        "cooperative": COOP,
        "product_id": "",
        "product_title": bulk["title"],
        "stock_mode": None,
        "quantity": quantity,
        "options": [],
        "unit_price_centimes": SHARE,
        "total_centimes": SHARE * quantity,
        "currency": "MAD",
        "due": bulk["due"],
        "status": "placed",
        "history": [{"status": "placed", "by": NAIMA, "role": "coordinator", "at": at}],
        "created_at": at,
        "updated_at": at,
    }


def assert_adds_up(figures: dict) -> None:
    states = ("awaiting_answer", "in_production", "ready", "checked", "shipped", "delivered")
    assert sum(figures[s] for s in states) == figures["assigned"], figures
    assert figures["assigned"] + figures["to_assign"] - figures["excess"] == figures["quantity"]
    assert all(value >= 0 for value in figures.values()), figures


def expect(scene: Scene, bulk_id: str, stage: str, **figures) -> dict:
    """The coordinator's and the buyer's views agree, add up, and say ``figures``."""
    mine, theirs = scene.view(NAIMA, bulk_id), scene.view("buyer", bulk_id)
    assert mine["totals"] == theirs["totals"]
    assert (mine["stage"], theirs["stage"]) == (stage, stage)
    assert_adds_up(mine["totals"])
    shown = {name: mine["totals"][name] for name in figures}
    assert shown == figures, mine["totals"]
    assert "parts" not in theirs and "artisan_share_centimes" not in theirs
    return mine


def her_part(scene: Scene, who: str) -> list[dict]:
    return [d for d in scene.docs(who).values() if d.get("bulk_order") and d["type"] == "order"]


def test_forty_baskets_through_three_artisans_phones(live_server, tmp_path):
    scene = Scene(live_server, tmp_path)
    due = (date.today() + timedelta(days=45)).isoformat()

    # The buyer (a hotel) asks for forty baskets, described, at 250 MAD each.
    asked = scene.call(
        "buyer",
        "POST",
        "/api/v1/bulk-orders",
        headers={"Idempotency-Key": "hotel-40-baskets"},
        json={
            "cooperative": COOP,
            "piece": {"fr": "Panier en doum, 30 cm", "ar": "سلة من الدوم، 30 سم"},
            "quantity": 40,
            "unit_price_centimes": 25_000,
            "due": due,
            "delivery": {
                "name": "Hôtel Atlas",
                "phone": "+212522000000",
                "address": "1 avenue Hassan II",
                "city": "Fès",
            },
        },
    )
    assert asked.status_code == 201, asked.text
    bulk_id = asked.json()["id"]
    expect(scene, bulk_id, "requested", quantity=40, to_assign=40, assigned=0)

    # The coordinator accepts and shares it out on her phone, offline, then syncs.
    scene.sync(NAIMA)
    scene.move(NAIMA, bulk_id, "accepted", artisan_share_centimes=SHARE)
    bulk = scene.phones[NAIMA].result({"op": "get", "id": bulk_id})["doc"]
    parts = {who: part_doc(bulk, who, n) for who, n in ((FATIMA, 15), (KHADIJA, 15), (HASNA, 10))}
    for doc in parts.values():
        scene.put(NAIMA, doc)
    scene.sync(NAIMA)
    expect(scene, bulk_id, "accepted", to_assign=0, awaiting_answer=40, assigned=40)

    # Each artisan's phone receives her part, and only hers; none gets the bulk order
    # (it carries the buyer's address). Two accept, Hasna declines.
    for who in (FATIMA, KHADIJA, HASNA):
        scene.sync(who)
        mine = her_part(scene, who)
        assert [d["_id"] for d in mine] == [parts[who]["_id"]]
        assert bulk_id not in scene.docs(who)
    scene.move(FATIMA, parts[FATIMA]["_id"], "accepted")
    scene.move(KHADIJA, parts[KHADIJA]["_id"], "accepted")
    scene.move(HASNA, parts[HASNA]["_id"], "declined")
    for who in (FATIMA, KHADIJA, HASNA):
        scene.sync(who)
    expect(scene, bulk_id, "in_production", to_assign=10, in_production=30, awaiting_answer=0)

    # Her ten go back to be shared again: to Fatima, from the coordinator's phone.
    scene.sync(NAIMA)
    again = part_doc(bulk, FATIMA, 10)
    scene.put(NAIMA, again)
    scene.sync(NAIMA)
    expect(scene, bulk_id, "in_production", to_assign=0, awaiting_answer=10, in_production=30)
    scene.sync(FATIMA)
    scene.move(FATIMA, again["_id"], "accepted")
    for part_id in (parts[FATIMA]["_id"], again["_id"]):
        scene.move(FATIMA, part_id, "in_production")
        scene.move(FATIMA, part_id, "ready")
    scene.sync(FATIMA)
    scene.move(KHADIJA, parts[KHADIJA]["_id"], "ready")
    scene.sync(KHADIJA)
    expect(scene, bulk_id, "in_production", ready=40, in_production=0)

    # The coordinator checks the pieces as they come in: one of Khadija's is refused,
    # and goes back to be assigned; she makes it again.
    checks = f"/api/v1/bulk-orders/{bulk_id}/checks"
    for part_id in (parts[FATIMA]["_id"], again["_id"]):
        n = 15 if part_id == parts[FATIMA]["_id"] else 10
        scene.ok(NAIMA, "POST", checks, json={"part": part_id, "passed": n, "refused": 0})
    scene.ok(
        NAIMA,
        "POST",
        checks,
        json={
            "part": parts[KHADIJA]["_id"],
            "passed": 14,
            "refused": 1,
            "reason": "finish",
            "note": "La anse est mal fixée",
        },
    )
    expect(scene, bulk_id, "in_production", checked=39, refused=1, to_assign=1, ready=0)
    scene.sync(KHADIJA)
    [check] = [d for d in scene.docs(KHADIJA).values() if d["type"] == "piece_check"]
    assert (check["refused"], check["reason"]) == (1, "finish")
    one_more = scene.ok(
        NAIMA, "POST", f"/api/v1/bulk-orders/{bulk_id}/parts",
        json={"artisan": KHADIJA, "quantity": 1},
    )  # fmt: skip
    scene.sync(KHADIJA)
    scene.move(KHADIJA, one_more["id"], "accepted")
    scene.move(KHADIJA, one_more["id"], "ready")
    scene.sync(KHADIJA)
    expect(scene, bulk_id, "in_production", checked=39, ready=1, to_assign=0)

    # Two parcels: the 39 checked now, the last basket later.
    ships = f"/api/v1/bulk-orders/{bulk_id}/shipments"
    first = scene.ok(NAIMA, "POST", ships, json={"tracking": "Amana CP123"})
    assert sum(line["count"] for line in first["pieces"]) == 39
    expect(scene, bulk_id, "partly_shipped", shipped=39, checked=0, ready=1)
    scene.ok(NAIMA, "POST", checks, json={"part": one_more["id"], "passed": 1, "refused": 0})
    second = scene.ok(NAIMA, "POST", ships, json={"tracking": "Amana CP124"})
    expect(scene, bulk_id, "partly_shipped", shipped=40, checked=0)
    for shipment in (first, second):
        scene.ok("buyer", "POST", f"{ships}/{shipment['id']}/delivered")
    expect(scene, bulk_id, "delivered", delivered=40, shipped=0, quantity=40)

    # Each artisan's phone: her parts delivered, what she earned, and what she was paid.
    scene.ok(
        NAIMA, "POST", "/api/v1/earnings/payments",
        json={"artisan": FATIMA, "amount_centimes": 300_000, "method": "mobile_money",
              "reference": "CIH-7781"},
    )  # fmt: skip
    scene.ok(
        NAIMA, "POST", "/api/v1/earnings/payments",
        json={"artisan": HASNA, "amount_centimes": 20_000, "method": "cash"},
    )  # fmt: skip
    csv_text = scene.call(NAIMA, "GET", "/api/v1/earnings.csv").content.decode("utf-8")
    assert csv_text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(csv_text.removeprefix("\ufeff"))))
    balances = {
        row["artisan"]: row["balance_centimes"]
        for row in scene.ok(NAIMA, "GET", "/api/v1/earnings/balances")["items"]
    }
    expected = {FATIMA: 25 * SHARE - 300_000, KHADIJA: 15 * SHARE, HASNA: -20_000}
    for who, owed in expected.items():
        scene.sync(who)
        held = scene.docs(who)
        assert {d["status"] for d in her_part(scene, who)} <= {"delivered", "declined"}
        entries = [d for d in held.values() if d["type"] == "earning"]
        on_phone = sum(-e["amount_centimes"] if e["kind"] == "paid" else e["amount_centimes"]
                       for e in entries)  # fmt: skip
        hers = scene.ok(who, "GET", "/api/v1/earnings")
        in_csv = sum(_centimes(row["amount_mad"]) for row in rows if row["artisan"] == who)
        assert on_phone == hers["balance_centimes"] == balances[who] == in_csv == owed, who


def _centimes(mad: str) -> int:
    sign = -1 if mad.startswith("-") else 1
    whole, _, rest = mad.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int((rest or "0").ljust(2, "0")))
