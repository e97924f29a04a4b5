"""The picture a shared link shows: 1200×630, a product's display photo beside its
title, price and cooperative, in the visitor's language. No Flask here.

Arabic is shaped and laid out right to left by Pillow's raqm engine (HarfBuzz and
FriBiDi), in Amiri, Debian's naskh typeface (``make fonts``); a server without it draws
with DejaVu Sans, which has Arabic letters too, shaped all the same.

Made once per version: the file name is a hash of everything drawn (the product's
revision, the words, the photo's hash, the layout), stored under
``<media dir>/share/<subject>/``; a new version replaces the older file of its language.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps, features

from . import media

WIDTH, HEIGHT = 1200, 630
LAYOUT = "3"  # bump when the drawing changes: every card is made again
JPEG_QUALITY = 84
FOLDER = "share"
CONTENT_TYPE = "image/jpeg"

# Debian's packages, in order: Amiri (fonts-hosny-amiri) for Arabic, DejaVu
# (fonts-dejavu-core) for Latin text and as the fallback of both.
ARABIC_FONTS = {
    "bold": (
        "/usr/share/fonts/opentype/fonts-hosny-amiri/Amiri-Bold.ttf",
        "/usr/share/fonts/truetype/fonts-hosny-amiri/Amiri-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    "regular": (
        "/usr/share/fonts/opentype/fonts-hosny-amiri/Amiri-Regular.ttf",
        "/usr/share/fonts/truetype/fonts-hosny-amiri/Amiri-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ),
}
LATIN_FONTS = {
    "bold": ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",),
    "regular": ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",),
}

PAPER = (250, 245, 237)
INK = (38, 30, 24)
ACCENT = (167, 71, 36)  # terracotta, the site's colour
MUTED = (104, 92, 82)
ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# Lines break at plain spaces only: the no-break spaces of a price ("4\u202f500\u00a0DH")
# hold it together, and keep its digits in order inside Arabic (bidi class CS, not WS).
SPACES = re.compile(r"[ \t\r\n]+")


@dataclass(frozen=True)
class Card:
    """What a card shows. ``lang`` is the visitor's: it sets the side the text reads from."""

    lang: str
    title: str
    price: str = ""
    cooperative: str = ""
    site: str = ""
    photo_sha256: str | None = None


