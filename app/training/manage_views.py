"""Authoring, for curators and admins: courses (cover, audience, due date, quiz settings,
publication, duplicate-to-translate), lessons (Markdown with a live preview, video, order)
and quiz questions (answers, explanation, live preview, order). Routes only."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts import queries as account_queries
from app.accounts.forms import as_choices
from app.common.errors import ServiceError
from app.common.forms import require_post_form
from app.common.pagination import paginate
from app.common.uploads import pending_upload, store_upload
from app.common.web import current_actor, db, get_or_404, render_invalid
from app.training import bp, queries, services
from app.training.forms import CourseForm, LessonForm, MoveForm, QuestionForm
from app.training.learning import ShownChoice, ShownQuestion
from app.training.models import Course, Lesson, Question, QuestionKind
from app.training.services import LANGUAGES, MAX_CHOICES
from app.training.video import embed_url

# --- helpers -------------------------------------------------------------------------------


def _apply_error(form, exc: ServiceError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors") and exc.field != "choices":
        if not isinstance(target.errors, list):
            target.errors = list(target.errors)
        target.errors.append(exc.message)
    else:
        flash(exc.message, "danger")


def _back_to(course: Course, anchor: str = ""):
    return redirect(url_for("training.manage_course", course_id=course.id) + anchor, code=303)


def _free_languages(db_session, course: Course) -> list[str]:
    taken = {c.language for c in queries.family_of(db_session, course, published_only=False)}
    return [code for code in LANGUAGES if code not in taken]


# --- courses --------------------------------------------------------------------------------


@bp.get("/training/manage")
def manage_courses():
    status = request.args.get("status", "")
    page = paginate(db(), queries.authoring_statement(status=status),
                    request.args.get("page", 1, type=int), current_app.config["PER_PAGE"])
    return render_template("training/manage/courses.html", page=page, status=status,
                           counts=queries.content_counts(db(), [c.id for c in page.items]))


def _course_form_choices(form: CourseForm) -> None:
    form.group_ids.choices = as_choices((g.id, f"{g.name} ({g.kind.value})")
                                        for g in account_queries.all_groups(db()))


def _course_input(form: CourseForm, cover: str | None) -> services.CourseInput:
    return services.CourseInput(
        title=form.title.data or "", summary=form.summary.data or "",
        language=form.language.data, estimated_minutes=form.estimated_minutes.data or 15,
        group_ids=form.group_ids.data or [], due_on=form.due_on.data,
        pass_mark=form.pass_mark.data or 80,
        max_attempts=form.max_attempts.data if form.max_attempts.data is not None else 3,
        cooldown_minutes=(form.cooldown_minutes.data
                          if form.cooldown_minutes.data is not None else 60),
        cover_image_url=cover)


def _save_course(form: CourseForm, course: Course | None):
    template = "training/manage/course_form.html"
    context = dict(form=form, course=course)
    if not form.validate_on_submit():
        if form.is_submitted():
            return render_invalid(template, **context)
        return render_template(template, **context)
    upload = pending_upload(form.cover_file)
    cover = url_for("content.uploaded_image", name=upload[0]) if upload else (
        "" if form.remove_cover.data else None)
    data = _course_input(form, cover)
    try:
        if course is None:
            course = services.create_course(db(), current_actor(), data)
            message = _("Course created. Add its lessons and quiz questions.")
        else:
            services.update_course(db(), current_actor(), course, data)
            message = _("Changes saved.")
    except ServiceError as exc:
        _apply_error(form, exc)
        return render_invalid(template, **context)
    if upload:
        store_upload(*upload)
    flash(message, "success")
    return _back_to(course)


@bp.route("/training/manage/courses/new", methods=["GET", "POST"])
def manage_new():
    form = CourseForm()
    _course_form_choices(form)
    return _save_course(form, None)


@bp.route("/training/manage/courses/<int:course_id>/edit", methods=["GET", "POST"])
def manage_edit(course_id: int):
    course = get_or_404(Course, course_id)
    form = CourseForm(obj=course) if request.method == "GET" else CourseForm()
    _course_form_choices(form)
    if request.method == "GET":
        form.group_ids.data = [g.id for g in course.groups]
    return _save_course(form, course)


@bp.get("/training/manage/courses/<int:course_id>")
def manage_course(course_id: int):
    course = get_or_404(Course, course_id)
    return render_template(
        "training/manage/course.html", course=course,
        versions=queries.family_of(db(), course, published_only=False),
        problems=services.publishing_problems(course),
        free_languages=_free_languages(db(), course))


@bp.post("/training/manage/courses/<int:course_id>/<action>")
def manage_action(course_id: int, action: str):
    if action not in ("publish", "unpublish", "delete", "translate"):
        abort(404)
    course = get_or_404(Course, course_id)
    require_post_form()
    actor = current_actor()
    try:
        if action == "publish":
            services.publish_course(db(), actor, course)
            flash(_("Published: the audience sees it now."), "success")
        elif action == "unpublish":
            services.unpublish_course(db(), actor, course)
            flash(_("Back to draft: learners no longer see it."), "success")
        elif action == "delete":
            title = course.title
            services.delete_course(db(), actor, course)
            flash(_("“%(title)s” was deleted.", title=title), "success")
            return redirect(url_for("training.manage_courses"), code=303)
        else:
            copy = services.translate_course(db(), actor, course,
                                             request.form.get("language", ""))
            flash(_("A draft copy was made: translate its texts, then publish it."), "success")
            return _back_to(copy)
    except ServiceError as exc:
        db().rollback()  # a 303 commits: keep nothing a refused action may have touched
        flash(exc.message, "danger")
    return _back_to(course)


# --- lessons --------------------------------------------------------------------------------


def _lesson_input(form: LessonForm) -> services.LessonInput:
    return services.LessonInput(title=form.title.data or "", body_md=form.body_md.data or "",
                                video_url=form.video_url.data or "")


def _save_lesson(form: LessonForm, course: Course, lesson: Lesson | None):
    template = "training/manage/lesson_form.html"
    context = dict(form=form, course=course, lesson=lesson, video=embed_url(form.video_url.data))
    if request.method == "POST" and request.form.get("action") == "preview":
        if not form.validate_on_submit():  # still show the preview of what was typed
            return render_invalid(template, **context)
        return render_template(template, **context)
    if not form.validate_on_submit():
        if form.is_submitted():
            return render_invalid(template, **context)
        return render_template(template, **context)
    try:
        if lesson is None:
            services.add_lesson(db(), current_actor(), course, _lesson_input(form))
            flash(_("Lesson added."), "success")
        else:
            services.update_lesson(db(), current_actor(), lesson, _lesson_input(form))
            flash(_("Lesson saved."), "success")
    except ServiceError as exc:
        _apply_error(form, exc)
        return render_invalid(template, **context)
    return _back_to(course, "#lessons")


@bp.route("/training/manage/courses/<int:course_id>/lessons/new", methods=["GET", "POST"])
def lesson_new(course_id: int):
    course = get_or_404(Course, course_id)
    return _save_lesson(LessonForm(), course, None)


@bp.route("/training/manage/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
def lesson_edit(lesson_id: int):
    lesson = get_or_404(Lesson, lesson_id)
    form = LessonForm(obj=lesson) if request.method == "GET" else LessonForm()
    return _save_lesson(form, lesson.course, lesson)


@bp.post("/training/manage/lessons/<int:lesson_id>/move")
def lesson_move(lesson_id: int):
    lesson = get_or_404(Lesson, lesson_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    services.move_lesson(db(), current_actor(), lesson, form.direction.data)
    return _back_to(lesson.course, "#lessons")


@bp.post("/training/manage/lessons/<int:lesson_id>/delete")
def lesson_delete(lesson_id: int):
    require_post_form()
    lesson = get_or_404(Lesson, lesson_id)
    course = lesson.course
    try:
        services.delete_lesson(db(), current_actor(), lesson)
        flash(_("Lesson deleted."), "success")
    except ServiceError as exc:
        flash(exc.message, "danger")
    return _back_to(course, "#lessons")


@bp.post("/training/manage/lessons/preview")
def lesson_preview():
    """htmx: the lesson as learners will see it (sanitised Markdown, embedded video)."""
    form = LessonForm()
    form.validate_on_submit()  # CSRF is checked by CSRFProtect; show whatever was typed
    return render_template("training/manage/_lesson_preview.html", form=form,
                           video=embed_url(form.video_url.data))


# --- questions ------------------------------------------------------------------------------


def _question_input(form: QuestionForm) -> services.QuestionInput:
    kind = form.kind.data if form.kind.data in QuestionKind._value2member_map_ \
        else QuestionKind.SINGLE.value
    return services.QuestionInput(
        kind=QuestionKind(kind), text=form.text.data or "",
        explanation=form.explanation.data or "",
        choices=[(entry.form.text.data or "", bool(entry.form.correct.data))
                 for entry in form.choices])


def _preview_question(form: QuestionForm) -> ShownQuestion:
    """What the learner sees (and, for the author, which answers are right)."""
    data = _question_input(form)
    shown = ShownQuestion(id=0, number=1, kind=data.kind, text=data.text,
                          explanation=data.explanation)
    for n, (text, correct) in enumerate(data.choices, start=1):
        if text.strip():
            shown.choices.append(ShownChoice(id=n, text=text.strip(), correct=correct))
    return shown


def _fill_question_form(form: QuestionForm, question: Question) -> None:
    for entry, choice in zip(form.choices, question.choices, strict=False):
        entry.form.text.data = choice.text
        entry.form.correct.data = choice.correct


def _save_question(form: QuestionForm, course: Course, question: Question | None):
    template = "training/manage/question_form.html"
    context = dict(form=form, course=course, question=question,
                   preview=_preview_question(form), max_choices=MAX_CHOICES)
    if request.method == "POST" and request.form.get("action") == "preview":
        if not form.validate_on_submit():
            return render_invalid(template, **context)
        return render_template(template, **context)
    if not form.validate_on_submit():
        if form.is_submitted():
            return render_invalid(template, **context)
        return render_template(template, **context)
    try:
        if question is None:
            services.add_question(db(), current_actor(), course, _question_input(form))
            flash(_("Question added."), "success")
        else:
            services.update_question(db(), current_actor(), question, _question_input(form))
            flash(_("Question saved."), "success")
    except ServiceError as exc:
        _apply_error(form, exc)
        return render_invalid(template, **context)
    if request.form.get("action") == "add_another":
        return redirect(url_for("training.question_new", course_id=course.id), code=303)
    return _back_to(course, "#questions")


@bp.route("/training/manage/courses/<int:course_id>/questions/new", methods=["GET", "POST"])
def question_new(course_id: int):
    course = get_or_404(Course, course_id)
    return _save_question(QuestionForm(), course, None)


@bp.route("/training/manage/questions/<int:question_id>/edit", methods=["GET", "POST"])
def question_edit(question_id: int):
    question = get_or_404(Question, question_id)
    form = QuestionForm(obj=question) if request.method == "GET" else QuestionForm()
    if request.method == "GET":
        form.kind.data = question.kind.value
        _fill_question_form(form, question)
    return _save_question(form, question.course, question)


@bp.post("/training/manage/questions/<int:question_id>/move")
def question_move(question_id: int):
    question = get_or_404(Question, question_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    services.move_question(db(), current_actor(), question, form.direction.data)
    return _back_to(question.course, "#questions")


@bp.post("/training/manage/questions/<int:question_id>/delete")
def question_delete(question_id: int):
    require_post_form()
    question = get_or_404(Question, question_id)
    course = question.course
    try:
        services.delete_question(db(), current_actor(), question)
        flash(_("Question deleted."), "success")
    except ServiceError as exc:
        flash(exc.message, "danger")
    return _back_to(course, "#questions")


@bp.post("/training/manage/questions/preview")
def question_preview():
    """htmx: the question as learners will see it, with the right answers marked."""
    form = QuestionForm()
    form.validate_on_submit()
    return render_template("training/manage/_question_preview.html",
                           preview=_preview_question(form))
