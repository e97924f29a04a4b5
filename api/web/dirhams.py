"""Amounts on the coordinator's pages: dirhams as she types them read into integer
centimes, and centimes shown in her language, never as floats (a ledger must not drift)."""

from __future__ import annotations

import re

from flask import g
from markupsafe import Markup

from ..services.bulk import words

_DIRHAMS = re.compile(r"([0-9]{1,7})(?:[.,]([0-9]{1,2}))?")


def centimes(text: str) -> int | None:
    """Dirhams as a person writes them ("120", "120.5", "120,50") in integer centimes,
    exactly; None for anything else ("12.345", "abc", "-3")."""
    found = _DIRHAMS.fullmatch(text.strip())
    if found is None:
        return None
    return int(found[1]) * 100 + int((found[2] or "0").ljust(2, "0"))


def money(centimes_: int) -> Markup:
    """The amount in the page's language, kept left-to-right inside Arabic text."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(words.money(centimes_, g.lang))
