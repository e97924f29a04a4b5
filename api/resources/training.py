"""Training over REST: courses (their answer key kept apart), offers to cooperatives,
attested practicals, progress reports, certificates and an artisan's answers. The same
documents phones read and write offline (api/services/training/)."""

from __future__ import annotations

from flask import request
from flask_restx import Resource

from schemas.training import COURSE_STATUSES
from schemas.training_api import (
    AnswersSchema,
    AttestationCreateSchema,
    AttestationSchema,
    CertificateListSchema,
    CertificateSchema,
    CourseCreateSchema,
    CourseListSchema,
    CourseSchema,
    CourseUpdateSchema,
    ProgressListSchema,
    ProgressSchema,
    RevokeSchema,
)

from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services.training import answers, attestations, courses, reports
from ..state import hirfa
from .params import IF_MATCH, choice_arg, choice_param, with_etag

courses_ns = namespace(
    "courses",
    "Short courses for artisans, offline on their phones: lessons of pictures, text and "
    "voice, practice quizzes, a final assessment graded by the server, certificates.",
    path="/courses",
)
training_ns = namespace(
    "training", "Artisans' progress in their courses, and their certificates.", path="/"
)

MEMBERS = ("artisan", "coordinator", "admin")
TRAINERS = courses.TRAINERS
COURSE_ID = {"description": "The course's id", "example": "course:photo-basics"}
ARTISAN_ID = {"description": "The artisan's user id", "example": "art_fatima"}
COOPERATIVE_ID = {
    "description": "A cooperative's id; \"*\" (an admin's choice) every cooperative",
    "example": "coop-taza-zerbia",
}
CODE = {"description": "The certificate's verification code", "example": "7KQ2-M9XD-4B"}
BUDGET_NOTE = (
    "Each lesson's media (the sum of its steps' `media.bytes`) must weigh at most the "
    "server's lesson budget (`HIRFA_LESSON_BUDGET_BYTES`, 400 000 bytes unless set): a "
    "heavier lesson is 400 `lesson_over_budget` naming it and its size. Every final "
    "assessment question carries its `answer` (one of its choices, else 400 "
    "`answer_not_a_choice`); the server keeps the answers apart and phones never get them."
)


def _budget() -> int:
    return hirfa().settings.lesson_budget_bytes


def _shown(store, doc) -> tuple:
    return with_etag(dump(CourseSchema, courses.render(store.db, current_user(), doc, _budget())))


# Courses


@courses_ns.route("")
class Courses(Resource):
    @courses_ns.doc(
        security="bearer",
        description="The courses you may see, by id: a coordinator her cooperatives' and "
        "every published one (to choose from); an artisan the published courses offered to "
        "her cooperative or to every cooperative; an admin all. Each lesson says what it "
        "weighs to download (`download_bytes`).",
        params={
            "status": choice_param("only courses in this status", COURSE_STATUSES, "published")
        },
    )
    @courses_ns.response(200, "The courses", model(CourseListSchema))
    @login_required(*MEMBERS)
    def get(self):
        """List courses"""
        status = choice_arg("status", COURSE_STATUSES)
        store, user, budget = hirfa().store(), current_user(), _budget()
        items = [
            courses.render(store.db, user, doc, budget)
            for doc in courses.list_courses(store, user, status)
        ]
        return dump(CourseListSchema, {"items": items})

    @courses_ns.doc(
        security="bearer",
        description="A coordinator writes a course for one of her cooperatives (`cooperative`, "
        "optional when she has one); an admin for any, or for none (`null`: a partner's "
        "course). It is `course:<code>`; 409 `course_exists` if the code is taken. " + BUDGET_NOTE,
    )
    @courses_ns.expect(model(CourseCreateSchema), validate=False)
    @courses_ns.response(201, "Created", model(CourseSchema))
    @courses_ns.response(400, "`lesson_over_budget`, `answer_not_a_choice`, invalid fields")
    @courses_ns.response(403, "`not_your_cooperative`, `not_your_course`, `forbidden`")
    @courses_ns.response(409, "The code is taken (`course_exists`)")
    @login_required(*TRAINERS)
    def post(self):
        """Create a course"""
        data = load_body(CourseCreateSchema)
        store = hirfa().store()
        doc = courses.create(store, current_user(), data, _budget())
        body, _, headers = _shown(store, doc)
        return body, 201, headers


