"""REST bodies and answers of training: courses (with the final assessment's answer key,
which the server takes out of the document), offers, attested practicals, progress
reports, certificates and an artisan's answers (docs/training.md).

The documents are schemas/training.py's; a course's body here is the document's fields
without what the server fills (id, author, timestamps), and its final assessment's
questions each carry their ``answer``, kept by the server in ``assessment_keys``.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .document_base import Localised, example
from .fields import StrictBoolean
from .training import (
    _KEY,
    COURSE_STATUSES,
    MAX_HOURS,
    Issuer,
    Lesson,
    Question,
)

KEY = validate.Regexp(_KEY, error="1-40 of a-z, 0-9 and -, not starting with -")
COURSE_ID = "course:photo-basics"
TITLE = {"ar": "تصوير المنتوج", "fr": "Photographier son produit"}
_CHOICES = [
    {"id": "a", "label": {"ar": "قرب نافذة", "fr": "Près d'une fenêtre"}},
    {"id": "b", "label": {"ar": "تحت مصباح", "fr": "Sous une lampe"}},
]
COURSE_EXAMPLE = {
    "title": TITLE,
    "summary": {"fr": "La lumière, le fond, les angles."},
    "issuer": {"name": "Coopérative Zerbia de Taza", "url": "https://example.org"},
    "hours": 3,
    "lessons": [
        {
            "id": "light",
            "title": {"ar": "الضوء", "fr": "La lumière"},
            "steps": [
                {"kind": "text", "text": {"ar": "صوّري قرب نافذة", "fr": "Près d'une fenêtre"}},
                {
                    "kind": "audio",
                    "text": {"ar": "استمعي"},
                    "media": {
                        "sha256": "3f2a" + "0" * 60,
                        "bytes": 18400,
                        "content_type": "audio/ogg",
                        "duration_ms": 21000,
                    },
                },
            ],
            "quiz": {
                "questions": [
                    {
                        "id": "p1",
                        "prompt": {"fr": "Où photographier ?"},
                        "choices": _CHOICES,
                        "answer": "a",
                    }
                ]
            },
        }
    ],
    "assessment": {
        "questions": [
            {"id": "q1", "prompt": {"fr": "Où photographier ?"}, "choices": _CHOICES, "answer": "a"}
        ],
        "pass_mark": 70,
    },
    "practical": {"required": True, "description": {"fr": "Photographier un tapis"}},
    "status": "published",
    "offered_to": ["coop-taza-zerbia"],
}


class KeyedQuestion(Question):
    """A final-assessment question as a trainer writes it: with its answer, which the
    server keeps apart (phones never receive it)."""

    answer = fields.String(
        required=True,
        validate=KEY,
        metadata={"description": "the id of the right choice", "example": "a"},
    )


class AssessmentBody(Schema):
    questions = fields.List(
        fields.Nested(KeyedQuestion), required=True, validate=validate.Length(min=1, max=50)
    )
    pass_mark = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "percent of right answers to pass", "example": 70},
    )


class PracticalBody(Schema):
    required = StrictBoolean(required=True, metadata=example(True))
    description = fields.Nested(Localised)


class CourseContent(Schema):
    """What a trainer writes about a course: every field, replacing the last revision's."""

    swagger_example = COURSE_EXAMPLE

    title = fields.Nested(Localised, required=True, metadata=example(TITLE))
    summary = fields.Nested(Localised)
    issuer = fields.Nested(Issuer, required=True)
    hours = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=MAX_HOURS),
        metadata={"description": "the hours of learning the certificate states", "example": 3},
    )
    lessons = fields.List(
        fields.Nested(Lesson),
        required=True,
        validate=validate.Length(min=1, max=30),
        metadata={
            "description": "each lesson's media (the sum of its steps' `media.bytes`) within "
            "the server's lesson budget (`lesson_budget_bytes`)"
        },
    )
    assessment = fields.Nested(
        AssessmentBody,
        allow_none=True,
        metadata={"description": "the final assessment; each question with its `answer`"},
    )
    practical = fields.Nested(PracticalBody, allow_none=True)
    status = fields.String(
        load_default="draft",
        validate=validate.OneOf(COURSE_STATUSES),
        metadata={"description": "only a published course reaches artisans", "example": "draft"},
    )
    offered_to = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={
            "description": 'cooperative ids whose artisans get it; ["*"] (an admin\'s '
            "choice) every cooperative",
            "example": ["coop-taza-zerbia"],
        },
    )

    @validates_schema
    def unique_ids(self, data, **kwargs):
        lessons = [lesson["id"] for lesson in data.get("lessons") or []]
        if len(set(lessons)) != len(lessons):
            raise ValidationError({"lessons": ["lesson ids are unique in a course"]})
        questions = [q["id"] for q in (data.get("assessment") or {}).get("questions") or []]
        if len(set(questions)) != len(questions):
            raise ValidationError({"assessment": ["question ids are unique"]})


