"""What the cooperative's page (/c/{id}) shows of visits: its visiting hours with the days
in the page's language, and the next workshop sessions with their date and time (the
session's own clock, Morocco's), duration, price, languages, places left and where to
book them (this server, or the cooperative's home server)."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

import sqlite_utils

from schemas.visits import DAYS, parse_instant

from ..services.push.messages import plural_category
from ..services.visits import bookings, workshops
from . import i18n

SHOWN = 8  # sessions on the page

WEEKDAYS = {
    "ar": ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
SPOKEN_NAMES = {
    "ar": {"ar": "العربية", "ary": "الدارجة", "tzm": "الأمازيغية", "zgh": "الأمازيغية",
           "shi": "تاشلحيت", "rif": "تاريفيت", "fr": "الفرنسية", "en": "الإنجليزية",
           "es": "الإسبانية", "de": "الألمانية", "it": "الإيطالية"},
    "fr": {"ar": "arabe", "ary": "darija", "tzm": "amazigh", "zgh": "amazigh",
           "shi": "tachelhit", "rif": "tarifit", "fr": "français", "en": "anglais",
           "es": "espagnol", "de": "allemand", "it": "italien"},
    "en": {"ar": "Arabic", "ary": "Darija", "tzm": "Tamazight", "zgh": "Tamazight",
           "shi": "Tashelhit", "rif": "Tarifit", "fr": "French", "en": "English",
           "es": "Spanish", "de": "German", "it": "Italian"},
}  # fmt: skip
DASH = " – "


def _list(items: list[str], lang: str) -> str:
    return ("، " if lang == "ar" else ", ").join(items)


def days(codes: list[str], lang: str) -> str:
    """The days in the page's language, a run of three or more as "lundi – samedi"."""
    index = sorted({DAYS.index(d) for d in codes if d in DAYS})
    names = WEEKDAYS[lang]
    if len(index) >= 3 and index == list(range(index[0], index[-1] + 1)):
        return f"{names[index[0]]}{DASH}{names[index[-1]]}"
    return _list([names[i] for i in index], lang)


def _clock(value: str, lang: str) -> str:
    # Times stay left to right inside an Arabic line (isolated, as prices are).
    return f"\u2066{value}\u2069" if lang in i18n.RTL else value


def _span(opens: str, closes: str, lang: str) -> str:
    # Arabic says it in words, read right to left like the days beside it ("from 09:00
    # to 16:00"); a bare range of left-to-right numbers would read backwards there.
    if lang == "ar":
        return f"من {_clock(opens, lang)} إلى {_clock(closes, lang)}"
    return f"{opens}{DASH}{closes}"


def hours(visiting_hours: list[dict[str, Any]], lang: str) -> list[tuple[str, str]]:
    """(days, "09:00 – 16:00") per entry."""
    return [
        (days(h.get("days") or [], lang), _span(h["opens"], h["closes"], lang))
        for h in visiting_hours
        if h.get("opens") and h.get("closes")
    ]


def when(starts_at: str, lang: str) -> str:
    """ "samedi 5 décembre 2026, 10:00", on the session's own clock."""
    at = parse_instant(starts_at)
    if at is None:
        return starts_at
    day = f"{WEEKDAYS[lang][at.weekday()]} {at.day} {i18n.MONTHS[lang][at.month - 1]} {at.year}"
    return f"{day}{'، ' if lang == 'ar' else ', '}{_clock(at.strftime('%H:%M'), lang)}"


# Arabic counted nouns by CLDR plural category: one and two are said with the noun alone
# (a dual for two), 3-10 take the plural, 11-99 the singular.
AR_HOURS = {
    "one": "ساعة",
    "two": "ساعتان",
    "few": "{n} ساعات",
    "many": "{n} ساعة",
    "other": "{n} ساعة",
}
AR_MINUTES = {
    "one": "دقيقة",
    "two": "دقيقتان",
    "few": "{n} دقائق",
    "many": "{n} دقيقة",
    "other": "{n} دقيقة",
}


def _arabic_count(n: int, forms: dict[str, str]) -> str:
    return forms[plural_category("ar", n)].format(n=n)


def duration(minutes: int | None, lang: str) -> str:
    if not minutes:
        return ""
    h, m = divmod(minutes, 60)
    if lang == "ar":
        parts = ([_arabic_count(h, AR_HOURS)] if h else []) + (
            [_arabic_count(m, AR_MINUTES)] if m else []
        )
        return " و".join(parts)
    if lang == "en":
        return " ".join(([f"{h} h"] if h else []) + ([f"{m} min"] if m else []))
    return f"{h} h {m:02d}" if h and m else (f"{h} h" if h else f"{m} min")


def sessions(
    db: sqlite_utils.Database, cooperative: str, public_url: str, lang: str
) -> list[dict[str, Any]]:
    """The next sessions as the page shows them."""
    # This server's own path when it is the home server, else the home server's.
    elsewhere = not bookings.is_home(db, cooperative, public_url)
    base = (bookings.home_server(db, cooperative) or "") if elsewhere else ""
    shown = []
    for s in workshops.upcoming(db, cooperative)[:SHOWN]:
        title, title_lang = i18n.pick(s["title"], lang)
        names = SPOKEN_NAMES[lang]
        shown.append(
            {
                **s,
                "title_text": title,
                "title_lang": title_lang,
                "when": when(s["starts_at"], lang),
                "duration": duration(s["duration_minutes"], lang),
                "price": i18n.price(s["price_centimes"], lang),
                "languages_text": _list([names.get(c, c) for c in s["languages"]], lang),
                "book_url": f"{base}{bookings.book_path(s['workshop_id'], s['session_id'])}?"
                + urlencode({"lang": lang}),
            }
        )
    return shown


def fingerprint(*parts: Any) -> str:
    """Part of the page's ETag: sessions, their places left and visiting hours change
    without the catalogue changing."""
    data = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]