@courses_ns.route("/<string:course_id>")
@courses_ns.param("course_id", **COURSE_ID)
class Course(Resource):
    @courses_ns.doc(
        security="bearer",
        description="One course you may see; `ETag` is its revision. Its trainers (an admin, "
        "a coordinator of its cooperative) get each final-assessment question's `answer` "
        "(`answer_key: true`), so the answer round-trips into PUT; no one else ever does.",
    )
    @courses_ns.response(200, "The course", model(CourseSchema))
    @courses_ns.response(404, "No such course (or not offered to you)")
    @login_required(*MEMBERS)
    def get(self, course_id: str):
        """Get a course"""
        store = hirfa().store()
        return _shown(store, courses.get(store, current_user(), course_id))

    @courses_ns.doc(
        security="bearer",
        description="Its trainers replace its fields (code, cooperative and author stay). "
        "`If-Match` must carry the revision you edited: a stale one gets 412 with the "
        "current course in `details.current`; none, 428. `status: withdrawn` takes it from "
        "artisans (a course is never deleted: certificates name it). A coordinator may add "
        "or remove only her own cooperatives in `offered_to`. " + BUDGET_NOTE,
        params=IF_MATCH,
    )
    @courses_ns.expect(model(CourseUpdateSchema), validate=False)
    @courses_ns.response(200, "Updated", model(CourseSchema))
    @courses_ns.response(400, "`lesson_over_budget`, `answer_not_a_choice`, invalid fields")
    @courses_ns.response(403, "Not one of its trainers (`not_your_course`), or `forbidden`")
    @courses_ns.response(404, "No such course")
    @courses_ns.response(412, "Stale revision")
    @courses_ns.response(428, "No If-Match")
    @login_required(*TRAINERS)
    def put(self, course_id: str):
        """Update, publish or withdraw a course"""
        data = load_body(CourseUpdateSchema)
        store = hirfa().store()
        doc = courses.update(
            store,
            current_user(),
            course_id,
            request.headers.get("If-Match"),
            data,
            _budget(),
        )
        return _shown(store, doc)


@courses_ns.route("/<string:course_id>/offers/<string:cooperative>")
@courses_ns.param("course_id", **COURSE_ID)
@courses_ns.param("cooperative", **COOPERATIVE_ID)
class Offer(Resource):
    @courses_ns.doc(
        security="bearer",
        description="A coordinator offers a published course (any cooperative's, or a "
        "partner's) to one of her cooperatives: its artisans get it on their phones and a "
        "notification. An admin offers to any cooperative, or to every one (`*`). Offering "
        "again changes nothing.",
    )
    @courses_ns.response(200, "Offered", model(CourseSchema))
    @courses_ns.response(403, "Not one of your cooperatives (`not_your_cooperative`)")
    @courses_ns.response(404, "No such course or cooperative")
    @courses_ns.response(409, "`course_not_published`; `kept_changing`")
    @login_required(*TRAINERS)
    def put(self, course_id: str, cooperative: str):
        """Offer a course to a cooperative"""
        store = hirfa().store()
        return _shown(store, courses.offer(store, current_user(), course_id, cooperative, True))

    @courses_ns.doc(
        security="bearer",
        description="A coordinator stops offering a course to one of her cooperatives (an "
        "admin, to any): it leaves its artisans' phones; their progress and certificates "
        "stay. Withdrawing again changes nothing.",
    )
    @courses_ns.response(200, "No longer offered", model(CourseSchema))
    @courses_ns.response(403, "Not one of your cooperatives (`not_your_cooperative`)")
    @courses_ns.response(404, "No such course or cooperative")
    @courses_ns.response(409, "`kept_changing`")
    @login_required(*TRAINERS)
    def delete(self, course_id: str, cooperative: str):
        """Withdraw a course from a cooperative"""
        store = hirfa().store()
        return _shown(store, courses.offer(store, current_user(), course_id, cooperative, False))


@courses_ns.route("/<string:course_id>/attestations")
@courses_ns.param("course_id", **COURSE_ID)
class Attestations(Resource):
    @courses_ns.doc(
        security="bearer",
        description="A coordinator of the artisan's cooperative (or an admin) attests that "
        "she showed the course's practical skill. The first attestation stands. If it was "
        "all she lacked, her certificate is issued at once (`certificate`); else `missing` "
        "says what she still lacks.",
    )
    @courses_ns.expect(model(AttestationCreateSchema), validate=False)
    @courses_ns.response(201, "Attested", model(AttestationSchema))
    @courses_ns.response(403, "Not her trainer (`not_her_trainer`)")
    @courses_ns.response(404, "No such course, or `unknown_artisan`")
    @courses_ns.response(409, "The course asks for no practical (`no_practical`)")
    @login_required(*TRAINERS)
    def post(self, course_id: str):
        """Attest an artisan's practical"""
        data = load_body(AttestationCreateSchema)
        store, user = hirfa().store(), current_user()
        found = attestations.attest(
            store,
            user,
            course_id,
            data["artisan"],
            data.get("note"),
            hirfa().settings.public_url,
        )
        return dump(AttestationSchema, found), 201