class CourseCreateSchema(CourseContent):
    """A new course at ``course:<code>``."""

    swagger_example = {"code": "photo-basics", **COURSE_EXAMPLE}

    code = fields.String(
        required=True,
        validate=KEY,
        metadata={
            "description": "the course's code, unique on the server",
            "example": "photo-basics",
        },
    )
    cooperative = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "whose coordinators author it: optional for a coordinator of one "
            "cooperative; an admin may leave it null (a partner's course)",
            "example": "coop-taza-zerbia",
        },
    )


class CourseUpdateSchema(CourseContent):
    """Every field of a course, replacing the last revision's (code, cooperative and
    author are its own). ``status: withdrawn`` takes it from artisans; it is never
    deleted: certificates name it."""


# Answers


class ShownQuestion(Question):
    answer = fields.String(
        metadata={
            "description": "the right choice: only for the course's trainers, never for artisans",
            "example": "a",
        }
    )


class ShownAssessment(Schema):
    questions = fields.List(fields.Nested(ShownQuestion))
    pass_mark = fields.Integer(metadata=example(70))


class ShownLesson(Lesson):
    download_bytes = fields.Integer(
        metadata={"description": "what the lesson's media weigh, to download", "example": 18400}
    )


class CourseSchema(Schema):
    id = fields.String(metadata=example(COURSE_ID))
    rev = fields.String(
        metadata={"description": "the revision; send it back as If-Match", "example": "2-5f0c"}
    )
    code = fields.String(metadata=example("photo-basics"))
    cooperative = fields.String(allow_none=True, metadata=example("coop-taza-zerbia"))
    author = fields.String(metadata=example("coo_naima"))
    title = fields.Nested(Localised)
    summary = fields.Nested(Localised)
    issuer = fields.Nested(Issuer)
    hours = fields.Integer(metadata=example(3))
    lessons = fields.List(fields.Nested(ShownLesson))
    assessment = fields.Nested(ShownAssessment, allow_none=True)
    practical = fields.Nested(PracticalBody, allow_none=True)
    status = fields.String(metadata=example("published"))
    offered_to = fields.List(fields.String(), metadata=example(["coop-taza-zerbia"]))
    download_bytes = fields.Integer(
        metadata={"description": "the whole course's media", "example": 18400}
    )
    lesson_budget_bytes = fields.Integer(
        metadata={"description": "the most one lesson's media may weigh", "example": 400000}
    )
    answer_key = fields.Boolean(
        metadata={
            "description": "whether the assessment's questions carry their `answer` (for "
            "its trainers)",
            "example": True,
        }
    )
    created_at = fields.String(metadata=example("2026-11-02T09:30:00.000Z"))
    updated_at = fields.String(metadata=example("2026-11-02T09:30:00.000Z"))


class CourseListSchema(Schema):
    items = fields.List(fields.Nested(CourseSchema))


# Attestations


class AttestationCreateSchema(Schema):
    swagger_example = {"artisan": "art_fatima", "note": "Photographie nette d'un tapis, 12/11"}

    artisan = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "the artisan's user id", "example": "art_fatima"},
    )
    note = fields.String(
        validate=validate.Length(max=1000),
        metadata={"description": "what she showed", "example": "Photographie nette d'un tapis"},
    )


