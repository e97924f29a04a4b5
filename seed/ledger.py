"""The demo raw-materials ledger: each demo cooperative's materials and three months of
movements (receipts from suppliers with their cost, transfers from the store to the
artisans, uses for the demo listings, waste, a stocktaking count, a reversed mistake,
argan pressings under a lot number), and the bills of materials of the demo listings.

Written through the document store with the server's check (every schema applies, and
the ledger's tables are kept as for any write), under fixed ids and dates: seeding again
writes nothing. Henna at Taza and glass bottles at Essaouira end below their thresholds,
so coordinators see the low-stock flag.

Quantities are in base units (schemas/ledger.py): grams, millilitres, centimetres,
pieces, skeins. Argan: a mechanical press gives about a litre of oil from 2.5 kg of
kernels (the "30 kg for a litre" often quoted is of whole fruit), so a 30 kg pressing
gives 12 l.
"""

from __future__ import annotations

from typing import Any

from api.services.directory import artisan_cooperative
from api.services.directory_docs import SERVER
from schemas.ledger import STORE, artisan_place, material_id
from sync.rules.access import make_check
from sync.rules.ledger import reversal_id
from sync.store.documents import DocumentStore

TAZA, ARGAN, FAKHAR, TAMOUNT = (
    "coop-taza-zerbia",
    "coop-essaouira-argan",
    "coop-marrakech-fakhar",
    "coop-oulouz-tamount",
)
ARGAN_LOT = "ARG-2026-10-A"
TAMOUNT_LOT = "TAM-2026-10-A"

# (cooperative, code, unit, low-stock threshold in base units, supplier)
MATERIALS = [
    (TAZA, "wool", "kg", 20_000, "Coopérative lainière d'Azrou"),
    (TAZA, "henna", "g", 500, "Herboristerie Bab Ftouh, Fès"),
    (TAZA, "indigo", "g", 300, "Droguerie Attarine, Fès"),
    (TAZA, "warp", "skein", 10, "Filature de Fès"),
    (ARGAN, "kernels", "kg", 50_000, "Collecteurs des douars de Had Dra"),
    (ARGAN, "oil", "l", 5_000, None),  # pressed at the cooperative
    (ARGAN, "bottles", "piece", 200, "Verrerie du Souss, Agadir"),
    (FAKHAR, "clay", "kg", 100_000, "Carrière de Tamesloht"),
    (FAKHAR, "glaze", "kg", 5_000, "Fournitures céramiques de Safi"),
    (TAMOUNT, "kernels", "kg", 30_000, "Collecteurs d'Aoulouz"),
    (TAMOUNT, "oil", "l", 3_000, None),
    (TAMOUNT, "silk", "skein", 40, "Mercerie du souk, Taroudant"),
    (TAMOUNT, "fabric", "m", 1_000, "Tissus Derb Omar, Casablanca"),
]
# (cooperative, code) -> name in ar, fr, en
NAMES = {
    (TAZA, "wool"): ("صوف", "Laine de mouton", "Sheep's wool"),
    (TAZA, "henna"): ("حناء", "Henné", "Henna"),
    (TAZA, "indigo"): ("نيلة", "Indigo naturel", "Natural indigo"),
    (TAZA, "warp"): ("خيط السدى من القطن", "Fil de chaîne en coton", "Cotton warp thread"),
    (ARGAN, "kernels"): ("لوز أركان", "Amandons d'argan", "Argan kernels"),
    (ARGAN, "oil"): ("زيت أركان", "Huile d'argan", "Argan oil"),
    (ARGAN, "bottles"): (
        "قارورات زجاجية 100 مل",
        "Flacons en verre 100 ml",
        "Glass bottles, 100 ml",
    ),
    (FAKHAR, "clay"): ("طين", "Argile", "Clay"),
    (FAKHAR, "glaze"): ("طلاء زجاجي", "Émail", "Glaze"),
    (TAMOUNT, "kernels"): ("لوز أركان محمص", "Amandons d'argan torréfiés", "Roasted argan kernels"),
    (TAMOUNT, "oil"): ("زيت أركان غذائي", "Huile d'argan alimentaire", "Culinary argan oil"),
    (TAMOUNT, "silk"): ("خيط الحرير للطرز", "Fil de soie à broder", "Embroidery silk thread"),
    (TAMOUNT, "fabric"): ("ثوب قطني", "Tissu de coton", "Cotton fabric"),
}

COORDINATORS = {TAZA: "coo_naima", ARGAN: "coo_rachid", FAKHAR: "coo_rachid", TAMOUNT: "coo_itto"}


def _m(coop: str, code: str) -> str:
    return material_id(coop, code)


