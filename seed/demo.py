"""Demo cooperatives and people, for `make run` and the tests. Phone numbers are fictitious."""

from __future__ import annotations

COOPERATIVES = [
    {
        "id": "coop-taza-zerbia",
        "name_ar": "تعاونية الزربية التازية",
        "name_fr": "Coopérative Zerbia de Taza",
        "region": "fes-meknes",
        "categories": ["carpets", "weaving"],
    },
    {
        "id": "coop-essaouira-argan",
        "name_ar": "تعاونية أركان الصويرة",
        "name_fr": "Coopérative Argan Essaouira",
        "region": "marrakech-safi",
        "categories": ["argan", "woodwork"],
    },
    {
        "id": "coop-marrakech-fakhar",
        "name_ar": "تعاونية فخار مراكش",
        "name_fr": "Coopérative Poterie de Marrakech",
        "region": "marrakech-safi",
        "categories": ["pottery", "leather", "basketry"],
    },
    {
        "id": "coop-oulouz-tamount",
        "name_ar": "تعاونية تامونت أولوز",
        "name_fr": "Coopérative Tamount Oulouz",
        "region": "souss-massa",
        "categories": ["argan", "embroidery", "food"],
    },
]

ADMIN_PASSWORD = "hirfa-admin-2026"
COORDINATOR_PASSWORD = "hirfa-coord-2026"
BUYER_PASSWORD = "hirfa-buyer-2026"
ARTISAN_PIN = "2580"

# (id, role, phone, display name, locale, cooperatives)
PEOPLE = [
    ("adm_demo", "admin", "+212600000001", "Admin Hirfa", "fr", ()),
    ("coo_naima", "coordinator", "+212600000010", "نعيمة الإدريسي", "ar", ("coop-taza-zerbia",)),
    (
        "coo_rachid",
        "coordinator",
        "+212600000011",
        "Rachid Ouhaddou",
        "fr",
        ("coop-essaouira-argan", "coop-marrakech-fakhar"),
    ),
    ("coo_itto", "coordinator", "+212600000012", "إيطو أمزيان", "ar", ("coop-oulouz-tamount",)),
    ("art_fatima", "artisan", "+212600000100", "فاطمة أيت علي", "ar", ("coop-taza-zerbia",)),
    ("art_khadija", "artisan", "+212600000101", "خديجة بنعلي", "ar", ("coop-taza-zerbia",)),
    ("art_zahra", "artisan", "+212600000102", "Zahra Amellal", "fr", ("coop-essaouira-argan",)),
    ("art_aicha", "artisan", "+212600000103", "عائشة الحسني", "ar", ("coop-marrakech-fakhar",)),
    ("art_mina", "artisan", "+212600000104", "ⵎⵉⵏⴰ Mina Oubaha", "ar", ("coop-oulouz-tamount",)),
    ("buy_claire", "buyer", "+33600000001", "Claire Martin", "fr", ()),
]


def secret_for(role: str) -> tuple[str, str]:
    return {
        "admin": (ADMIN_PASSWORD, "password"),
        "coordinator": (COORDINATOR_PASSWORD, "password"),
        "buyer": (BUYER_PASSWORD, "password"),
        "artisan": (ARTISAN_PIN, "pin"),
    }[role]
