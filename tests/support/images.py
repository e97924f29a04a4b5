"""Image files for the upload and media tests, generated with Pillow (no binary fixtures)."""

from __future__ import annotations

import base64
import hashlib
import io
import random
import struct
import zlib

from PIL import ExifTags, Image, ImageDraw

ORIENTATION = 0x0112
GPS_MAP_DATUM = 0x0012  # an ASCII GPS tag, so "GPS" can be looked for in the bytes


def textured(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Noise plus shapes: compresses like a photo, unlike a flat colour."""
    rnd = random.Random(seed)
    noise = Image.merge("RGB", [Image.effect_noise(size, 48) for _ in range(3)])
    draw = ImageDraw.Draw(noise)
    for _ in range(12):
        x, y, r = rnd.randrange(size[0]), rnd.randrange(size[1]), rnd.randrange(10, 200)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), outline=colour, width=8)
    return noise


def jpeg(size: tuple[int, int] = (800, 600), seed: int = 0, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    textured(size, seed).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def jpeg_with_gps(orientation: int = 6) -> bytes:
    """A landscape JPEG, left half red and right half blue, with an orientation tag,
    GPS coordinates, XMP and a comment: everything the pipeline must apply or drop."""
    im = Image.new("RGB", (400, 300), (220, 20, 20))
    im.paste((20, 20, 220), (200, 0, 400, 300))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[ExifTags.Base.Make] = "HirfaPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 37.0, 48.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (8.0, 0.0, 36.0)
    gps[GPS_MAP_DATUM] = "GPS-WGS-84"
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, exif=exif, xmp=xmp, comment=b"Douar Ait Ben Haddou")
    return buf.getvalue()


def gif() -> bytes:
    buf = io.BytesIO()
    Image.new("P", (64, 64), 3).save(buf, "GIF")
    return buf.getvalue()


def png(size: tuple[int, int] = (300, 200), alpha: bool = False) -> bytes:
    im = textured(size, seed=5).convert("RGBA" if alpha else "RGB")
    if alpha:
        im.putalpha(Image.linear_gradient("L").resize(size))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A few hundred bytes declaring ``width``×``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def metadata_header(data: bytes, **extra: str) -> str:
    """``Upload-Metadata`` for ``data``: its sha256 plus ``extra`` pairs."""
    pairs = {"sha256": sha256(data), **extra}
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())