def _at(day: str) -> str:
    return f"{day}T09:00:00.000Z"


def _movement(key: str, coop: str, day: str, kind: str, owner: str | None = None, **fields):
    body = {
        "_id": f"movement:seed-{key}",
        "type": "material_movement",
        "owner": owner or COORDINATORS[coop],
        "cooperative": coop,
        "kind": kind,
        "occurred_at": _at(day),
        "created_at": _at(day),
        **fields,
    }
    if "source" in body:  # "from" is a keyword: the helpers say source
        body["from"] = body.pop("source")
    return body


def receive(key, coop, day, code, quantity, cost_centimes, supplier=None, **extra):
    supplier = supplier or next(m[4] for m in MATERIALS if m[:2] == (coop, code))
    return _movement(
        key,
        coop,
        day,
        "receive",
        material=_m(coop, code),
        quantity=quantity,
        to=STORE,
        supplier=supplier,
        cost_centimes=cost_centimes,
        **extra,
    )


def transfer(key, coop, day, code, quantity, artisan):
    return _movement(
        key,
        coop,
        day,
        "transfer",
        material=_m(coop, code),
        quantity=quantity,
        source=STORE,
        to=artisan_place(artisan),
    )


def use(coop, day, code, quantity, artisan, product):
    """``artisan`` used ``quantity`` of ``code`` for the demo listing ``product``."""
    return _movement(
        f"use-{product}-{code}",
        coop,
        day,
        "use",
        owner=artisan,
        material=_m(coop, code),
        quantity=quantity,
        source=artisan_place(artisan),
        product_id=f"product:{product}",
    )


def waste(key, coop, day, code, quantity, place, note, owner=None):
    return _movement(
        key,
        coop,
        day,
        "waste",
        owner=owner,
        material=_m(coop, code),
        quantity=quantity,
        source=place,
        note=note,
    )


def count(key, coop, day, code, counted, expected):
    return _movement(
        key,
        coop,
        day,
        "count",
        material=_m(coop, code),
        at=STORE,
        counted=counted,
        expected=expected,
    )


def pressing(key, coop, day, kernels, oil, lot):
    return _movement(
        key,
        coop,
        day,
        "batch",
        at=STORE,
        inputs=[{"material": _m(coop, "kernels"), "quantity": kernels}],
        outputs=[{"material": _m(coop, "oil"), "quantity": oil}],
        lot=lot,
        note="pressage mécanique à froid",
    )


def reversal(coop, day, movement, note):
    body = _movement("", coop, day, "reversal", reverses=movement["_id"], note=note)
    body["_id"] = reversal_id(movement["_id"])
    return body


_WRONG_RECEIPT = receive(
    "taza-wool-receive-2-typo",
    TAZA,
    "2026-10-06",
    "wool",
    400_000,
    3_400_000,
    note="400 kg saisis au lieu de 40 kg",
)

