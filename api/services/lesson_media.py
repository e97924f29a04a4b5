"""What a lesson step names: a picture or a voice clip uploaded by a trainer, as the
``media`` object of schemas/training.py (``{sha256, bytes, content_type, duration_ms}``).
No Flask here.

A trainer uploads either through the one tus path (api/resources/uploads.py): a photo
goes through the photo pipeline (api/services/media.py), a voice clip through
api/services/audio.py. A lesson shows the picture's display derivative in WebP (every
Android phone since 4.0 decodes it): that is the file a course bundle carries and what
``bytes`` counts against the lesson's download budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import audio, media

PICTURE_FILE = "display.webp"
PICTURE_VARIANT = "display"


@dataclass
class StoredMedia:
    """One file a lesson names, as stored under the media folder."""

    kind: str  # picture | audio
    media: dict[str, Any]  # the step's media object
    path: Path
    url: str  # its /media URL
    details: dict[str, Any]  # width/height, or duration/bitrate/codec

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "media": self.media, "url": self.url, **self.details}


def find(media_dir: str | Path, sha256: str) -> StoredMedia | None:
    """The picture or clip stored for the upload ``sha256``, or None."""
    clip = audio.load(media_dir, sha256)
    if clip is not None:
        return StoredMedia(
            "audio",
            clip.media(),
            Path(clip.path),
            audio_url(sha256),
            {"bitrate": clip.bitrate, "codec": clip.codec, "content_sha256": clip.content_sha256},
        )
    photo = media.load(media_dir, sha256)
    if photo is None:
        return None
    display = photo.variants[PICTURE_FILE]
    return StoredMedia(
        "picture",
        {"sha256": sha256, "bytes": display["bytes"], "content_type": display["content_type"]},
        Path(display["path"]),
        f"/media/{sha256}/{PICTURE_VARIANT}",
        {"width": display["width"], "height": display["height"]},
    )


def audio_url(sha256: str) -> str:
    return f"/media/{sha256}/{audio.KIND}"


def named_in(course: dict[str, Any]) -> list[str]:
    """The sha256 of every picture and clip a course's steps name, first seen first."""
    seen: dict[str, None] = {}
    for lesson in course.get("lessons") or []:
        for step in lesson.get("steps") or []:
            sha = (step.get("media") or {}).get("sha256")
            if isinstance(sha, str) and sha:
                seen.setdefault(sha, None)
    return list(seen)
