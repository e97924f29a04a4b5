"""Bodies of synced documents that pass Hirfa's access rules, for tests that write them
through /sync."""

from __future__ import annotations

from typing import Any

FATIMA, TAZA = "art_fatima", "coop-taza-zerbia"  # the demo artisan and her cooperative


def product_body(**extra: Any) -> dict[str, Any]:
    """A draft product of the demo artisan, with ``extra`` fields over it."""
    return {
        "type": "product",
        "owner": FATIMA,
        "cooperative": TAZA,
        "title": {"fr": "Tapis"},
        "category": "carpets",
        "status": "draft",
        **extra,
    }


# A cooperative and an artisan this server has no rows for, as a server fed only by the
# hub knows them: their directory documents and one approved product.
HUB_COOP, HUB_ARTISAN = "coop-tinghir-tapis", "art_itto"


def hub_directory_docs() -> dict[str, dict[str, Any]]:
    """The documents, by id, that the hub would bring; an admin may write them as is."""
    return {
        f"cooperative:{HUB_COOP}": {
            "type": "cooperative",
            "cooperative": HUB_COOP,
            "name": {"ar": "تعاونية تنغير للزرابي", "fr": "Coopérative des tapis de Tinghir"},
            "region": "draa-tafilalet",
            "commune": "Tinghir",
            "crafts": ["carpets"],
            "story": {
                "ar": "ثلاثون نساجة في واحة تنغير.",
                "fr": "Trente tisserandes dans l'oasis de Tinghir.",
            },
            "visiting": {"ar": "من الاثنين إلى السبت.", "fr": "Du lundi au samedi, 9 h - 16 h."},
            "contacts": [{"kind": "whatsapp", "value": "+212600000999"}],
            "photos": ["photo:tinghir-loom"],
        },
        f"artisan:{HUB_ARTISAN}": {
            "type": "artisan",
            "display_name": "إيطو أوحدو",
            "cooperative": HUB_COOP,
            "crafts": ["carpets"],
            "story": {"ar": "أنسج منذ صغري."},
        },
        "product:hub-rug": {
            "type": "product",
            "owner": HUB_ARTISAN,
            "cooperative": HUB_COOP,
            "title": {"fr": "Tapis de Tinghir", "ar": "زربية تنغير"},
            "category": "carpets",
            "status": "approved",
            "price_centimes": 250000,
            "photos": [],
        },
    }


def write_hub_directory(client, headers: dict[str, str]) -> None:
    """Write :func:`hub_directory_docs` through /sync with an admin's ``headers``."""
    for doc_id, body in hub_directory_docs().items():
        response = client.put(f"/sync/hirfa/{doc_id}", json=body, headers=headers)
        assert response.status_code == 201, (doc_id, response.get_json())


# The demo cooperatives' directory documents (cooperative:<id>, artisan:<user id>), which
# the seed writes with their rows: in each cooperative's channel, so its coordinators'
# phones and feeds get them with its products, and in its directory:<id> channel, so its
# artisans' phones and feeds get them with their own work.
DEMO_DIRECTORY = {
    "coop-taza-zerbia": {
        "cooperative:coop-taza-zerbia",
        "artisan:art_fatima",
        "artisan:art_khadija",
    },
    "coop-essaouira-argan": {"cooperative:coop-essaouira-argan", "artisan:art_zahra"},
    "coop-marrakech-fakhar": {"cooperative:coop-marrakech-fakhar", "artisan:art_aicha"},
    "coop-oulouz-tamount": {"cooperative:coop-oulouz-tamount", "artisan:art_mina"},
}


def directory_of(*cooperatives: str) -> set[str]:
    """The ids of the demo directory documents of ``cooperatives`` (all of them if none)."""
    return set().union(*(DEMO_DIRECTORY[c] for c in cooperatives or DEMO_DIRECTORY))


# The demo artisans' cooperatives (seed/demo.py).
DEMO_ARTISANS = {
    "art_fatima": "coop-taza-zerbia",
    "art_khadija": "coop-taza-zerbia",
    "art_zahra": "coop-essaouira-argan",
    "art_aicha": "coop-marrakech-fakhar",
    "art_mina": "coop-oulouz-tamount",
}


def directory_read_by(artisan_id: str) -> set[str]:
    """The demo directory documents in an artisan's feed: her cooperative's profile and
    its artisans' profiles (hers among them), none of another cooperative."""
    return directory_of(DEMO_ARTISANS[artisan_id])
