"""Training's files: the ``media`` object of an uploaded picture or voice clip, for a
lesson step, and a course in one download (document and files, one tar, resumable).

A trainer uploads through tus (/uploads) like any photo, then asks
``GET /lesson-media/{sha256}`` with the SHA-256 she declared: the answer's ``media`` is
what the step carries (schemas/training.py ``Media``). A phone's first download of a
course on a 2G link is ``GET /courses/{course_id}/bundle`` (api/services/course_bundle.py).
"""

from __future__ import annotations

import re

from flask import Response, request
from flask_restx import Resource
from marshmallow import Schema, fields
from werkzeug.http import parse_range_header

from ..errors import NotFound
from ..rest import model, namespace
from ..security import current_user, login_required
from ..services import course_bundle, lesson_media
from ..state import hirfa

ns = namespace(
    "lesson-media",
    "Pictures and voice clips for lessons: upload with tus (/uploads), then get the "
    "step's `media` object here.",
)
bundles_ns = namespace(
    "course-bundles",
    "A course in one resumable download: its document and every file it names.",
    path="/courses",
)
SHA256 = re.compile(r"^[0-9a-f]{64}$")
EXAMPLE_SHA = "7d4863f5e6b45d89dcca3d20d45e491cc186cb75fc1417f6f4777c78ea720444"


def _x(description: str, example: str) -> dict[str, str]:
    return {"type": "string", "description": description, "x-example": example}


class StepMediaSchema(Schema):
    """Exactly a step's ``media`` (schemas/training.py)."""

    sha256 = fields.String(metadata={"example": EXAMPLE_SHA})
    bytes = fields.Integer(metadata={"example": 58120})
    content_type = fields.String(metadata={"example": "audio/ogg"})
    duration_ms = fields.Integer(
        metadata={"example": 8000, "description": "voice clips only"},
    )


class LessonMediaSchema(Schema):
    kind = fields.String(metadata={"example": "audio", "enum": ["picture", "audio"]})
    media = fields.Nested(
        StepMediaSchema,
        metadata={
            "description": "put this object, as it is, in the step's `media`",
            "example": {
                "sha256": EXAMPLE_SHA,
                "bytes": 58120,
                "content_type": "audio/ogg",
                "duration_ms": 8000,
            },
        },
    )
    url = fields.String(metadata={"example": f"/media/{EXAMPLE_SHA}/audio"})
    bitrate = fields.Integer(metadata={"example": 57998, "description": "clips: bits/s"})
    codec = fields.String(
        metadata={"example": "opus", "description": "clips: opus, mp4a.40.2, mp3"}
    )
    content_sha256 = fields.String(
        metadata={"example": "9c1e" + "0" * 60, "description": "clips: hash of the bytes served"}
    )
    width = fields.Integer(metadata={"example": 1280, "description": "pictures: display width"})
    height = fields.Integer(metadata={"example": 960, "description": "pictures: display height"})


@ns.route("/<string:sha256>")
@ns.param("sha256", "The SHA-256 declared when uploading (tus `Upload-Metadata`)",
          example=EXAMPLE_SHA)  # fmt: skip
class LessonMedia(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "What was stored for an upload, as a lesson step names it. A picture is the "
            "photo pipeline's display image in WebP (`image/webp`, what a course bundle "
            "carries and what counts against the lesson's budget); a voice clip is the "
            "uploaded file without its tags (`audio/ogg` for Opus, `audio/mp4`, "
            "`audio/mpeg`), with its duration. `media` is exactly the step's `media`."
        ),
    )
    @ns.response(200, "The step's media object, and what else is known of the file",
                 model(LessonMediaSchema))  # fmt: skip
    @ns.response(404, "Nothing stored for this hash (not uploaded, or still processing)")
    @login_required("coordinator", "admin")
    def get(self, sha256: str):
        """Get a lesson file's media object"""
        found = (
            lesson_media.find(hirfa().settings.media_dir, sha256) if SHA256.match(sha256) else None
        )
        if found is None:
            raise NotFound(
                "Nothing is stored for this hash: upload it first (tus, /api/v1/uploads).",
                details={"sha256": sha256},
            )
        return LessonMediaSchema().dump(found.describe())


