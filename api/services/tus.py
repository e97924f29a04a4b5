"""The tus 1.0.0 protocol's vocabulary: version, extensions, request headers, errors.

Spec: https://tus.io/protocols/resumable-upload. No Flask: header values come in as strings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from ..errors import AppError, ValidationFailed

TUS_VERSION = "1.0.0"
EXTENSIONS = ("creation", "creation-with-upload", "termination", "checksum", "expiration")
CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
METADATA_LIMITS = {"sha256": 64, "filename": 255, "content_type": 100, "photo_id": 200}


class TusVersionUnsupported(AppError):
    status = 412
    code = "tus_version_unsupported"
    message = "Send `Tus-Resumable: 1.0.0`: this server speaks tus 1.0.0."


class OffsetMismatch(AppError):
    status = 409
    code = "offset_mismatch"
    message = "Upload-Offset is not where this upload stands: ask with HEAD and resume there."


class ChecksumMismatch(AppError):
    status = 460  # tus checksum extension: "Checksum Mismatch"
    code = "checksum_mismatch"
    message = "The chunk does not match its Upload-Checksum; it was discarded. Send it again."


class UploadLocked(AppError):
    status = 423
    code = "upload_locked"
    message = "Another request is writing to this upload; retry in a moment."


class UploadExpired(AppError):
    status = 410
    code = "upload_expired"
    message = "This upload expired before it was finished; start a new one."


def check_version(header: str | None) -> None:
    if header != TUS_VERSION:
        raise TusVersionUnsupported(
            details={"got": header, "supported": [TUS_VERSION]},
            headers={"Tus-Version": TUS_VERSION},
        )


DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() accepts "²", int() does not


def parse_length(header: str | None, name: str) -> int:
    if header is None or not DIGITS.fullmatch(header):
        raise ValidationFailed(
            f"{name} must be a non-negative integer of at most 18 digits.",
            details={"fields": {name: [header]}},
        )
    return int(header)


def parse_metadata(header: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64(value)``; ``sha256`` is required."""
    found: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for pair in filter(None, (p.strip() for p in (header or "").split(","))):
        key, _, encoded = pair.partition(" ")
        try:
            value = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            errors[key] = ["not base64 of UTF-8 text"]
            continue
        if key in found:
            errors[key] = ["given twice"]
        elif key in METADATA_LIMITS:  # other keys are allowed by tus and ignored here
            if len(value) > METADATA_LIMITS[key]:
                errors[key] = [f"longer than {METADATA_LIMITS[key]} characters"]
            found[key] = value
    sha = found.get("sha256", "").lower()
    if not SHA256_HEX.match(sha):
        errors["sha256"] = ["required: the SHA-256 of the whole file, 64 hex digits"]
    if errors:
        raise ValidationFailed(
            "Upload-Metadata is invalid.",
            details={"fields": {f"Upload-Metadata.{k}": v for k, v in errors.items()}},
        )
    found["sha256"] = sha
    return found


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    if not header:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in CHECKSUMS:
        raise AppError(
            f"Upload-Checksum algorithm {algorithm!r} is not supported.",
            details={"supported": sorted(CHECKSUMS)},
        )
    try:
        return algorithm, base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error as exc:
        raise AppError("Upload-Checksum is not base64.") from exc