class AttestationSchema(Schema):
    course = fields.String(metadata=example(COURSE_ID))
    artisan = fields.String(metadata=example("art_fatima"))
    attested_by = fields.String(metadata=example("coo_naima"))
    note = fields.String(allow_none=True, metadata=example("Photographie nette d'un tapis"))
    attested_at = fields.String(metadata=example("2026-11-12T10:00:00.000Z"))
    certificate = fields.String(
        allow_none=True,
        metadata={
            "description": "her certificate's code, if she holds it now",
            "example": "7KQ2-M9XD-4B",
        },
    )
    missing = fields.List(
        fields.String(),
        metadata={
            "description": "what she still lacks for the certificate",
            "example": ["the final assessment"],
        },
    )


# Progress


class ResultSchema(Schema):
    score = fields.Integer(metadata={"description": "percent", "example": 100})
    passed = fields.Boolean(metadata=example(True))


class ProgressSchema(Schema):
    course = fields.String(metadata=example(COURSE_ID))
    course_title = fields.Nested(Localised)
    artisan = fields.String(metadata=example("art_fatima"))
    name = fields.String(metadata={"description": "her display name", "example": "فاطمة"})
    cooperative = fields.String(metadata=example("coop-taza-zerbia"))
    steps_seen = fields.Integer(metadata=example(5))
    steps_total = fields.Integer(metadata=example(6))
    lessons_done = fields.List(fields.String(), metadata=example(["light"]))
    lessons_total = fields.Integer(metadata=example(2))
    quiz_scores = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "lesson id -> percent", "example": {"light": 100}},
    )
    assessment = fields.Nested(ResultSchema, allow_none=True)
    practical_required = fields.Boolean(metadata=example(True))
    practical_attested = fields.Boolean(metadata=example(False))
    certificate = fields.String(allow_none=True, metadata=example("7KQ2-M9XD-4B"))
    certificate_revoked = fields.Boolean(metadata=example(False))
    missing = fields.List(
        fields.String(), metadata=example(["the practical, attested by a trainer"])
    )
    updated_at = fields.String(allow_none=True, metadata=example("2026-11-12T10:00:00.000Z"))


class ProgressListSchema(Schema):
    items = fields.List(fields.Nested(ProgressSchema))


class AnswersSchema(Schema):
    swagger_example = {"answers": {"q1": "a", "q2": "b"}}

    answers = fields.Dict(
        keys=fields.String(),  # a question the course has, or 400 unknown_question
        values=fields.String(validate=KEY),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={
            "description": "question id -> choice id",
            "example": {"q1": "a"},
            "minProperties": 1,
            "maxProperties": 50,
        },
    )


# Certificates


class CertificateSchema(Schema):
    code = fields.String(metadata=example("7KQ2-M9XD-4B"))
    course = fields.String(metadata=example(COURSE_ID))
    course_title = fields.Nested(Localised)
    artisan = fields.String(metadata=example("art_fatima"))
    holder_name = fields.String(metadata=example("فاطمة أيت علي"))
    cooperative = fields.String(metadata=example("coop-taza-zerbia"))
    issuer_name = fields.String(metadata=example("Coopérative Zerbia de Taza"))
    hours = fields.Integer(metadata=example(3))
    issued_at = fields.String(metadata=example("2026-11-12T10:00:00Z"))
    revoked_at = fields.String(allow_none=True, metadata=example(None))
    revoked_reason = fields.String(allow_none=True, metadata=example(None))
    verify_url = fields.String(
        metadata={"description": "where anyone checks it", "example": "/v/7KQ2-M9XD-4B"}
    )


class CertificateListSchema(Schema):
    items = fields.List(fields.Nested(CertificateSchema))


class RevokeSchema(Schema):
    swagger_example = {"reason": "Delivered by mistake: she has not taken the assessment"}

    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "why, for the revocation list", "example": "issued by mistake"},
    )
