"""The pages' words in Arabic, French and English, and how a page picks its language.

Plain dicts rather than gettext: three languages, a few dozen strings, and no build
step to forget on a regional server. Arabic is the default: most artisans and many
buyers in Morocco read it first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Request

from schemas.documents import REASON_CODES
from schemas.taxonomy import CATEGORIES, REGIONS

from .words import ar as words_ar
from .words import en as words_en
from .words import fr as words_fr

LANGS = ("ar", "fr", "en")
DEFAULT = "ar"
RTL = {"ar"}
COOKIE = "lang"
OG_LOCALE = {"ar": "ar_MA", "fr": "fr_MA", "en": "en_US"}
LANG_NAMES = {"ar": "العربية", "fr": "Français", "en": "English"}

STRINGS: dict[str, dict[str, str]] = {
    "ar": dict(words_ar.WORDS),
    "fr": dict(words_fr.WORDS),
    "en": dict(words_en.WORDS),
}

_CATEGORY = {c["code"]: c for c in CATEGORIES}
_REGION = {r["code"]: r for r in REGIONS}


def choose(request: Request) -> tuple[str, bool]:
    """(language, whether to remember it): ``?lang=``, then the cookie, then the browser."""
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked, True
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGS:
        return remembered, False
    return request.accept_languages.best_match(LANGS) or DEFAULT, False


def text(lang: str, key: str, **values: Any) -> str:
    value = STRINGS[lang].get(key) or STRINGS["en"][key]
    return value.format(**values) if values else value


def add(strings: dict[str, dict[str, str]]) -> None:
    """Words a page module keeps beside its code (e.g. api/web/buyer_text.py), one dict
    per language, made part of these; a key already here with other words is an error."""
    for lang in LANGS:
        clash = {k for k, v in strings[lang].items() if STRINGS[lang].get(k, v) != v}
        if clash:
            raise ValueError(f"words defined twice for {lang}: {sorted(clash)}")
        STRINGS[lang].update(strings[lang])


def pick(localised: dict[str, str] | None, lang: str) -> tuple[str, str]:
    """(text, its language): the page's language first, else whichever the artisan wrote.

    The language is returned so the template can mark a French title on an Arabic page
    with its own ``lang`` and direction, instead of letting the bidi algorithm guess.
    """
    localised = localised or {}
    for code in (lang, *LANGS):
        if localised.get(code):
            return localised[code], code
    return "", lang


def category(code: str | None, lang: str) -> str:
    return _CATEGORY[code][lang] if code in _CATEGORY else (code or "")


def categories(lang: str) -> list[tuple[str, str]]:
    return [(c["code"], c[lang]) for c in CATEGORIES]


def region(code: str | None, lang: str) -> str:
    return _REGION[code][lang] if code in _REGION else (code or "")


def reasons(lang: str) -> list[tuple[str, str]]:
    return [(code, text(lang, f"reason_{code}")) for code in REASON_CODES]


def price(centimes: int | None, lang: str, signed: bool = False) -> str:
    """Dirhams from integer centimes, no float on the way: 450000 -> "4 500 DH"."""
    if centimes is None:
        return text(lang, "price_on_request")
    whole, cents = divmod(abs(centimes), 100)
    sep = "," if lang == "en" else "\u202f"  # narrow no-break space: never wraps mid-number
    amount = f"{whole:,}".replace(",", sep)
    if cents:
        amount += ("." if lang == "en" else ",") + f"{cents:02d}"
    if centimes < 0 or signed:
        amount = ("-" if centimes < 0 else "+") + amount  # inside the isolate below
    if lang in RTL:
        # Isolated left-to-right (U+2066..U+2069): in a right-to-left line the bidi
        # algorithm otherwise shows "4 500" as "500 4" in Chromium.
        amount = f"\u2066{amount}\u2069"
    return f"{amount}\u00a0{text(lang, 'currency')}"


# Month names as Morocco writes them (the Arabic ones are Morocco's: ماي, يوليوز, غشت...).
MONTHS = {
    "ar": ("يناير فبراير مارس أبريل ماي يونيو يوليوز غشت شتنبر أكتوبر نونبر دجنبر").split(),
    "fr": (
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    ).split(),
    "en": (
        "January February March April May June July August September October November December"
    ).split(),
}


def date(value: str | None, lang: str) -> str:
    """The day of an ISO 8601 timestamp, written out: "12 octobre 2026"; "" if none."""
    try:
        day = datetime.fromisoformat(value or "").date()
    except ValueError:
        return ""
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def og_amount(centimes: int) -> str:
    """Open Graph's product:price:amount: a plain decimal with a dot."""
    whole, cents = divmod(centimes, 100)
    return f"{whole}.{cents:02d}"
