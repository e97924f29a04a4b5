"""A certificate on paper: the QR code of its verification page, and the PDF.

The PDF is the print page's HTML laid out by WeasyPrint, whose text goes through Pango
and HarfBuzz: Arabic comes out shaped (joined letters) and right to left, as in a
browser. WeasyPrint needs the system's Pango; a server without it still serves the HTML
print page, and ``pdf`` raises ``PdfUnavailable`` instead of failing at start-up.
"""

from __future__ import annotations

import threading
from typing import Any

import segno
from PIL import ImageFile


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it loads (Pango, HarfBuzz) are missing."""


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as an inline ``<svg>`` element (no XML declaration), sized
    by its viewBox so the page's CSS decides how large it prints. Error correction M: a
    crease or a coffee stain on the paper still scans."""
    return segno.make(url, error="m", micro=False).svg_inline(
        scale=1, border=2, omitsize=True, svgclass="qr", lineclass=None
    )


# Pango and fontconfig are not known to be safe to drive from two threads at once, and a
# certificate is printed rarely: one layout at a time.
_LOCK = threading.Lock()
_weasyprint: Any = None


def _load() -> Any:
    global _weasyprint
    if _weasyprint is None:
        # Imported on first use, not at start-up: it loads Pango through ctypes (half a
        # second, and an OSError on a server without it), which no other page needs.
        try:
            import weasyprint
        except (ImportError, OSError) as exc:
            raise PdfUnavailable(f"WeasyPrint cannot load: {exc}") from exc
        # Importing it turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process,
        # which would let the photo pipeline (api/services/media.py) store half a JPEG.
        # Certificates carry no raster image: Pillow's default is put back.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        _weasyprint = weasyprint
    return _weasyprint


def pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML page (A4 from its ``@page`` rule)."""
    weasyprint = _load()
    with _LOCK:
        # The print page carries its stylesheet and QR code inline: nothing is fetched,
        # so nothing in a certificate can make the server open a URL or read a file.
        nothing = weasyprint.urls.URLFetcher(allowed_protocols=())
        document = weasyprint.HTML(string=html, url_fetcher=nothing)
        return document.write_pdf()