RANGE = {
    "Range": {
        "in": "header",
        "type": "string",
        "description": "to resume: `bytes=<bytes already received>-`",
        "x-example": "bytes=65536-",
    },
    "If-Range": {
        "in": "header",
        "type": "string",
        "description": "the ETag received first: a bundle that changed is sent whole (200)",
        "x-example": '"5b0c' + "0" * 60 + '"',
    },
}
BUNDLE_HEADERS = {
    "ETag": _x("SHA-256 of the bundle's bytes", '"5b0c' + "0" * 60 + '"'),
    "Accept-Ranges": _x("resumable", "bytes"),
    "Hirfa-Course-Rev": _x("the course revision inside", "3-8c1d2e"),
}


@bundles_ns.route("/<string:course_id>/bundle")
@bundles_ns.param("course_id", "`course:<code>`, or the code alone", example="course:photo-basics")
class CourseBundle(Resource):
    @bundles_ns.doc(
        security="bearer",
        params=RANGE,
        produces=[course_bundle.CONTENT_TYPE, "application/json"],
        description=(
            "A course for the first download on a bad link: one uncompressed tar holding "
            "`bundle.json` (the files inside, and `missing`: media not on the server yet), "
            "`course.json` (the document, `_id` and `_rev` included), then "
            "`media/<sha256>/display.webp` or `media/<sha256>/audio.<ext>` for every "
            "picture and clip the lessons name, first named first. The same revision gives "
            "the same bytes: `ETag` is their SHA-256, and `Range: bytes=N-` with `If-Range` "
            "resumes a cut download (206); a `Range` past the end (a stale partial file) "
            "gets the whole bundle (200). An artisan gets a course offered to her "
            "cooperative (or to every cooperative); any other course is 404."
        ),
    )
    @bundles_ns.response(200, "The whole bundle (`application/x-tar`)", headers=BUNDLE_HEADERS)
    @bundles_ns.response(
        206,
        "The rest of it, from the `Range` asked for",
        headers={
            **BUNDLE_HEADERS,
            "Content-Range": _x("what this part is", "bytes 65536-180223/180224"),
        },
    )
    @bundles_ns.response(304, "Unchanged since the `If-None-Match` ETag", headers=BUNDLE_HEADERS)
    @bundles_ns.response(404, "No such course, or not offered to you")
    @login_required("artisan", "coordinator", "admin")
    def get(self, course_id: str):
        """Download a course in one piece"""
        app = hirfa()
        doc = course_bundle.read_course(app.store(), current_user(), course_id)
        bundle = course_bundle.build(app.settings.media_dir, doc)
        asked = parse_range_header(request.headers.get("Range"))
        if asked is not None and asked.range_for_length(bundle.size) is None:
            # Past the end: the phone's partial file is not of this bundle; send it whole
            # rather than 416 (RFC 9110 lets a server ignore Range).
            request.environ.pop("HTTP_RANGE", None)
        response = Response(
            course_bundle.FileStream(bundle.path, bundle.size),
            mimetype=course_bundle.CONTENT_TYPE,
            direct_passthrough=True,
        )
        response.content_length = bundle.size
        response.set_etag(bundle.etag)
        # 304 on If-None-Match; 206 and Content-Range on Range (honoured only while
        # If-Range, when sent, is still this ETag): werkzeug, as send_file does.
        response = response.make_conditional(
            request.environ, accept_ranges=True, complete_length=bundle.size
        )
        # Signed in: no shared cache keeps it; the phone revalidates with the ETag.
        response.headers["Cache-Control"] = "private, no-cache"
        response.headers["Hirfa-Course-Rev"] = bundle.rev
        return response