@courses_ns.route("/<string:course_id>/progress")
@courses_ns.param("course_id", **COURSE_ID)
class CourseProgress(Resource):
    @courses_ns.doc(
        security="bearer",
        description="Each artisan of your cooperatives (every one, for an admin) who started "
        "the course: steps seen, lessons done, practice-quiz scores, the graded assessment, "
        "the practical, her certificate and what she still lacks, by name.",
    )
    @courses_ns.response(200, "Their progress", model(ProgressListSchema))
    @courses_ns.response(404, "No such course")
    @login_required(*TRAINERS)
    def get(self, course_id: str):
        """Progress of a course's artisans"""
        items = reports.course_progress(hirfa().store(), current_user(), course_id)
        return dump(ProgressListSchema, {"items": items})


@courses_ns.route("/<string:course_id>/assessment")
@courses_ns.param("course_id", **COURSE_ID)
class Assessment(Resource):
    @courses_ns.doc(
        security="bearer",
        description="An artisan answers the final assessment (some questions or all; "
        "answers given before are kept unless answered again), as her phone does offline "
        "in her progress document. Graded at once: `assessment` in the answer; her "
        "certificate follows when nothing else is missing. A question the assessment does "
        "not have is 400 `unknown_question`, a choice it does not have `unknown_choice`.",
    )
    @courses_ns.expect(model(AnswersSchema), validate=False)
    @courses_ns.response(200, "Her progress, graded", model(ProgressSchema))
    @courses_ns.response(400, "`unknown_question`, `unknown_choice`")
    @courses_ns.response(404, "No such course (or not offered to you)")
    @courses_ns.response(409, "`no_assessment`; `kept_changing`")
    @login_required("artisan")
    def put(self, course_id: str):
        """Answer a course's final assessment"""
        data = load_body(AnswersSchema)
        store, user = hirfa().store(), current_user()
        course, body = answers.answer(
            store, user, course_id, data["answers"], hirfa().settings.public_url
        )
        return dump(ProgressSchema, reports.summary(store, course, body, user.display_name))


# Progress and certificates


@training_ns.route("/artisans/<string:artisan_id>/progress")
@training_ns.param("artisan_id", **ARTISAN_ID)
class ArtisanProgress(Resource):
    @training_ns.doc(
        security="bearer",
        description="Where an artisan stands in each course she started: for herself, her "
        "cooperative's coordinators and admins.",
    )
    @training_ns.response(200, "Her progress", model(ProgressListSchema))
    @training_ns.response(403, "Not yours to see (`forbidden`, `not_her_trainer`)")
    @training_ns.response(404, "No such artisan (`unknown_artisan`)")
    @login_required(*MEMBERS)
    def get(self, artisan_id: str):
        """An artisan's progress"""
        items = reports.artisan_progress(hirfa().store(), current_user(), artisan_id)
        return dump(ProgressListSchema, {"items": items})


@training_ns.route("/certificates")
class Certificates(Resource):
    @training_ns.doc(
        security="bearer",
        description="Certificates, newest first: an artisan's own; a coordinator's "
        "cooperatives'; every one for an admin. Anyone checks one at `/v/{code}`.",
    )
    @training_ns.response(200, "The certificates", model(CertificateListSchema))
    @login_required(*MEMBERS)
    def get(self):
        """List certificates"""
        items = reports.certificates_of(hirfa().store(), current_user())
        return dump(CertificateListSchema, {"items": items})


@training_ns.route("/certificates/<string:code>/revoke")
@training_ns.param("code", **CODE)
class Revoke(Resource):
    @training_ns.doc(
        security="bearer",
        description="A coordinator of the certificate's cooperative (or an admin) revokes "
        "it, with a reason: `/v/{code}` and the revocation list say so, and her phone's copy "
        "is marked. Revoking again keeps the first revocation.",
    )
    @training_ns.expect(model(RevokeSchema), validate=False)
    @training_ns.response(200, "Revoked", model(CertificateSchema))
    @training_ns.response(403, "Not your cooperative's (`not_your_cooperative`)")
    @training_ns.response(404, "No such certificate (`unknown_certificate`)")
    @login_required(*TRAINERS)
    def post(self, code: str):
        """Revoke a certificate"""
        data = load_body(RevokeSchema)
        found = attestations.revoke(hirfa().store(), current_user(), code, data["reason"])
        return dump(CertificateSchema, reports.shown_certificate(found))
