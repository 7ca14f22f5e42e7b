"""The learner's pages: my courses, a course, a lesson (mark as read, previous/next), the
quiz (start, answer, results), my certificates, a certificate, the public verification
page, and the training-gate notice of the portal. Routes only: rules in learning.py."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.common.errors import ServiceError
from app.common.forms import require_post_form
from app.common.web import db, get_or_404
from app.db import utcnow
from app.training import bp, learning, queries, services
from app.training.models import Certificate, Course, Lesson, QuizAttempt
from app.training.video import embed_url


def _me():
    return current_user._get_current_object()


def _course_or_404(course_id: int) -> Course:
    """A course the signed-in person may open (404 otherwise: no peeking)."""
    course = get_or_404(Course, course_id)
    if not queries.learner_may_see(db(), _me(), course):
        abort(404)
    return course


def _own_attempt(attempt_id: int) -> QuizAttempt:
    attempt = db().get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


@bp.get("/training")
def index():
    mine = queries.my_courses(db(), _me(), utcnow().date())
    return render_template("training/index.html", mine=mine)


@bp.get("/training/courses/<int:course_id>")
def course(course_id: int):
    found = _course_or_404(course_id)
    me = _me()
    state = learning.quiz_state(db(), me, found)
    read_ids = learning.read_lesson_ids(db(), me.id, found.id)
    original = found.translation_of or found
    return render_template(
        "training/course.html", course=found, original=original, state=state,
        read_ids=read_ids, resume=queries.resume_lesson(found, read_ids, state.progress),
        versions=[v for v in queries.family_of(db(), found, published_only=not me.has_role(
            Role.CURATOR)) if v.id != found.id],
        today=utcnow().date())


@bp.get("/training/courses/<int:course_id>/lessons/<int:lesson_id>")
def lesson(course_id: int, lesson_id: int):
    found = _course_or_404(course_id)
    current = get_or_404(Lesson, lesson_id)
    if current.course_id != found.id:
        abort(404)
    lessons = list(found.lessons)
    index = lessons.index(current)
    read_ids = learning.read_lesson_ids(db(), current_user.id, found.id)
    return render_template(
        "training/lesson.html", course=found, lesson=current, number=index + 1,
        total=len(lessons), previous=lessons[index - 1] if index else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None,
        read=current.id in read_ids, video=embed_url(current.video_url))


@bp.post("/training/courses/<int:course_id>/lessons/<int:lesson_id>/read")
def mark_read(course_id: int, lesson_id: int):
    require_post_form()
    found = _course_or_404(course_id)
    current = get_or_404(Lesson, lesson_id)
    if current.course_id != found.id:
        abort(404)
    if not found.is_published:
        flash(_("This course is a draft: progress is not recorded in the preview."), "info")
        return redirect(url_for("training.lesson", course_id=found.id, lesson_id=current.id))
    following = learning.mark_read(db(), _me(), current)
    if following is not None:
        return redirect(url_for("training.lesson", course_id=found.id, lesson_id=following.id))
    flash(_("You have read every lesson: time for the quiz."), "success")
    return redirect(url_for("training.quiz", course_id=found.id))


@bp.get("/training/courses/<int:course_id>/quiz")
def quiz(course_id: int):
    found = _course_or_404(course_id)
    return render_template("training/quiz.html", course=found,
                           state=learning.quiz_state(db(), _me(), found),
                           attempts=queries.my_attempts(db(), current_user.id, found.id))


@bp.post("/training/courses/<int:course_id>/quiz")
def start_quiz(course_id: int):
    require_post_form()
    found = _course_or_404(course_id)
    try:
        attempt = learning.start_attempt(db(), _me(), found)
    except ServiceError as exc:
        flash(exc.message, "warning")
        return redirect(url_for("training.quiz", course_id=found.id), code=303)
    return redirect(url_for("training.attempt", attempt_id=attempt.id), code=303)


@bp.route("/training/attempts/<int:attempt_id>", methods=["GET", "POST"])
def attempt(attempt_id: int):
    found = _own_attempt(attempt_id)
    if not found.is_open:
        return redirect(url_for("training.attempt_result", attempt_id=found.id))
    error, picked = None, {}
    if request.method == "POST":
        require_post_form()
        answers = learning.parse_answers(request.form)
        try:
            learning.submit_attempt(db(), _me(), found, answers)
        except ServiceError as exc:
            error, picked = exc.message, answers
        else:
            return redirect(url_for("training.attempt_result", attempt_id=found.id), code=303)
    page = render_template("training/attempt.html", attempt=found, course=found.course,
                           questions=learning.shown_questions(db(), found), error=error,
                           picked={qid: set(ids) for qid, ids in picked.items()})
    return (page, 422) if error else page


@bp.get("/training/attempts/<int:attempt_id>/result")
def attempt_result(attempt_id: int):
    found = _own_attempt(attempt_id)
    if found.is_open:
        return redirect(url_for("training.attempt", attempt_id=found.id))
    course_row = found.course
    state = learning.quiz_state(db(), _me(), course_row)
    return render_template("training/result.html", attempt=found, course=course_row,
                           questions=learning.shown_questions(db(), found), state=state)


@bp.get("/training/certificates")
def certificates():
    return render_template("training/certificates.html",
                           certificates=queries.my_certificates(db(), current_user.id))


@bp.get("/training/certificates/<int:certificate_id>")
def certificate(certificate_id: int):
    found = db().get(Certificate, certificate_id)
    if found is None or found.user_id != current_user.id:
        abort(404)
    return render_template("training/certificate.html", certificate=found,
                           rewards=queries.certificate_rewards(db(), found),
                           verify_url=current_app.config["BASE_URL"].rstrip("/")
                           + url_for("training.verify_code", code=found.code))


@bp.get("/certificates/verify")
def verify():
    """Anyone can check a certificate with its code (typed here, or the printed link)."""
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("training.verify_code", code=code[:64]))
    return render_template("training/verify.html", certificate=None, code="")


@bp.get("/certificates/verify/<code>")
def verify_code(code: str):
    found = queries.certificate_by_code(db(), code)
    page = render_template("training/verify.html", certificate=found, code=code[:64])
    return page if found is not None else (page, 404)


@bp.get("/training/gate")
def gate_notice():
    """htmx, on the portal: which course unlocks sharing, if one does (empty otherwise)."""
    me = _me()
    blocking = services.blocking_course_id(db(), me)
    version = services.version_for(db(), blocking, me.language) if blocking else None
    return render_template("training/_gate_notice.html", course=version)