MOVEMENTS: list[dict[str, Any]] = [
    # Taza: wool, henna, indigo, warp thread for the carpets
    receive("taza-wool-receive-1", TAZA, "2026-09-08", "wool", 60_000, 480_000),
    receive("taza-warp-receive-1", TAZA, "2026-09-08", "warp", 40, 100_000),
    transfer("taza-wool-fatima-1", TAZA, "2026-09-10", "wool", 20_000, "art_fatima"),
    transfer("taza-wool-khadija-1", TAZA, "2026-09-10", "wool", 12_000, "art_khadija"),
    transfer("taza-warp-fatima-1", TAZA, "2026-09-10", "warp", 12, "art_fatima"),
    transfer("taza-warp-khadija-1", TAZA, "2026-09-10", "warp", 8, "art_khadija"),
    receive("taza-henna-receive-1", TAZA, "2026-09-15", "henna", 2_000, 12_000),
    receive("taza-indigo-receive-1", TAZA, "2026-09-15", "indigo", 1_500, 135_000),
    transfer("taza-henna-fatima-1", TAZA, "2026-09-20", "henna", 800, "art_fatima"),
    use(TAZA, "2026-09-29", "wool", 9_000, "art_fatima", "demo-zerbia-1"),
    use(TAZA, "2026-09-29", "warp", 4, "art_fatima", "demo-zerbia-1"),
    transfer("taza-indigo-khadija-1", TAZA, "2026-10-01", "indigo", 400, "art_khadija"),
    _WRONG_RECEIPT,
    reversal(TAZA, "2026-10-06", _WRONG_RECEIPT, "erreur de saisie: 40 kg reçus"),
    receive("taza-wool-receive-2", TAZA, "2026-10-06", "wool", 40_000, 340_000),
    transfer("taza-wool-fatima-2", TAZA, "2026-10-07", "wool", 15_000, "art_fatima"),
    use(TAZA, "2026-10-20", "wool", 3_000, "art_khadija", "demo-hanbel-1"),
    use(TAZA, "2026-10-20", "indigo", 100, "art_khadija", "demo-hanbel-1"),
    use(TAZA, "2026-10-20", "warp", 2, "art_khadija", "demo-hanbel-1"),
    waste("taza-wool-waste-1", TAZA, "2026-10-27", "wool", 2_000, STORE, "laine mitée"),
    transfer("taza-indigo-fatima-1", TAZA, "2026-10-28", "indigo", 300, "art_fatima"),
    use(TAZA, "2026-11-03", "wool", 6_000, "art_fatima", "demo-zerbia-2"),
    use(TAZA, "2026-11-03", "henna", 300, "art_fatima", "demo-zerbia-2"),
    use(TAZA, "2026-11-03", "indigo", 150, "art_fatima", "demo-zerbia-2"),
    use(TAZA, "2026-11-03", "warp", 3, "art_fatima", "demo-zerbia-2"),
    transfer("taza-henna-fatima-2", TAZA, "2026-11-10", "henna", 900, "art_fatima"),
    count("taza-wool-count-1", TAZA, "2026-11-16", "wool", 49_500, 51_000),
    count("taza-warp-count-1", TAZA, "2026-11-16", "warp", 19, 20),
    transfer("taza-wool-khadija-2", TAZA, "2026-11-24", "wool", 10_000, "art_khadija"),
    use(TAZA, "2026-12-01", "wool", 800, "art_fatima", "demo-zerbia-3"),
    # Essaouira: kernels pressed into oil, bottled by Zahra
    receive("argan-kernels-receive-1", ARGAN, "2026-09-22", "kernels", 120_000, 2_160_000),
    receive("argan-bottles-receive-1", ARGAN, "2026-09-25", "bottles", 500, 225_000),
    pressing("argan-pressing-1", ARGAN, "2026-10-14", 30_000, 12_000, ARGAN_LOT),
    transfer("argan-oil-zahra-1", ARGAN, "2026-10-15", "oil", 15_000, "art_zahra"),
    transfer("argan-bottles-zahra-1", ARGAN, "2026-10-15", "bottles", 150, "art_zahra"),
    use(ARGAN, "2026-10-16", "oil", 12_000, "art_zahra", "demo-argan-1"),
    use(ARGAN, "2026-10-16", "bottles", 120, "art_zahra", "demo-argan-1"),
    waste("argan-kernels-waste-1", ARGAN, "2026-10-30", "kernels", 2_000, STORE, "amandons moisis"),
    pressing("argan-pressing-2", ARGAN, "2026-11-12", 30_000, 12_000, "ARG-2026-11-A"),
    transfer("argan-bottles-zahra-2", ARGAN, "2026-11-13", "bottles", 200, "art_zahra"),
    # Marrakech: clay and glaze for tajines and jugs
    receive("fakhar-clay-receive-1", FAKHAR, "2026-09-14", "clay", 500_000, 40_000),
    receive("fakhar-glaze-receive-1", FAKHAR, "2026-09-14", "glaze", 20_000, 90_000),
    transfer("fakhar-clay-aicha-1", FAKHAR, "2026-09-16", "clay", 200_000, "art_aicha"),
    transfer("fakhar-glaze-aicha-1", FAKHAR, "2026-09-16", "glaze", 8_000, "art_aicha"),
    use(FAKHAR, "2026-10-05", "clay", 60_000, "art_aicha", "demo-fakhar-1"),
    use(FAKHAR, "2026-10-05", "glaze", 5_000, "art_aicha", "demo-fakhar-1"),
    use(FAKHAR, "2026-10-19", "clay", 30_000, "art_aicha", "demo-fakhar-2"),
    use(FAKHAR, "2026-10-19", "glaze", 2_000, "art_aicha", "demo-fakhar-2"),
    waste(
        "fakhar-clay-waste-1",
        FAKHAR,
        "2026-10-26",
        "clay",
        15_000,
        artisan_place("art_aicha"),
        "pièces fendues à la cuisson",
        owner="art_aicha",
    ),
    transfer("fakhar-glaze-aicha-2", FAKHAR, "2026-11-05", "glaze", 6_000, "art_aicha"),
    count("fakhar-clay-count-1", FAKHAR, "2026-11-20", "clay", 296_000, 300_000),
    # Oulouz: roasted kernels pressed for culinary oil, silk and cloth for embroidery
    receive("tamount-kernels-receive-1", TAMOUNT, "2026-09-18", "kernels", 60_000, 1_200_000),
    receive("tamount-silk-receive-1", TAMOUNT, "2026-09-18", "silk", 120, 216_000),
    receive("tamount-fabric-receive-1", TAMOUNT, "2026-10-02", "fabric", 3_000, 120_000),
    transfer("tamount-silk-mina-1", TAMOUNT, "2026-10-03", "silk", 40, "art_mina"),
    transfer("tamount-fabric-mina-1", TAMOUNT, "2026-10-03", "fabric", 1_000, "art_mina"),
    pressing("tamount-pressing-1", TAMOUNT, "2026-10-21", 25_000, 10_000, TAMOUNT_LOT),
    transfer("tamount-oil-mina-1", TAMOUNT, "2026-10-22", "oil", 4_000, "art_mina"),
    use(TAMOUNT, "2026-10-28", "oil", 2_500, "art_mina", "demo-tamount-1"),
    use(TAMOUNT, "2026-11-18", "silk", 12, "art_mina", "demo-tamount-2"),
    use(TAMOUNT, "2026-11-18", "fabric", 700, "art_mina", "demo-tamount-2"),
]