def key(card: Card, revision: str) -> str:
    raw = json.dumps([LAYOUT, revision, asdict(card)], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def stored(media_dir: str | Path, subject: str, version: str, lang: str) -> Path:
    """Where the card of ``subject`` whose key is ``version`` is (or will be) stored."""
    folder = Path(media_dir) / FOLDER / hashlib.sha256(subject.encode()).hexdigest()[:20]
    return folder / f"{version}-{lang}.jpg"


def path_for(media_dir: str | Path, subject: str, card: Card, revision: str) -> Path:
    return stored(media_dir, subject, key(card, revision), card.lang)


def ensure(media_dir: str | Path, subject: str, card: Card, revision: str) -> Path:
    """The card's file, drawn now if this version has none yet; older versions of the
    same language are removed."""
    path = path_for(media_dir, subject, card, revision)
    if path.is_file():
        return path
    data = render(card, media_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{secrets.token_hex(6)}.tmp")
    media.write_file(tmp, data)
    os.replace(tmp, path)  # whole or absent: a reader never sees half a JPEG
    for old in path.parent.glob(f"*-{card.lang}.jpg"):
        if old != path:
            old.unlink(missing_ok=True)
    return path


# --- drawing -------------------------------------------------------------------------


def _layout() -> ImageFont.Layout:
    return ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC


@lru_cache(maxsize=32)
def _font(arabic: bool, weight: str, size: int) -> ImageFont.FreeTypeFont:
    for candidate in (ARABIC_FONTS if arabic else LATIN_FONTS)[weight]:
        if os.path.isfile(candidate):
            return ImageFont.truetype(candidate, size, layout_engine=_layout())
    return ImageFont.load_default(size)


def font_path(arabic: bool = True) -> str | None:
    """The file Arabic (or Latin) text is drawn with here, for the tests and the bench."""
    for candidate in (ARABIC_FONTS if arabic else LATIN_FONTS)["bold"]:
        if os.path.isfile(candidate):
            return candidate
    return None


@dataclass(frozen=True)
class _Style:
    weight: str
    sizes: tuple[int, ...]  # the first that fits in max_lines, else the last, cut
    colour: tuple[int, int, int]
    max_lines: int


def _fit(text: str, style: _Style, width: int):
    """(lines, font, size): the largest size whose lines fit."""
    arabic = bool(ARABIC.search(text))
    for size in style.sizes:
        font = _font(arabic, style.weight, size)
        lines = _wrap(text, font, width, 99)
        if len(lines) <= style.max_lines:
            return lines, font, size
    return _wrap(text, font, width, style.max_lines), font, size


def _options(text: str) -> dict:
    """raqm's direction and language for a line (BASIC layout takes neither)."""
    if _layout() != ImageFont.Layout.RAQM:
        return {}
    if ARABIC.search(text):
        return {"direction": "rtl", "language": "ar"}
    return {"direction": "ltr"}


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Greedy lines of whole words within ``width``; the last one ends in … if cut."""
    options = _options(text)
    words, lines, line = SPACES.split(text.strip()), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if not line or font.getlength(trial, **options) <= width:
            line = trial
            continue
        lines.append(line)
        line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:  # cut at a word, the ellipsis within the line
        lines = lines[:max_lines]
        last = lines[-1].split(" ")
        while len(last) > 1 and font.getlength(" ".join(last) + " …", **options) > width:
            last.pop()
        lines[-1] = " ".join(last) + " …"
    for i, current in enumerate(lines):  # one word longer than the line: cut it
        while font.getlength(current, **options) > width and len(current) > 2:
            current = current[:-2] + "…"
        lines[i] = current
    return lines


def _cover(photo: Image.Image, size: tuple[int, int]) -> Image.Image:
    return ImageOps.fit(photo.convert("RGB"), size, Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def _photo(card: Card, media_dir: str | Path | None) -> Image.Image | None:
    if not card.photo_sha256 or media_dir is None:
        return None
    info = media.load(media_dir, card.photo_sha256)
    if info is None:
        return None
    with Image.open(info.variants["display.jpg"]["path"]) as im:
        im.draft("RGB", (WIDTH, HEIGHT))
        return im.convert("RGB")


def render(card: Card, media_dir: str | Path | None = None) -> bytes:
    """The JPEG bytes of the card."""
    canvas = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(canvas)
    rtl = card.lang == "ar"
    photo = _photo(card, media_dir)
    pad = 56
    if photo is not None:
        # The photo at the end of the reading line (left in Arabic), the words first.
        side = 560
        box = (0, 0) if rtl else (WIDTH - side, 0)
        canvas.paste(_cover(photo, (side, HEIGHT)), box)
        left = side + pad if rtl else pad
        right = WIDTH - pad if rtl else WIDTH - side - pad
    else:
        left, right = pad + 24, WIDTH - pad - 24
    # A band of the site's colour along the top, as on the pages.
    draw.rectangle((0, 0, WIDTH, 12), fill=ACCENT)
    width = right - left
    blocks: list[tuple[str, _Style]] = [
        (card.site, _Style("bold", (36,), ACCENT, 1)),
        (card.title, _Style("bold", (62, 54, 46, 40), INK, 3)),
        (card.price, _Style("bold", (50, 42), ACCENT, 1)),
        (card.cooperative, _Style("regular", (40, 34), MUTED, 2)),
    ]
    laid: list[tuple[list[str], ImageFont.FreeTypeFont, _Style, dict, int]] = []
    for text, style in blocks:
        text = SPACES.sub(" ", text).strip()
        if not text:
            continue
        lines, font, size = _fit(text, style, width)
        step = round(size * (1.55 if ARABIC.search(text) else 1.25))
        laid.append((lines, font, style, _options(text), step))
    gaps = 22
    total = sum(len(lines) * step for lines, *_, step in laid) + gaps * (len(laid) - 1)
    y = max(pad, (HEIGHT - total) // 2)
    for lines, font, style, options, step in laid:
        for line in lines:
            anchor = "rm" if rtl else "lm"
            x = right if rtl else left
            draw.text((x, y + step // 2), line, font=font, fill=style.colour, anchor=anchor,
                      **options)  # fmt: skip
            y += step
        y += gaps
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()
