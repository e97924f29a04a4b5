"""The trainer's page: the courses of her cooperatives and those offered to them, and for
each, where her cooperatives' artisans stand (lessons, quizzes, the final assessment, the
practical, the certificate), with a form to attest a practical (docs/training.md).

It lives under /review, behind the review page's sign-in: the session cookies are scoped
to that path (api/web/review_pages.py). Plain HTML, no script, made for a phone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import g, redirect, request, session
from markupsafe import Markup

from schemas.training import EVERYONE

from ..errors import AppError
from ..services.accounts import User
from ..services.training import attestations, courses, reports
from ..state import hirfa
from . import i18n
from .rendering import error_page, page_blueprint, render
from .review_pages import COOKIE_PATH, REVIEWERS, csrf_ok, csrf_token, sign_in_form, signed_in

blueprint = page_blueprint("training")

PATH = f"{COOKIE_PATH}/training"
ATTEST_PATH = f"{PATH}/attest"


def _anchor(course_id: str) -> str:
    return "c-" + course_id.removeprefix("course:")


def _hers(user: User, course: dict[str, Any]) -> bool:
    """Her cooperatives' courses and those offered to them (every course, for an admin)."""
    if user.role == "admin":
        return True
    mine = set(user.cooperative_ids)
    offered = set(course.get("offered_to") or [])
    return course.get("cooperative") in mine or bool(offered & (mine | {EVERYONE}))


@blueprint.get(PATH)
def training_page():
    user = signed_in()
    if user is None:
        return sign_in_form(back=PATH)
    if user.role not in REVIEWERS:
        return error_page(403, "not_coordinator")
    store, lang = hirfa().store(), g.lang
    opened = request.args.get("course")
    shown = []
    for doc in courses.list_courses(store, user):
        if not _hers(user, doc):
            continue
        rows = reports.course_progress(store, user, doc["_id"])
        shown.append(_course(user, doc, rows, lang, opened))
    if not any(c["open"] for c in shown):  # none asked: those with artisans in them
        for shown_course in shown:
            shown_course["open"] = bool(shown_course["artisans"])
    return render(
        "training.html",
        user=user,
        courses=shown,
        flash=session.pop("flash") if "flash" in session else None,
        csrf=csrf_token(),
        attest_path=ATTEST_PATH,
    )


def _course(
    user: User, course: dict[str, Any], rows: list[dict[str, Any]], lang: str, opened: str | None
) -> dict[str, Any]:
    title, title_lang = i18n.pick(course.get("title"), lang)
    lessons = course.get("lessons") or []
    mine = set(user.cooperative_ids)
    offered = set(course.get("offered_to") or [])
    return {
        "id": course["_id"],
        "anchor": _anchor(course["_id"]),
        "title": Markup('<span lang="{}" dir="auto">{}</span>').format(title_lang, title),
        "status": course.get("status"),
        "meta": Markup(i18n.text(lang, "tr_meta")).format(
            lessons=Markup('<bdi dir="ltr">{}</bdi>').format(len(lessons)),
            hours=Markup('<bdi dir="ltr">{}</bdi>').format(course.get("hours")),
            issuer=Markup("<bdi>{}</bdi>").format((course.get("issuer") or {}).get("name", "")),
        ),
        "not_offered": user.role != "admin" and not offered & (mine | {EVERYONE}),
        "practical": bool((course.get("practical") or {}).get("required")),
        "assessment": bool(course.get("assessment")),
        "artisans": [_row(row, lessons, lang) for row in rows],
        "open": opened == course["_id"],
    }


def _row(row: dict[str, Any], lessons: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    titles = {lesson["id"]: i18n.pick(lesson.get("title"), lang) for lesson in lessons}
    quizzes = []
    for lesson in lessons:
        score = (row.get("quiz_scores") or {}).get(lesson["id"])
        if score is None:
            continue
        text, text_lang = titles[lesson["id"]]
        quizzes.append(
            Markup(
                '<span lang="{}" dir="auto">{}</span>\u00a0<span class="badge"><bdi dir="ltr">'
                "{}\u00a0%</bdi></span>"
            ).format(text_lang, text, score)
        )
    return {
        **row,
        "lessons": Markup('<bdi dir="ltr">{}/{}</bdi>').format(
            len(row["lessons_done"]), row["lessons_total"]
        ),
        "quizzes": Markup("، " if lang in i18n.RTL else ", ").join(quizzes),
    }


@blueprint.post(ATTEST_PATH)
def attest():
    if not csrf_ok():
        return error_page(400, "form_expired", back=PATH)
    user = signed_in()
    if user is None:
        return redirect(PATH, 303)
    if user.role not in REVIEWERS:
        return error_page(403, "not_coordinator")
    course_id = request.form.get("course_id", "")[:200]
    note = request.form.get("note", "").strip()[:1000] or None
    try:
        found = attestations.attest(
            hirfa().store(),
            user,
            course_id,
            request.form.get("artisan", "")[:100],
            note,
            hirfa().settings.public_url,
        )
        key = "tr_done_certificate" if found["certificate"] else "tr_done_attest"
        session["flash"] = {"kind": "ok", "key": key}
    except AppError:  # not hers, no practical, no such course: nothing was written
        session["flash"] = {"kind": "error", "key": "tr_attest_refused"}
    back = f"{PATH}?{urlencode({'course': course_id})}#{_anchor(course_id)}"
    return redirect(back, 303)
