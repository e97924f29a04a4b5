"""Training's documents: courses with their lessons, an artisan's progress, her graded
assessment and her certificates (docs/training.md).

A course is one document, its lessons inside it: what a phone needs offline arrives in
one piece, and who may read it is decided once. Pictures and voice clips travel apart,
by hash, through /media. The final assessment's answer key is never in a document: the
server keeps it in a table and grades the answers when they arrive.
"""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .document_base import DocumentSchema, Localised, example

COURSE_PREFIX = "course:"
PROGRESS_PREFIX = "progress:"
RESULT_PREFIX = "assessment:"
CERTIFICATE_PREFIX = "certificate:"
COURSE_STATUSES = ("draft", "published", "withdrawn")
EVERYONE = "*"  # offered_to: every cooperative
STEP_KINDS = ("picture", "text", "audio")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_HOURS = 1000


def _key(**kwargs):
    return fields.String(
        validate=validate.Regexp(_KEY, error="1-40 of a-z, 0-9 and -, not starting with -"),
        **kwargs,
    )


def course_id(code: str) -> str:
    return f"{COURSE_PREFIX}{code}"


def progress_id(course: str, artisan: str) -> str:
    """``progress:<course code>:<artisan id>``: one per artisan and course."""
    return f"{PROGRESS_PREFIX}{course.removeprefix(COURSE_PREFIX)}:{artisan}"


def result_id(course: str, artisan: str) -> str:
    return f"{RESULT_PREFIX}{course.removeprefix(COURSE_PREFIX)}:{artisan}"


def certificate_id(code: str) -> str:
    return f"{CERTIFICATE_PREFIX}{code}"


class Media(Schema):
    """A picture or a voice clip, stored once by hash and served at /media."""

    sha256 = fields.String(
        required=True, validate=validate.Regexp(_SHA256), metadata=example("3f2a" + "0" * 60)
    )
    bytes = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1), metadata=example(18400)
    )
    content_type = fields.String(
        required=True, validate=validate.Length(max=60), metadata=example("audio/ogg")
    )
    duration_ms = fields.Integer(
        strict=True, validate=validate.Range(min=0), metadata=example(21000)
    )


class Step(Schema):
    kind = fields.String(
        required=True, validate=validate.OneOf(STEP_KINDS), metadata=example("text")
    )
    text = fields.Nested(Localised, metadata=example({"ar": "صوّري في ضوء النهار"}))
    media = fields.Nested(Media)

    @validates_schema
    def what_it_shows(self, data, **kwargs):
        if data.get("kind") == "text" and not data.get("text"):
            raise ValidationError({"text": ["a text step has a text"]})
        if data.get("kind") in ("picture", "audio") and not data.get("media"):
            raise ValidationError({"media": [f"a {data['kind']} step has its media"]})


class Choice(Schema):
    id = _key(required=True, metadata=example("a"))
    label = fields.Nested(Localised, required=True, metadata=example({"fr": "Près d'une fenêtre"}))


class Question(Schema):
    id = _key(required=True, metadata=example("q1"))
    prompt = fields.Nested(Localised, required=True)
    choices = fields.List(
        fields.Nested(Choice), required=True, validate=validate.Length(min=2, max=6)
    )


class PracticeQuestion(Question):
    """A practice question carries its answer: the phone grades it offline."""

    answer = _key(required=True, metadata=example("a"))


class Quiz(Schema):
    questions = fields.List(
        fields.Nested(PracticeQuestion), required=True, validate=validate.Length(min=1, max=20)
    )


class Lesson(Schema):
    id = _key(required=True, metadata=example("light"))
    title = fields.Nested(Localised, required=True)
    steps = fields.List(fields.Nested(Step), required=True, validate=validate.Length(min=1, max=40))
    quiz = fields.Nested(Quiz)


class Assessment(Schema):
    """The final assessment: questions without their answers (the key stays on the
    server, in ``assessment_keys``)."""

    questions = fields.List(
        fields.Nested(Question), required=True, validate=validate.Length(min=1, max=50)
    )
    pass_mark = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "percent of right answers to pass", "example": 70},
    )


class Issuer(Schema):
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=example("Dar Maalem")
    )
    url = fields.String(validate=validate.Length(max=300), metadata=example("https://example.org"))


class Practical(Schema):
    required = fields.Boolean(required=True, metadata=example(True))
    description = fields.Nested(Localised)


class CourseDocSchema(DocumentSchema):
    """``course:<code>``: a course and its lessons."""

    cooperative = fields.String(
        allow_none=True,
        metadata={"description": "whose coordinators author it; null: an admin's"},
    )
    author = fields.String(required=True)
    title = fields.Nested(Localised, required=True)
    summary = fields.Nested(Localised)
    issuer = fields.Nested(Issuer, required=True)
    hours = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=MAX_HOURS)
    )
    lessons = fields.List(
        fields.Nested(Lesson), required=True, validate=validate.Length(min=1, max=30)
    )
    assessment = fields.Nested(Assessment, allow_none=True)
    practical = fields.Nested(Practical, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(COURSE_STATUSES))
    offered_to = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"description": 'cooperative ids, or ["*"] for every cooperative'},
    )

    @validates_schema
    def unique_ids(self, data, **kwargs):
        lessons = [lesson["id"] for lesson in data.get("lessons") or []]
        if len(set(lessons)) != len(lessons):
            raise ValidationError({"lessons": ["lesson ids are unique in a course"]})
        questions = [q["id"] for q in (data.get("assessment") or {}).get("questions") or []]
        if len(set(questions)) != len(questions):
            raise ValidationError({"assessment": ["question ids are unique"]})


class ProgressDocSchema(DocumentSchema):
    """``progress:<course code>:<artisan id>``: written by her phone, offline."""

    owner = fields.String(required=True)
    cooperative = fields.String(required=True)
    course = fields.String(required=True, metadata=example("course:photo-basics"))
    steps_seen = fields.List(
        fields.String(validate=validate.Length(max=80)),
        load_default=list,
        validate=validate.Length(max=2000),
        metadata={"description": '"<lesson id>/<step index>"', "example": ["light/0"]},
    )
    lessons_done = fields.List(_key(), load_default=list, validate=validate.Length(max=30))
    quiz_scores = fields.Dict(
        keys=_key(),
        values=fields.Integer(strict=True, validate=validate.Range(min=0, max=100)),
        metadata={"description": "practice quizzes, graded on the phone: percent"},
    )
    assessment_answers = fields.Dict(
        keys=_key(),
        values=_key(),
        validate=validate.Length(max=50),
        metadata={"description": "question id -> choice id; graded by the server"},
    )


class AssessmentResultDocSchema(DocumentSchema):
    """``assessment:<course code>:<artisan id>``: the server's grading of her answers."""

    owner = fields.String(required=True)
    cooperative = fields.String(required=True)
    course = fields.String(required=True)
    score = fields.Integer(strict=True, required=True)
    passed = fields.Boolean(required=True)


class CertificateDocSchema(DocumentSchema):
    """``certificate:<code>``: issued by the server only."""

    owner = fields.String(required=True)
    cooperative = fields.String(required=True)
    course = fields.String(required=True)
    code = fields.String(required=True)
    credential = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("valid", "revoked")))
