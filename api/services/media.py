"""The photo pipeline: check the bytes, decode them safely, drop every metadata block,
and store small derivatives once per content hash. No Flask here.

Layout: ``<media dir>/<sha256[:2]>/<sha256>/{thumb.webp, display.webp, display.jpg,
info.json}``, where sha256 is the hash of the uploaded file. A directory appears whole
(built aside, then renamed) so a reader never sees half of it.

Originals are not kept: they carry EXIF (GPS included) that must never leak, they cost
disk on small regional servers, and nothing serves them. The price: derivatives cannot be
re-made later from the source (a new format would need the phones to upload again).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from ..errors import AppError

# Pillow only warns between 1x and 2x its MAX_IMAGE_PIXELS (docs/library-notes.md); a server
# must refuse instead. Our own, lower limit (HIRFA_MEDIA_MAX_PIXELS) is checked too.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)

THUMB_SIZE, DISPLAY_SIZE = 320, 1280
THUMB_BUDGET = 15 * 1024  # a thumbnail must load in ~4 s on 2G (35 kbps)
THUMB_QUALITIES = (72, 62, 52, 42, 32)
DISPLAY_WEBP_QUALITY, DISPLAY_JPEG_QUALITY = 75, 80
VARIANT_FILES = ("thumb.webp", "display.webp", "display.jpg")
CONTENT_TYPES = {".webp": "image/webp", ".jpg": "image/jpeg"}
ACCEPTED = ["image/jpeg", "image/png", "image/webp"]
# Pillow decoders we let near the bytes (its JPEG opener also yields MPO, which is
# what many phone cameras' JPEGs open as).
PILLOW_FORMATS = ["JPEG", "PNG", "WEBP"]
TMP_DIR = ".tmp"


class MediaRejected(AppError):
    """The uploaded file will never become a photo; the upload is dropped."""

    status = 422
    code = "media_rejected"


class Sha256Mismatch(MediaRejected):
    code = "sha256_mismatch"
    message = "The file received does not match the declared SHA-256: upload it again."


class UnsupportedImageType(MediaRejected):
    status = 415
    code = "unsupported_image_type"


class ImageTooLarge(MediaRejected):
    status = 413
    code = "image_too_large"


class ImageUnreadable(MediaRejected):
    code = "image_unreadable"
    message = "The photo file is damaged or incomplete (truncated?); take or export it again."


@dataclass
class MediaInfo:
    """What the pipeline stored: ``width``/``height`` of the upright original."""

    sha256: str
    width: int
    height: int
    # file name ("thumb.webp", ...) -> {path, bytes, content_type, width, height}
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    photo_id: str | None = None  # from the upload's metadata, when the phone sent one


def media_path(media_dir: str | Path, sha256: str) -> Path:
    return Path(media_dir) / sha256[:2] / sha256


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def sniff(head: bytes) -> str | None:
    """The real type from the first bytes (magic numbers), whatever the name says."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "image/heic"
    return None


KIND_NAMES = {"image/gif": "a GIF image", "image/heic": "a HEIC/AVIF image"}


def ingest(
    src: str | Path,
    declared_sha256: str,
    media_dir: str | Path,
    max_pixels: int,
    photo_id: str | None = None,
) -> MediaInfo:
    """Check ``src`` and store its derivatives (once per hash); raises MediaRejected."""
    sha256 = file_sha256(src)
    if sha256 != declared_sha256:
        raise Sha256Mismatch(details={"declared": declared_sha256, "received": sha256})
    existing = load(media_dir, sha256)
    if existing is not None:  # the same bytes were uploaded before: stored once
        existing.photo_id = photo_id
        return existing
    with open(src, "rb") as fh:
        kind = sniff(fh.read(16))
    if kind not in ACCEPTED:
        what = KIND_NAMES.get(kind or "", "not an image we recognise")
        raise UnsupportedImageType(
            f"This file is {what}. Only JPEG, PNG and WebP photos are accepted.",
            details={"detected": kind, "accepted": ACCEPTED},
        )
    tmp = Path(media_dir) / TMP_DIR / secrets.token_hex(8)
    tmp.mkdir(parents=True)
    try:
        width, height = _render(Path(src), max_pixels, tmp)
        (tmp / "info.json").write_text(json.dumps({"width": width, "height": height}))
        publish_dir(tmp, media_path(media_dir, sha256))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    info = load(media_dir, sha256)
    if info is None:  # pragma: no cover - the directory was just renamed into place
        raise FileNotFoundError(media_path(media_dir, sha256))
    info.photo_id = photo_id
    return info


def load(media_dir: str | Path, sha256: str) -> MediaInfo | None:
    """What is stored for ``sha256``, or None. Reads headers only."""
    folder = media_path(media_dir, sha256)
    try:
        dims = json.loads((folder / "info.json").read_text())
    except FileNotFoundError:
        return None
    if dims.get("kind", "photo") != "photo":  # a trainer's voice clip (services/audio.py)
        return None
    variants = {}
    for name in VARIANT_FILES:
        path = folder / name
        with Image.open(path) as im:
            size = im.size
        variants[name] = {
            "path": str(path),
            "bytes": path.stat().st_size,
            "content_type": CONTENT_TYPES[path.suffix],
            "width": size[0],
            "height": size[1],
        }
    return MediaInfo(sha256, dims["width"], dims["height"], variants)


