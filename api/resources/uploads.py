"""Resumable photo uploads with tus 1.0.0 (https://tus.io/protocols/resumable-upload).

Plain restx Resources answering with raw Responses: tus needs bodies streamed to disk,
headers as its API and status codes of its own (460), which restx passes through.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path

from flask import Response, request
from flask_restx import Resource
from werkzeug.http import http_date

from ..errors import AppError, UnsupportedMediaType, from_exception
from ..errors import error_response as json_error
from ..rest import namespace
from ..security import current_user, login_required
from ..services import audio, media, tus, uploads
from ..state import hirfa

ns = namespace(
    "uploads",
    "Resumable photo uploads (tus 1.0.0): create, resume with HEAD, append with PATCH. "
    "Send `Tus-Resumable: 1.0.0` and a bearer token on every request but OPTIONS.",
)
CHUNK_TYPE = "application/offset+octet-stream"
UPLOAD_ROLES = ("artisan", "coordinator", "admin")
# Trainers (docs/training.md) may also upload lessons' voice clips (api/services/audio.py).
TRAINER_ROLES = ("coordinator", "admin")


def tus_response(fn: Callable) -> Callable:
    """Every answer, errors included (in our error shape), says which tus it speaks."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            response = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001  every error becomes our JSON shape
            error = from_exception(exc)
            response = json_error(error)
            if error.status == 460:  # unknown to werkzeug: give the spec's reason phrase
                response.status = "460 Checksum Mismatch"
        if not response.content_length and not response.is_streamed:
            del response.headers["Content-Type"]  # tus answers are headers only
        response.headers["Tus-Resumable"] = tus.TUS_VERSION
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapper


def _space() -> uploads.UploadSpace:
    return uploads.UploadSpace.from_settings(hirfa().settings)


def media_dir() -> Path:
    return Path(hirfa().settings.media_dir)


def _process(path, upload: uploads.Upload) -> media.MediaInfo | audio.AudioInfo:
    if current_user().role in TRAINER_ROLES:
        kind = audio.sniff_file(path)
        if kind is not None or (
            audio.declared_audio(upload.metadata) and media.sniff(_head(path)) is None
        ):
            settings = hirfa().settings
            return audio.ingest(
                path,
                upload.sha256,
                media_dir(),
                max_bytes=settings.audio_max_bytes,
                max_seconds=settings.audio_max_seconds,
            )
    return media.ingest(
        path,
        upload.sha256,
        media_dir(),
        hirfa().settings.media_max_pixels,
        photo_id=upload.metadata.get("photo_id"),
    )


