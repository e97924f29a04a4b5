"""Processed photos at ``/media/{sha256}/{variant}``, and trainers' voice clips at
``/media/{sha256}/audio``, outside the REST API.

A plain Blueprint, not a restx Namespace: the restx Api is mounted under /api/v1, these
are image bytes for <img> tags and image loaders, and they are public (the URL is the
content hash, so it is immutable and cached for a year). Originals are never stored.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, request, send_file

from ..errors import NotFound
from ..errors import handle as error_response
from ..services import audio
from ..services.media import media_path
from ..state import hirfa

blueprint = Blueprint("media", __name__, url_prefix="/media")

SHA256 = re.compile(r"^[0-9a-f]{64}$")
# variant -> (WebP file, JPEG file). There is no JPEG thumbnail: a client that cannot
# decode WebP (old Safari; every Android since 4.0 can) gets the display JPEG instead.
FILES = {"thumb": ("thumb.webp", "display.jpg"), "display": ("display.webp", "display.jpg")}
IMMUTABLE = "public, max-age=31536000, immutable"


def accepts_webp() -> bool:
    """WebP only when asked for by name: ``*/*`` or ``image/*`` do not prove support."""
    return any(value == "image/webp" and quality > 0 for value, quality in request.accept_mimetypes)


@blueprint.get("/<string:sha256>/<string:variant>")
def serve(sha256: str, variant: str):
    """A derivative, as WebP or JPEG by ``Accept``; ETag, 304 and Range by werkzeug."""
    if SHA256.match(sha256) and variant == audio.KIND:
        return _audio(sha256)
    if not SHA256.match(sha256) or variant not in FILES:
        raise NotFound("No such photo variant.", details={"variants": sorted([*FILES, audio.KIND])})
    webp, jpeg = FILES[variant]
    name = webp if accepts_webp() else jpeg
    path = media_path(Path(hirfa().settings.media_dir), sha256) / name
    if not path.is_file():
        raise NotFound("No such photo (not uploaded, or still processing).")
    response = send_file(
        path.resolve(),
        mimetype="image/webp" if name.endswith(".webp") else "image/jpeg",
        conditional=True,
        etag=f"{sha256[:32]}-{name}",  # content-addressed: stable across servers
        max_age=None,
    )
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["Vary"] = "Accept"
    return response


def _audio(sha256: str):
    """A trainer's voice clip (api/services/audio.py), in the format it was recorded in;
    ``Range: bytes=N-`` answers 206 with the rest, so a cut download resumes."""
    clip = audio.load(hirfa().settings.media_dir, sha256)
    if clip is None:
        raise NotFound("No such voice clip (not uploaded, or still processing).")
    response = send_file(
        Path(clip.path).resolve(),
        mimetype=clip.content_type,
        conditional=True,
        etag=clip.content_sha256,  # the hash of the bytes served: tags already removed
        max_age=None,
    )
    response.headers["Cache-Control"] = IMMUTABLE
    return response


@blueprint.errorhandler(Exception)
def _error(exc: Exception):
    return error_response(exc)
