"""Trainers' voice clips: check the bytes, read the real format and duration, strip the
tags and store the clip once per upload hash. No Flask here.

The same upload path as photos (tus, the declared SHA-256 checked first), the same
layout as the photo pipeline (api/services/media.py): ``<media dir>/<sha256[:2]>/<sha256>/``
with ``audio.<ext>`` and ``info.json`` (``"kind": "audio"``), built aside and renamed
into place whole. ``sha256`` names the upload, as for photos; ``content_sha256`` in
info.json is the hash of the bytes served, after the tags were taken out.

mutagen reads the container and stream headers (Ogg pages and the OpusHead packet, MP4
atoms, MPEG frames and the Xing/LAME header) without decoding a sample, and deletes the
tags by rewriting the container, so title, artist, comments and any location a recorder
wrote do not travel on. Accepted: Opus in Ogg, AAC in MP4 (.m4a), MP3: what Android
records and plays without a codec of its own.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen import MutagenError
from mutagen.apev2 import delete as delete_ape
from mutagen.id3 import delete as delete_id3
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus

from .media import TMP_DIR, MediaRejected, Sha256Mismatch, file_sha256, media_path, publish_dir

KIND = "audio"
# sniffed kind -> (mutagen class, stored file name, content type)
FORMATS: dict[str, tuple[Any, str, str]] = {
    "opus": (OggOpus, "audio.opus", "audio/ogg"),
    "m4a": (MP4, "audio.m4a", "audio/mp4"),
    "mp3": (MP3, "audio.mp3", "audio/mpeg"),
}
ACCEPTED = ["audio/ogg (Opus)", "audio/mp4 (AAC, .m4a)", "audio/mpeg (MP3)"]
# What a phone or a recorder might call a clip, by name or declared type: such an upload
# that is not a clip we accept is refused as audio, not as a photo.
AUDIO_SUFFIXES = (".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".mp3", ".wav", ".amr")
MP4_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"iso2", b"dash", b"3gp4")
HEAD_BYTES = 64


class UnsupportedAudioType(MediaRejected):
    status = 415
    code = "unsupported_audio_type"


class AudioTooLarge(MediaRejected):
    status = 413
    code = "audio_too_large"


class AudioTooLong(MediaRejected):
    status = 422
    code = "audio_too_long"


class AudioUnreadable(MediaRejected):
    code = "audio_unreadable"
    message = "The voice clip is damaged or incomplete (truncated?); record or export it again."


@dataclass
class AudioInfo:
    """A stored clip; ``media()`` is the object a lesson step carries."""

    sha256: str
    content_type: str
    bytes: int
    duration_ms: int
    bitrate: int  # bits per second, of the stored file
    codec: str
    file: str
    content_sha256: str
    path: str = ""

    def media(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "bytes": self.bytes,
            "content_type": self.content_type,
            "duration_ms": self.duration_ms,
        }


def sniff(head: bytes) -> str | None:
    """The clip's real format from its first bytes, whatever its name says."""
    if head.startswith(b"OggS") and b"OpusHead" in head[:HEAD_BYTES]:
        return "opus"
    if head[4:8] == b"ftyp" and head[8:12] in MP4_AUDIO_BRANDS:
        return "m4a"
    if head.startswith(b"ID3"):
        return "mp3"
    # An MPEG audio frame header: 11 sync bits, MPEG 1/2/2.5, layer III.
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 == 0x02:
        return "mp3"
    return None


def sniff_file(path: str | Path) -> str | None:
    with open(path, "rb") as fh:
        return sniff(fh.read(HEAD_BYTES))


def declared_audio(metadata: dict[str, str]) -> bool:
    """The uploader said it is a clip (by content type or file name)."""
    content_type = metadata.get("content_type", "").lower()
    name = metadata.get("filename", "").lower()
    return content_type.startswith("audio/") or name.endswith(AUDIO_SUFFIXES)


def refuse_unsupported(detected: str | None = None) -> UnsupportedAudioType:
    return UnsupportedAudioType(
        "This file is not a voice clip we accept: record it as Opus (.ogg), AAC (.m4a) or MP3.",
        details={"detected": detected, "accepted": ACCEPTED},
    )


