"""Demo listings in every status, with photos passed through the real media pipeline, so
that `make run` shows a catalogue and a coordinator's queue at once."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from api.services import accounts, media, photo_docs, products, reviews
from sync.store.documents import DocumentStore

from .demo_images import draw
from .ledger import product_fields

# (artisan, coordinator, id, category, price in dirhams, status, title ar/fr/en)
LISTINGS = [
    (
        "art_fatima",
        "coo_naima",
        "demo-zerbia-1",
        "carpets",
        4500,
        "approved",
        ("زربية بني ورين بيضاء", "Tapis Beni Ouarain blanc", "White Beni Ouarain rug"),
    ),
    (
        "art_fatima",
        "coo_naima",
        "demo-zerbia-2",
        "carpets",
        2800,
        "submitted",
        ("زربية عزيلال ملونة", "Tapis Azilal coloré", "Colourful Azilal rug"),
    ),
    (
        "art_fatima",
        "coo_naima",
        "demo-zerbia-3",
        "carpets",
        900,
        "draft",
        ("مخدة من الصوف", "Coussin en laine", "Wool cushion"),
    ),
    (
        "art_khadija",
        "coo_naima",
        "demo-hanbel-1",
        "carpets",
        1600,
        "approved",
        ("حنبل تازة المنسوج", "Hanbel tissé de Taza", "Woven hanbel from Taza"),
    ),
    (
        "art_khadija",
        "coo_naima",
        "demo-hanbel-2",
        "embroidery",
        650,
        "changes_requested",
        ("منديل مطرز", "Mouchoir brodé", "Embroidered handkerchief"),
    ),
    (
        "art_khadija",
        "coo_naima",
        "demo-hanbel-3",
        "carpets",
        2100,
        "submitted",
        ("زربية صغيرة للصلاة", "Petit tapis de prière", "Small prayer rug"),
    ),
    (
        "art_zahra",
        "coo_rachid",
        "demo-argan-1",
        "argan",
        180,
        "approved",
        ("زيت أركان تجميلي", "Huile d'argan cosmétique", "Cosmetic argan oil"),
    ),
    (
        "art_zahra",
        "coo_rachid",
        "demo-argan-2",
        "argan",
        120,
        "rejected",
        ("أملو باللوز", "Amlou aux amandes", "Almond amlou"),
    ),
    (
        "art_zahra",
        "coo_rachid",
        "demo-argan-3",
        "woodwork",
        350,
        "submitted",
        ("علبة من خشب العرعار", "Boîte en thuya", "Thuya wood box"),
    ),
    (
        "art_aicha",
        "coo_rachid",
        "demo-fakhar-1",
        "pottery",
        420,
        "approved",
        ("طاجين مزخرف من آسفي", "Tajine décoré de Safi", "Decorated tajine from Safi"),
    ),
    (
        "art_aicha",
        "coo_rachid",
        "demo-fakhar-2",
        "pottery",
        260,
        "archived",
        ("إبريق فخاري", "Cruche en terre cuite", "Clay jug"),
    ),
    (
        "art_aicha",
        "coo_rachid",
        "demo-fakhar-3",
        "basketry",
        300,
        "approved",
        ("سلة من الدوم", "Panier en doum", "Doum palm basket"),
    ),
    (
        "art_mina",
        "coo_itto",
        "demo-tamount-1",
        "argan",
        220,
        "approved",
        ("زيت أركان غذائي", "Huile d'argan alimentaire", "Culinary argan oil"),
    ),
    (
        "art_mina",
        "coo_itto",
        "demo-tamount-2",
        "embroidery",
        780,
        "submitted",
        ("قفطان بطرز أمازيغي", "Caftan à broderie amazighe", "Caftan with Amazigh embroidery"),
    ),
]

DECISIONS = {
    "approved": ("approve", []),
    "rejected": ("reject", ["wrong_category"]),
    "changes_requested": ("request_changes", ["photo_blurry", "price_missing"]),
}


def populate_products(store: DocumentStore, media_dir: str, max_pixels: int) -> int:
    """Create the demo listings that do not exist yet; returns how many were made."""
    db = store.db
    made = 0
    for n, (artisan_id, coordinator_id, pid, category, dirhams, status, title) in enumerate(
        LISTINGS
    ):
        product_id = f"product:{pid}"
        if store.row(product_id) is not None:
            continue
        artisan = accounts.get_user(db, artisan_id)
        coordinator = accounts.get_user(db, coordinator_id)
        if artisan is None or coordinator is None:
            continue
        photo_id = _photo(store, artisan, pid, category, n, media_dir, max_pixels)
        products.create(
            store,
            artisan,
            {
                "id": product_id,
                "category": category,
                "price_centimes": dirhams * 100,
                "title": dict(zip(("ar", "fr", "en"), title, strict=True)),
                "description": {
                    "fr": f"{title[1]}, fait main par la coopérative.",
                    "ar": f"{title[0]}، صنع يدوي في التعاونية.",
                },
                "stock": {"mode": "made_to_order", "production_days": 14},
                "photos": [photo_id],
                "status": "draft" if status == "draft" else "submitted",
                **product_fields(pid),  # bill of materials, lots (seed/ledger.py)
            },
        )
        if status in DECISIONS or status == "archived":
            decision, reasons = DECISIONS.get(status, ("approve", []))
            reviews.decide(store, coordinator, product_id, decision, reasons, "")
        if status == "archived":
            current = store.get_doc(product_id)
            products.update(store, artisan, product_id, current["_rev"], {"status": "archived"})
        made += 1
    return made


def _photo(store, artisan, pid, category, seed, media_dir, max_pixels) -> str:
    data = draw(category, seed)
    sha = hashlib.sha256(data).hexdigest()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "photo.jpg"
        path.write_bytes(data)
        media.ingest(path, sha, media_dir, max_pixels)
    doc = photo_docs.create(
        store,
        artisan,
        {"id": f"photo:{pid}", "sha256": sha, "product_id": f"product:{pid}"},
        media_dir,
        artisan.id,
        artisan.cooperative_id or "",
    )
    return doc["_id"]