def _head(path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(16)


def _on_ready(db, info: media.MediaInfo | audio.AudioInfo) -> None:
    if not isinstance(info, media.MediaInfo):  # a voice clip: no photo document waits
        return
    for callback in hirfa().on_media_ready:
        callback(db, info)


def _receive(upload_id: str, offset: int) -> uploads.Upload:
    """Stream this request's body into the upload (PATCH, or POST with a first chunk)."""
    if request.mimetype != CHUNK_TYPE:
        raise UnsupportedMediaType(
            f"Send chunks as `Content-Type: {CHUNK_TYPE}`.",
            details={"content_type": request.content_type, "expected": CHUNK_TYPE},
        )
    # MAX_CONTENT_LENGTH is sized for JSON bodies; a chunk may be as large as an upload.
    request.max_content_length = hirfa().settings.upload_max_bytes
    return uploads.receive(
        hirfa().db(),
        _space(),
        upload_id,
        current_user().id,
        offset=offset,
        body=request.stream,
        content_length=request.content_length,
        checksum=tus.parse_checksum(request.headers.get("Upload-Checksum")),
        process=_process,
        on_ready=_on_ready,
    )


def _refuse_heavy_clip(length: int, metadata_header: str | None) -> None:
    """A clip that says it is one and is over budget is refused before its bytes travel."""
    limit = hirfa().settings.audio_max_bytes
    if length <= limit or current_user().role not in TRAINER_ROLES:
        return
    if audio.declared_audio(tus.parse_metadata(metadata_header)):
        raise audio.AudioTooLarge(
            f"This clip weighs {length:,} bytes; a lesson's clip may weigh {limit:,}.",
            details={"bytes": length, "max_bytes": limit},
        )


def _state_headers(upload: uploads.Upload) -> dict[str, str]:
    headers = {"Upload-Offset": str(upload.received)}
    if not upload.complete:
        headers["Upload-Expires"] = http_date(upload.expires_at)
    elif audio.declared_audio(upload.metadata) or audio.load(media_dir(), upload.sha256):
        # a trainer's clip: its step's media object at /lesson-media/{sha256}
        headers["Link"] = f'</api/v1/lesson-media/{upload.sha256}>; rel="describedby"'
    else:  # where the processed photo is, for a client that wants to show it at once
        headers["Link"] = f'</media/{upload.sha256}/thumb>; rel="preview"'
    return headers


def _discovery() -> Response:
    return Response(
        status=204,
        headers={
            "Tus-Version": tus.TUS_VERSION,
            "Tus-Extension": ",".join(tus.EXTENSIONS),
            "Tus-Max-Size": str(hirfa().settings.upload_max_bytes),
            "Tus-Checksum-Algorithm": ",".join(sorted(tus.CHECKSUMS)),
        },
    )


def _header(description: str, example: str) -> dict[str, str]:
    return {"type": "string", "description": description, "x-example": example}


DISCOVERY = {
    "Tus-Version": _header("protocol versions spoken", "1.0.0"),
    "Tus-Extension": _header(
        "extensions", "creation,creation-with-upload,checksum,termination,expiration"
    ),
    "Tus-Max-Size": _header("largest upload, in bytes", "26214400"),
    "Tus-Checksum-Algorithm": _header("for Upload-Checksum", "sha1,sha256"),
}
STATE = {
    "Upload-Offset": _header("bytes the server holds", "32768"),
    "Upload-Expires": _header(
        "when an unfinished upload is dropped", "Wed, 02 Dec 2026 19:00:00 GMT"
    ),
}


# Swagger 2.0 has no `example` for parameters: `x-example` is what Swagger UI fills in.
TUS_HEADERS = {
    "Tus-Resumable": {
        "in": "header",
        "description": "always `1.0.0`",
        "enum": [tus.TUS_VERSION],
        "required": True,
        "x-example": "1.0.0",
    },
}
# A byte count or offset: tus.parse_length takes at most 18 ASCII digits.
BYTES = {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}
LENGTH = {**BYTES, "minimum": 1}  # no photo is empty
WRONG_TUS = (412, "Tus-Resumable is not 1.0.0")
BASE64 = r"([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"


@ns.route("")
class Uploads(Resource):
    method_decorators = [tus_response]

    @ns.doc(description="tus discovery: version, extensions, size limit, checksums. No token.")
    @ns.response(204, "The server's tus capabilities", headers=DISCOVERY)
    def options(self):
        """Discover the tus server"""
        return _discovery()

    @ns.doc(
        security="bearer",
        description=(
            "Create an upload (tus creation). Headers: `Upload-Length` (bytes) and "
            "`Upload-Metadata`: comma-separated `key base64(value)` pairs; `sha256` (hex of "
            "the whole file) is required, `filename`, `content_type` and `photo_id` are "
            "optional. With `Content-Type: application/offset+octet-stream` the body is a "
            "first chunk (creation-with-upload). Answers 201 with `Location`."
        ),
        params={
            **TUS_HEADERS,
            "Upload-Length": {
                "in": "header",
                "description": "file size",
                "required": True,
                **LENGTH,
                "x-example": 48213,
            },
            "Upload-Metadata": {
                "in": "header",
                "description": "`sha256 <b64>,filename <b64>`",
                "required": True,
                "x-example": "sha256 MjY4MDYxYTNjNGY3ZjEwM2JkYmY0OWU5MzNjZmJmMzQ1ZWRhM2JiNDFl"
                "Nzk2YzRiMWUxY2IwZDJkY2RkMTYzOQ==",
            },
        },
    )
    @ns.response(
        201,
        "Created; `Location` is the upload's URL",
        headers={
            "Location": _header(
                "the upload's URL", "/api/v1/uploads/9f1c2e7a5b3d4c6e8f0a1b2c3d4e5f60"
            ),
            **STATE,
        },
    )
    @ns.response(400, "Upload-Length or Upload-Metadata invalid (sha256 missing)")
    @ns.response(*WRONG_TUS, error=tus.TusVersionUnsupported)
    @ns.response(413, "Larger than Tus-Max-Size, or a declared clip over its budget")
    @ns.response(415, "A first chunk without `Content-Type: application/offset+octet-stream`")
    @ns.response(
        422, "A whole file in the first chunk that is not its sha256", error=media.Sha256Mismatch
    )
    @login_required(*UPLOAD_ROLES)
    def post(self):
        """Create an upload"""
        tus.check_version(request.headers.get("Tus-Resumable"))
        if "Upload-Defer-Length" in request.headers:
            raise AppError("Upload-Defer-Length is not supported: send Upload-Length.")
        length = tus.parse_length(request.headers.get("Upload-Length"), "Upload-Length")
        _refuse_heavy_clip(length, request.headers.get("Upload-Metadata"))
        upload = uploads.create(
            hirfa().db(),
            _space(),
            current_user().id,
            length,
            request.headers.get("Upload-Metadata"),
        )
        location = f"{request.base_url.rstrip('/')}/{upload.id}"
        if request.content_length:
            try:
                upload = _receive(upload.id, 0)
            except Exception as exc:  # noqa: BLE001  the upload exists: say where it is
                error = from_exception(exc)
                error.headers = {**error.headers, "Location": location}
                raise error from exc
        return Response(status=201, headers={"Location": location, **_state_headers(upload)})


@ns.route("/<string:upload_id>")
@ns.param(
    "upload_id", "The upload's id (from Location)", example="9f1c2e7a5b3d4c6e8f0a1b2c3d4e5f60"
)
class UploadSession(Resource):
    method_decorators = [tus_response]

    @ns.doc(description="tus discovery, as on /uploads. No token.")
    @ns.response(204, "The server's tus capabilities", headers=DISCOVERY)
    def options(self, upload_id: str):
        """Discover the tus server"""
        return _discovery()

    @ns.doc(
        security="bearer",
        params=TUS_HEADERS,
        description=(
            "Where to resume: `Upload-Offset` is how many bytes the server holds. A finished "
            "upload shows `Upload-Offset` = `Upload-Length`. Someone else's upload is 404."
        ),
    )
    @ns.response(
        200,
        "Where the upload stands",
        headers={**STATE, "Upload-Length": _header("the whole file's size", "48213")},
    )
    @ns.response(404, "No such upload (or not yours)")
    @ns.response(410, "Expired", error=tus.UploadExpired)
    @ns.response(*WRONG_TUS, error=tus.TusVersionUnsupported)
    @login_required(*UPLOAD_ROLES)
    def head(self, upload_id: str):
        """Ask where to resume"""
        tus.check_version(request.headers.get("Tus-Resumable"))
        upload = uploads.get(hirfa().db(), _space(), upload_id, current_user().id)
        headers = {"Upload-Length": str(upload.length), **_state_headers(upload)}
        if upload.metadata_header:
            headers["Upload-Metadata"] = upload.metadata_header
        return Response(status=200, headers=headers)

    @ns.doc(
        security="bearer",
        consumes=[CHUNK_TYPE],
        params={
            **TUS_HEADERS,
            "chunk": {
                "in": "body",
                "required": True,
                "description": "the bytes, from Upload-Offset on",
                "schema": {"type": "string", "format": "binary"},
            },
            "Upload-Offset": {
                "in": "header",
                "description": "where this chunk starts",
                "required": True,
                **BYTES,
                "x-example": 32768,
            },
            "Upload-Checksum": {
                "in": "header",
                "description": "`sha1 <b64>` or `sha256 <b64>` of this chunk",
                "pattern": rf"^(sha1|sha256) {BASE64}$",
                "x-example": "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=",
            },
        },
        description=(
            "Append a chunk (`Content-Type: application/offset+octet-stream`) at "
            "`Upload-Offset`. With the last byte the photo is checked against its sha256, "
            "its type sniffed (JPEG, PNG, WebP), metadata removed and derivatives made; a "
            "refused file ends the upload with 415/413/422 and nothing is kept. A trainer "
            "(coordinator, admin) may also upload a lesson's voice clip (Opus/Ogg, AAC/M4A, "
            "MP3; `HIRFA_AUDIO_MAX_BYTES`, `HIRFA_AUDIO_MAX_SECONDS`): its tags are removed "
            "and `GET /lesson-media/{sha256}` then gives the step's `media` object."
        ),
    )
    @ns.response(204, "Stored; Upload-Offset is the new offset", headers=STATE)
    @ns.response(409, "Upload-Offset is not the upload's offset", error=tus.OffsetMismatch)
    @ns.response(*WRONG_TUS, error=tus.TusVersionUnsupported)
    @ns.response(413, "Chunk past Upload-Length, too many pixels, or a clip over its budget")
    @ns.response(
        415,
        "Not a JPEG, PNG or WebP (or wrong Content-Type); for a trainer's clip, "
        "`unsupported_audio_type`",
        error=media.UnsupportedImageType,
    )
    @ns.response(
        422,
        "sha256 mismatch, a damaged/truncated image or clip, or a clip too long (`audio_too_long`)",
        error=media.Sha256Mismatch,
    )
    @ns.response(423, "Another request is writing this upload", error=tus.UploadLocked)
    @ns.response(
        460, "Upload-Checksum mismatch; the chunk was discarded", error=tus.ChecksumMismatch
    )
    @login_required(*UPLOAD_ROLES)
    def patch(self, upload_id: str):
        """Append a chunk"""
        tus.check_version(request.headers.get("Tus-Resumable"))
        offset = tus.parse_length(request.headers.get("Upload-Offset"), "Upload-Offset")
        return Response(status=204, headers=_state_headers(_receive(upload_id, offset)))

    @ns.doc(
        security="bearer",
        params=TUS_HEADERS,
        description="Abandon an upload (tus termination): its partial bytes are deleted.",
    )
    @ns.response(204, "Deleted")
    @ns.response(404, "No such upload (or not yours)")
    @ns.response(*WRONG_TUS, error=tus.TusVersionUnsupported)
    @login_required(*UPLOAD_ROLES)
    def delete(self, upload_id: str):
        """Terminate an upload"""
        tus.check_version(request.headers.get("Tus-Resumable"))
        uploads.terminate(hirfa().db(), _space(), upload_id, current_user().id)
        return Response(status=204)