# The materials of one piece of each demo listing (seed/demo_products.py), and its lots.
BILLS: dict[str, list[tuple[str, str, int]]] = {
    "demo-zerbia-1": [(TAZA, "wool", 9_000), (TAZA, "warp", 4)],
    "demo-zerbia-2": [
        (TAZA, "wool", 6_000),
        (TAZA, "henna", 300),
        (TAZA, "indigo", 150),
        (TAZA, "warp", 3),
    ],
    "demo-zerbia-3": [(TAZA, "wool", 800)],
    "demo-hanbel-1": [(TAZA, "wool", 3_000), (TAZA, "indigo", 100), (TAZA, "warp", 2)],
    "demo-argan-1": [(ARGAN, "oil", 100), (ARGAN, "bottles", 1)],
    "demo-fakhar-1": [(FAKHAR, "clay", 3_000), (FAKHAR, "glaze", 250)],
    "demo-fakhar-2": [(FAKHAR, "clay", 1_500), (FAKHAR, "glaze", 100)],
    "demo-tamount-1": [(TAMOUNT, "oil", 250)],
    "demo-tamount-2": [(TAMOUNT, "fabric", 350), (TAMOUNT, "silk", 6)],
}
LOTS = {"demo-argan-1": [ARGAN_LOT], "demo-tamount-1": [TAMOUNT_LOT]}


def material_docs() -> list[dict[str, Any]]:
    docs = []
    for coop, code, unit, low, supplier in MATERIALS:
        ar, fr, en = NAMES[coop, code]
        doc = {
            "_id": material_id(coop, code),
            "type": "material",
            "cooperative": coop,
            "name": {"ar": ar, "fr": fr, "en": en},
            "unit": unit,
            "low_stock": low,
            "created_at": _at("2026-09-01"),
        }
        if supplier:
            doc["supplier"] = supplier
        docs.append(doc)
    return docs


def product_fields(listing: str) -> dict[str, Any]:
    """The bill of materials (and lots) of a demo listing, for its document."""
    fields: dict[str, Any] = {}
    if listing in BILLS:
        fields["bill_of_materials"] = [
            {"material": material_id(coop, code), "quantity": quantity}
            for coop, code, quantity in BILLS[listing]
        ]
    if listing in LOTS:
        fields["lots"] = list(LOTS[listing])
    return fields


def populate_ledger(store: DocumentStore) -> dict[str, int]:
    """Write the demo materials and movements that are not stored yet, and give the demo
    listings already stored their bills of materials; returns how many of each."""
    check = make_check(SERVER, lambda artisan: artisan_cooperative(store.db, artisan))
    docs = [d for d in [*material_docs(), *MOVEMENTS] if store.row(d["_id"]) is None]
    for result in store.bulk_docs(docs, new_edits=True, check=check) if docs else []:
        if "error" in result:
            raise RuntimeError(f"seed ledger: {result['id']}: {result['reason']}")
    made = {
        "materials": sum(d["type"] == "material" for d in docs),
        "movements": sum(d["type"] == "material_movement" for d in docs),
        "bills": 0,
    }
    for listing in BILLS.keys() | LOTS.keys():
        made["bills"] += _attach(store, check, f"product:{listing}", product_fields(listing))
    return made


def _attach(store: DocumentStore, check, product_id: str, fields: dict[str, Any]) -> int:
    """A listing seeded before the ledger gets its bill of materials (1 if written)."""
    row = store.row(product_id)
    if row is None or row.deleted:
        return 0
    current = store.get_doc(product_id)
    if all(current.get(k) == v for k, v in fields.items()):
        return 0
    store.put({**current, **fields}, check=check)
    return 1