def _render(src: Path, max_pixels: int, out: Path) -> tuple[int, int]:
    try:
        with Image.open(src, formats=PILLOW_FORMATS) as im:
            if im.width * im.height > max_pixels:
                raise _too_large(im.width, im.height, max_pixels)
            width, height = im.size
            if _orientation(im) in (5, 6, 7, 8):  # rotated a quarter turn
                width, height = height, width
            display = _decode_display(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(
            "This image declares more pixels than any photo has; it was refused.",
            details={"max_pixels": max_pixels, "reason": str(exc)},
        ) from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedImageType(
            "This file looks like an image but cannot be read as JPEG, PNG or WebP.",
            details={"accepted": ACCEPTED},
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow's words for truncated or corrupt data ("image file is truncated", ...).
        raise ImageUnreadable(details={"reason": str(exc)}) from exc
    thumb = _resized(display, THUMB_SIZE)  # from the display image: no second decode
    _save_webp_within(thumb, out / "thumb.webp", THUMB_BUDGET)
    _save(display, out / "display.webp", "WEBP", quality=DISPLAY_WEBP_QUALITY)
    _save(_flatten(display), out / "display.jpg", "JPEG", quality=DISPLAY_JPEG_QUALITY,
          optimize=True, progressive=True)  # fmt: skip
    return width, height


def _too_large(width: int, height: int, max_pixels: int) -> ImageTooLarge:
    return ImageTooLarge(
        f"This image has {width}×{height} pixels; the limit is {max_pixels:,} pixels.",
        details={"width": width, "height": height, "max_pixels": max_pixels},
    )


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(0x0112, 1))
    except (OSError, SyntaxError, ValueError, TypeError):  # a broken EXIF block
        return 1


def _decode_display(im: Image.Image) -> Image.Image:
    """Decode at the smallest JPEG scale (1/2, 1/4, 1/8) still ≥ the display size, turn
    upright, make RGB(A) and colour-manage to sRGB; the result carries no metadata."""
    longest = max(im.size)
    if im.format in ("JPEG", "MPO") and longest > DISPLAY_SIZE:
        scale = DISPLAY_SIZE / longest
        # draft(): libjpeg's DCT scaling; a 12 MP photo decodes as 3 MP, not 12.
        im.draft("RGB", (max(1, int(im.width * scale)), max(1, int(im.height * scale))))
    im.load()
    icc = im.info.get("icc_profile")
    alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
    mode = "RGBA" if alpha else "RGB"
    # Resized first, turned upright after: the same pixels, a quarter of the work. The
    # resized copy still has the EXIF that exif_transpose reads.
    display = _resized(im if im.mode == mode else im.convert(mode), DISPLAY_SIZE)
    ImageOps.exif_transpose(display, in_place=True)
    if icc:
        display = _to_srgb(display, icc)
    display.info = {}  # EXIF (GPS), XMP, ICC, comments: nothing travels on
    return display


def _resized(im: Image.Image, longest: int) -> Image.Image:
    """A copy whose longest side is at most ``longest``; ``info`` is copied along."""
    if max(im.size) <= longest:
        return im.copy()
    scale = longest / max(im.size)
    size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
    # Below 2x (after draft) bicubic is as sharp as Lanczos and a third cheaper; for a
    # 4x thumbnail, reducing_gap lets Pillow box-reduce first, then filter what is left.
    if scale > 0.5:
        return im.resize(size, Image.Resampling.BICUBIC)
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(im: Image.Image, icc: bytes) -> Image.Image:
    """Pixels in the photo's colour space, converted to sRGB so its profile can go."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(im, source, _SRGB, outputMode=im.mode) or im
    except (ImageCms.PyCMSError, OSError, ValueError):  # a broken profile: keep pixels
        return im


def _flatten(im: Image.Image) -> Image.Image:
    if im.mode != "RGBA":
        return im
    white = Image.new("RGB", im.size, (255, 255, 255))
    white.paste(im, mask=im.getchannel("A"))
    return white


def _save(im: Image.Image, path: Path, fmt: str, **options: Any) -> None:
    buf = io.BytesIO()
    im.save(buf, fmt, exif=b"", **options)
    write_file(path, buf.getvalue())


def _save_webp_within(im: Image.Image, path: Path, budget: int) -> None:
    """The best quality that fits the byte budget (the last one tried if none does)."""
    for quality in THUMB_QUALITIES:
        buf = io.BytesIO()
        im.save(buf, "WEBP", quality=quality, exif=b"")
        if buf.tell() <= budget:
            break
    write_file(path, buf.getvalue())


def write_file(path: Path, data: bytes) -> None:
    """Write and fsync: the bytes are on disk before their folder is renamed into place."""
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def publish_dir(tmp: Path, final: Path) -> None:
    """Rename the finished directory into place; whoever renames first wins."""
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(tmp, final)
    except OSError:
        if not (final / "info.json").is_file():
            raise
        return  # a concurrent upload of the same bytes got there first: same content
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)  # the rename itself survives a power cut
    finally:
        os.close(fd)


def purge_temp(media_dir: str | Path, older_than_seconds: float = 3600) -> int:
    """Remove work directories left by a crash in the middle of processing."""
    root = Path(media_dir) / TMP_DIR
    if not root.is_dir():
        return 0
    cutoff, removed = time.time() - older_than_seconds, 0
    for entry in root.iterdir():
        if entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed
