"""Text normalisation for search, so a buyer finds a piece however the artisan spelled it.

Unicode compatibility forms (Arabic presentation forms, ligatures) are folded first
(NFKC). Arabic: diacritics (tashkeel) and tatweel are removed; the forms of alef (أ إ آ ٱ) become
ا, ta marbuta ة becomes ه, alef maqsura ى becomes ي, hamza on waw/ya (ؤ ئ) their bare
letter, and Persian kaf/ya (ک ی) the Arabic ones. Latin: accents removed, case folded.
The definite article is stripped. The same functions run on the indexed text and on
the query.
"""

from __future__ import annotations

import re
import unicodedata

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ؤ": "و",
        "ئ": "ي",
        "ک": "ك",
        "ی": "ي",
    }
)
_WORD = re.compile(r"\w+", re.UNICODE)
# The definite article and the conjunctions/prepositions written onto it: "الزربية"
# (the carpet) must match "زربية". Longest first; the word must keep 2+ letters.
_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")


def normalise(text: str) -> str:
    # NFKC first: Arabic presentation forms (U+FB50-FDFF, U+FE70-FEFF: "ﻛﺒﻴﺮﺓ", pasted
    # from PDFs and old keyboards) become the letters the rules below know.
    text = unicodedata.normalize("NFKC", text)
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)
    # Latin accents: decompose and drop combining marks (Arabic marks are gone already).
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text.casefold()


def _strip_article(word: str) -> str:
    for article in _ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2:
            return word[len(article) :]
    return word


def tokens(text: str) -> list[str]:
    return [_strip_article(w) for w in _WORD.findall(normalise(text))]


def fts_query(text: str) -> str | None:
    """A safe FTS5 query: every word must match, as a prefix (``"word"*``)."""
    words = tokens(text)[:12]
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)
