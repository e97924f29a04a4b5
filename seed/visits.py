"""Demo visits: a carpet-weaving workshop at the Taza cooperative and an argan-oil
pressing workshop at Essaouira, each with sessions in the coming weeks, and both
cooperatives' visiting hours. Idempotent, like the rest of the seed: a workshop that
exists is kept, visiting hours already set are kept."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

from api.services.directory_docs import SERVER, cooperative_doc_id
from api.services.visits import workshops
from schemas.visits import workshop_id
from sync.rules.access import make_check
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore

MOROCCO = timezone(timedelta(hours=1))
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat")

HOURS = {
    "coop-taza-zerbia": (
        [{"days": list(WEEKDAYS[:5]), "opens": "09:00", "closes": "16:00"},
         {"days": ["sat"], "opens": "09:00", "closes": "12:30"}],
        {"ar": "مرحبًا بكم في الورشة، في حي باب الجمعة.",
         "fr": "Bienvenue à l'atelier, quartier Bab Jemaa.",
         "en": "Welcome to the workshop, in the Bab Jemaa quarter."},
    ),
    "coop-essaouira-argan": (
        [{"days": list(WEEKDAYS), "opens": "09:30", "closes": "17:00"}],
        {"ar": "على طريق مراكش، 12 كلم من الصويرة.",
         "fr": "Route de Marrakech, à 12 km d'Essaouira.",
         "en": "On the Marrakech road, 12 km from Essaouira."},
    ),
}  # fmt: skip

WORKSHOPS: list[dict[str, Any]] = [
    {
        "cooperative": "coop-taza-zerbia",
        "code": "weaving",
        "title": {"ar": "ورشة نسج الزربية", "fr": "Atelier de tissage de tapis",
                  "en": "Carpet weaving workshop"},
        "description": {
            "ar": "تعلّموا العقدة الأمازيغية مع النساجات، ونسجوا صفوفكم الأولى على المنسج.",
            "fr": "Apprenez le nœud berbère avec les tisserandes et nouez vos premiers rangs.",
            "en": "Learn the Berber knot with the weavers and tie your first rows.",
        },
        "duration_minutes": 180,
        "price_centimes": 35000,
        "languages": ["ary", "tzm", "fr"],
        "capacity": 8,
        # (days from now, hour, capacity override)
        "dates": [(4, 10, None), (11, 10, None), (18, 14, 4), (25, 10, None)],
    },
    {
        "cooperative": "coop-essaouira-argan",
        "code": "argan-pressing",
        "title": {"ar": "ورشة عصر زيت الأركان", "fr": "Atelier de pressage d'huile d'argan",
                  "en": "Argan oil pressing workshop"},
        "description": {
            "ar": "من كسر النواة إلى الرحى: اعصروا زيتكم بأيديكم.",
            "fr": "Du concassage des noix à la meule : pressez votre propre huile.",
            "en": "From cracking the nuts to the millstone: press your own oil.",
        },
        "duration_minutes": 120,
        "price_centimes": 25000,
        "languages": ["ary", "shi", "fr", "en"],
        "capacity": 12,
        "dates": [(3, 10, None), (6, 15, None), (10, 10, None), (17, 10, 6)],
    },
]  # fmt: skip


def _sessions(dates: list[tuple[int, int, int | None]], now: datetime) -> list[dict[str, Any]]:
    today = now.astimezone(MOROCCO).date()
    found = []
    for days, hour, capacity in dates:
        day = today + timedelta(days=days)
        at = datetime.combine(day, time(hour), MOROCCO)
        session = {"id": f"{day.isoformat()}-{hour:02d}", "starts_at": at.isoformat()}
        if capacity is not None:
            session["capacity"] = capacity
        found.append(session)
    return found


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def populate_visits(store: DocumentStore, now: datetime | None = None) -> dict[str, int]:
    """The demo workshops and visiting hours; returns how many workshops were created."""
    now = now or datetime.now(UTC)
    check = make_check(SERVER, lambda _a: None)
    created = 0
    with write_transaction(store.db):
        for coop, (hours, visiting) in HOURS.items():
            doc_id = cooperative_doc_id(coop)
            row = store.row(doc_id)
            if row is None or row.deleted:
                continue
            profile = store.get_doc(doc_id)
            if profile.get("visiting_hours"):
                continue
            profile.update(visiting_hours=hours, updated_at=_stamp(now))
            profile.setdefault("visiting", visiting)
            store.put(profile, check=check)
        for spec in WORKSHOPS:
            doc_id = workshop_id(spec["cooperative"], spec["code"])
            if store.row(doc_id) is not None:
                continue
            fields = {k: v for k, v in spec.items() if k not in ("code", "dates")}
            body = {
                **fields,
                "_id": doc_id,
                "type": "workshop",
                "status": "published",
                "sessions": _sessions(spec["dates"], now),
                "created_at": _stamp(now),
                "updated_at": _stamp(now),
            }
            body["_rev"] = store.put(body, check=check)
            workshops.sync_places(store.db, body)
            created += 1
    return {"workshops": created}