def ingest(
    src: str | Path,
    declared_sha256: str,
    media_dir: str | Path,
    *,
    max_bytes: int,
    max_seconds: int,
) -> AudioInfo:
    """Check ``src`` and store the clip without its tags (once per hash); raises
    MediaRejected (nothing is kept then)."""
    sha256 = file_sha256(src)
    if sha256 != declared_sha256:
        raise Sha256Mismatch(details={"declared": declared_sha256, "received": sha256})
    existing = load(media_dir, sha256)
    if existing is not None:
        return existing
    kind = sniff_file(src)
    if kind is None:
        raise refuse_unsupported()
    size = Path(src).stat().st_size
    if size > max_bytes:
        raise AudioTooLarge(
            f"This clip weighs {size:,} bytes; a lesson's clip may weigh {max_bytes:,}. "
            "Record it shorter, or at a lower bitrate (24-32 kbps is plenty for a voice).",
            details={"bytes": size, "max_bytes": max_bytes},
        )
    tmp = Path(media_dir) / TMP_DIR / secrets.token_hex(8)
    tmp.mkdir(parents=True)
    try:
        reader, name, content_type = FORMATS[kind]
        work = tmp / name
        shutil.copyfile(src, work)
        length = _read(reader, work, kind).info.length
        if length > max_seconds:
            raise AudioTooLong(
                f"This clip lasts {length:.0f} s; a lesson's clip may last {max_seconds} s.",
                details={"duration_ms": round(length * 1000), "max_seconds": max_seconds},
            )
        _strip_tags(reader, work, kind)
        clip = _read(reader, work, kind)
        stored = work.stat().st_size
        info = AudioInfo(
            sha256=sha256,
            content_type=content_type,
            bytes=stored,
            duration_ms=round(clip.info.length * 1000),
            bitrate=_bitrate(clip.info, stored),
            codec=_codec(clip.info, kind),
            file=name,
            content_sha256=file_sha256(work),
        )
        (tmp / "info.json").write_text(json.dumps(_info_json(info)))
        _fsync(work)
        publish_dir(tmp, media_path(media_dir, sha256))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    stored_info = load(media_dir, sha256)
    if stored_info is None:  # pragma: no cover - the directory was just renamed into place
        raise FileNotFoundError(media_path(media_dir, sha256))
    return stored_info


def load(media_dir: str | Path, sha256: str) -> AudioInfo | None:
    """The clip stored for ``sha256``, or None (nothing, or a photo)."""
    folder = media_path(media_dir, sha256)
    try:
        data = json.loads((folder / "info.json").read_text())
    except FileNotFoundError:
        return None
    if data.get("kind") != KIND:
        return None
    fields = {k: data[k] for k in AudioInfo.__dataclass_fields__ if k in data}
    return AudioInfo(**{**fields, "sha256": sha256, "path": str(folder / data["file"])})


def _read(reader: Any, path: Path, kind: str) -> Any:
    try:
        clip = reader(path)
    except (MutagenError, ValueError, EOFError, OSError) as exc:
        # mutagen's words for a header it cannot parse (a text file named .ogg gets here
        # only if its first bytes look like a container; truncated files do too).
        raise AudioUnreadable(details={"reason": str(exc)}) from exc
    length = getattr(clip.info, "length", 0) or 0
    if length <= 0:
        raise AudioUnreadable(details={"reason": "no duration in the stream's headers"})
    if kind == "m4a" and not _codec(clip.info, kind).startswith("mp4a"):
        raise refuse_unsupported(f"audio/mp4 ({_codec(clip.info, kind) or 'no audio track'})")
    return clip


def _strip_tags(reader: Any, path: Path, kind: str) -> None:
    """Delete the tags in place: ID3v1/v2 (MP3), the OpusTags comments (the vendor string
    stays: the spec requires it), the MP4 ``ilst`` atom."""
    try:
        if kind == "mp3":
            delete_id3(path, delete_v1=True, delete_v2=True)
            delete_ape(path)
        else:
            reader(path).delete()
    except (MutagenError, ValueError, EOFError, OSError) as exc:
        raise AudioUnreadable(details={"reason": f"tags could not be removed: {exc}"}) from exc


def _bitrate(stream: Any, stored: int) -> int:
    declared = getattr(stream, "bitrate", 0) or 0
    return int(declared) if declared else round(stored * 8 / stream.length)


def _codec(stream: Any, kind: str) -> str:
    if kind == "opus":
        return "opus"
    if kind == "mp3":
        return "mp3"
    return getattr(stream, "codec", "") or ""


def _info_json(info: AudioInfo) -> dict[str, Any]:
    return {
        "kind": KIND,
        "content_type": info.content_type,
        "bytes": info.bytes,
        "duration_ms": info.duration_ms,
        "bitrate": info.bitrate,
        "codec": info.codec,
        "file": info.file,
        "content_sha256": info.content_sha256,
    }


def _fsync(path: Path) -> None:
    """The clip on disk before its folder is renamed into place (as media.write_file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
