"""Courses and progress, with the training pages' rules:

- ``/courses`` and ``/courses/{id}``: the published courses assigned to you (their audience
  is everyone or one of your groups); curators and admins see every course, drafts
  included (``app.training.queries.learner_may_see``). Another course is a 404.
- ``/courses/{id}/progress``: the training report of the course's family (passing any
  language version counts) — curators and admins: everyone, or one manager's team;
  managers: their team (direct and indirect reports), or the team of a manager in it.
- ``/users/{id}/courses``: a person's courses as "My training" shows them — yours; your
  reports' if you manage people; anyone's for curators and admins (who see everyone in
  the training reports).
"""

from __future__ import annotations

import marshmallow as ma
from flask import abort
from flask_login import current_user
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.accounts.queries import team_ids
from app.api.badges import list_page
from app.api.core import ApiBlueprint
from app.api.meta import id_param
from app.api.pagination import Id, PageArgs, Text, in_range_id, page_body, page_of, paginated
from app.api.users import visible_person_or_404
from app.common.pagination import paginate
from app.common.web import db
from app.db import utcnow
from app.training import queries, reports
from app.training.models import Course, CourseStatus
from app.training.services import LANGUAGES, audience_condition

blp = ApiBlueprint("api_courses", __name__, scope="training",
                   description="Training courses (lessons and a final quiz), who must take "
                               "them and how far people are.")

#: a person's status in a course (the training reports' words)
STATUSES = list(reports.STATUSES)


class CourseSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True, allow_none=True)
    title = ma.fields.String(required=True)
    summary = ma.fields.String(required=True, metadata={"description": "Plain text."})
    language = ma.fields.String(required=True)
    status = ma.fields.Enum(CourseStatus, by_value=True, required=True)
    family_id = ma.fields.Integer(required=True, metadata={
        "description": "The original course of which this one may be a translation; "
                       "passing any version of a family counts for all."})
    estimated_minutes = ma.fields.Integer(required=True)
    lessons = ma.fields.Integer(required=True)
    questions = ma.fields.Integer(required=True)
    pass_mark = ma.fields.Integer(required=True, metadata={"description": "In percent."})
    max_attempts = ma.fields.Integer(required=True, metadata={"description": "0: unlimited."})
    due_on = ma.fields.Date(required=True, allow_none=True, metadata={
        "description": "The audience must pass by the end of this day (UTC)."})
    required_for_sharing = ma.fields.Boolean(required=True, metadata={
        "description": "Its audience cannot share before passing it."})
    published_at = ma.fields.DateTime(required=True, allow_none=True)
    updated_at = ma.fields.DateTime(required=True)


class LessonRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    position = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)


class CourseDetailSchema(CourseSchema):
    lesson_list = ma.fields.List(ma.fields.Nested(LessonRefSchema), required=True)


CoursePage = page_of(CourseSchema, "CoursePage")


class CoursesArgs(PageArgs):
    language = ma.fields.String(validate=ma.validate.OneOf(LANGUAGES))
    status = ma.fields.Enum(CourseStatus, by_value=True, metadata={
        "description": "Curators and admins also see drafts."})


def _dump(courses: list[Course]) -> list[dict]:
    """Courses with their counts and their family's assignment (read on the original), in
    three statements whatever their number."""
    session = db()
    counts = queries.content_counts(session, [c.id for c in courses])
    family = {c.family_id for c in courses}
    originals = {c.id: c for c in session.scalars(select(Course).where(Course.id.in_(family)))}
    out = []
    for c in courses:
        original = originals.get(c.family_id, c)
        out.append({"id": c.id, "slug": c.slug, "title": c.title, "summary": c.summary,
                    "language": c.language, "status": c.status, "family_id": c.family_id,
                    "estimated_minutes": c.estimated_minutes, "lessons": counts[c.id][0],
                    "questions": counts[c.id][1], "pass_mark": c.pass_mark,
                    "max_attempts": c.max_attempts, "due_on": original.due_on,
                    "required_for_sharing": original.required_for_sharing,
                    "published_at": c.published_at, "updated_at": c.updated_at})
    return out


def _course_or_404(course_id: int) -> Course:
    course = db().get(Course, course_id) if in_range_id(course_id) else None
    if course is None or not queries.learner_may_see(db(), current_user, course):
        abort(404)
    return course


@blp.route("/courses", methods=["GET"])
@blp.arguments(CoursesArgs, location="query")
@blp.response(200, CoursePage)
def list_courses(args):
    """List courses

    The published courses assigned to you (every language version); curators and admins
    see every course, drafts included. Filter by `language` and `status`.
    """
    status = args["status"].value if args.get("status") else ""
    stmt = queries.authoring_statement(status, args.get("language", ""))
    if not current_user.has_role(Role.CURATOR):
        stmt = stmt.where(Course.status == CourseStatus.PUBLISHED, audience_condition(
            func.coalesce(Course.translation_of_id, Course.id), current_user.id))
    page = paginated(db(), stmt, args)
    return page_body(page, _dump(page.items))


@blp.route("/courses/<int:course_id>", methods=["GET"], parameters=[id_param("course_id")])
@blp.response(200, CourseDetailSchema)
def get_course(course_id: int):
    """Get a course

    With its lessons in order (their text is read on the course's pages).
    """
    course = _course_or_404(course_id)
    body = _dump([course])[0]
    body["lesson_list"] = [{"id": lesson.id, "position": lesson.position,
                            "title": lesson.title} for lesson in course.lessons]
    return body


# --- progress -----------------------------------------------------------------------------------


class ProgressArgs(PageArgs):
    manager_id = Id(metadata={"description": "Only this manager's team (direct and indirect "
                                             "reports). Managers: a manager within their "
                                             "own team."})
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))
    q = Text(validate=ma.validate.Length(max=100),
             metadata={"description": "Part of the name or email."})


class SummarySchema(ma.Schema):
    audience = ma.fields.Integer(required=True, metadata={
        "description": "Active people the course is assigned to (in scope)."})
    completed = ma.fields.Integer(required=True)
    in_progress = ma.fields.Integer(required=True)
    not_started = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True)
    percent = ma.fields.Integer(required=True)
    average_score = ma.fields.Float(required=True, allow_none=True, metadata={
        "description": "Average best score of those who took the quiz."})


class PersonProgressSchema(ma.Schema):
    user_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    manager = ma.fields.String(required=True, allow_none=True, metadata={
        "description": "Their manager's name."})
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    started_at = ma.fields.DateTime(required=True, allow_none=True)
    attempts = ma.fields.Integer(required=True)
    best_score = ma.fields.Integer(required=True, allow_none=True)
    passed_at = ma.fields.DateTime(required=True, allow_none=True)
    score = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": "The certificate's score."})
    passed_language = ma.fields.String(required=True, allow_none=True)


class ProgressSchema(page_of(PersonProgressSchema, "PersonProgressPage")):
    course_id = ma.fields.Integer(required=True, metadata={
        "description": "The family's original (the report covers every version)."})
    manager_id = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": "Whose team the report covers; null: everyone."})
    summary = ma.fields.Nested(SummarySchema, required=True)


def _scope(manager_id: int | None) -> tuple[set[int] | None, int | None]:
    """(the people the report covers, whose team it is), as the training reports: curators
    and admins everyone or any manager's team; managers their team or a team within it."""
    session = db()
    if current_user.has_role(Role.CURATOR):
        if manager_id is None:
            return None, None
        if session.get(User, manager_id) is None:
            abort(404)
        return set(team_ids(session, manager_id)), manager_id
    mine = set(team_ids(session, current_user.id))
    if manager_id is None or manager_id == current_user.id:
        return mine, current_user.id
    if manager_id not in mine:
        abort(404)
    return set(team_ids(session, manager_id)), manager_id


@blp.route("/courses/<int:course_id>/progress", methods=["GET"],
           parameters=[id_param("course_id")])
@blp.arguments(ProgressArgs, location="query")
@blp.response(200, ProgressSchema)
def course_progress(args, course_id: int):
    """Get the progress report of a course

    The completion of the course's family (passing any language version counts) over its
    audience, with one row per person (by name): everyone for curators and admins (or
    `manager_id`'s team), your team for managers (direct and indirect reports). Filter by
    `status` (passed, in_progress, not_started, overdue) and `q`.
    """
    course = db().get(Course, course_id) if in_range_id(course_id) else None
    if course is None:
        abort(404)
    original = course.translation_of or course
    scope, manager_id = _scope(args.get("manager_id"))
    today = utcnow().date()
    session = db()
    stmt = reports.people_statement(original, scope, today, status=args.get("status", ""),
                                    q=(args.get("q") or "").strip())
    page = paginate(session, stmt, args["page"], args["per_page"], scalars=False)
    items = [{"user_id": row.id, "name": row.name, "email": row.email,
              "manager": row.manager, "status": reports.person_status(row, original, today),
              "started_at": row.started, "attempts": int(row.attempts or 0),
              "best_score": row.best, "passed_at": row.issued_at, "score": row.score,
              "passed_language": row.language} for row in page.items]
    summary = reports.summary(session, original, scope, today)
    body, headers = page_body(page, items)
    body.update(course_id=original.id, manager_id=manager_id, summary={
        "audience": summary.audience, "completed": summary.completed,
        "in_progress": summary.in_progress, "not_started": summary.not_started,
        "overdue": summary.overdue, "percent": summary.percent,
        "average_score": summary.average_score})
    return body, headers


# --- a person's courses ---------------------------------------------------------------------------


class PersonCourseSchema(ma.Schema):
    course = ma.fields.Nested(CourseSchema, required=True, metadata={
        "description": "The version in the person's language when there is one."})
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    percent = ma.fields.Integer(required=True, metadata={
        "description": "Lessons read and the quiz, as a percentage (100 once passed)."})
    lessons_read = ma.fields.Integer(required=True)
    attempts = ma.fields.Integer(required=True)
    best_score = ma.fields.Integer(required=True, allow_none=True)
    passed_at = ma.fields.DateTime(required=True, allow_none=True)
    certificate_id = ma.fields.Integer(required=True, allow_none=True)


PersonCoursePage = page_of(PersonCourseSchema, "PersonCoursePage")


def _card_status(card) -> str:
    if card.certificate is not None:
        return reports.PASSED
    if card.overdue:
        return reports.OVERDUE
    return reports.IN_PROGRESS if card.started else reports.NOT_STARTED


@blp.route("/users/<int:user_id>/courses", methods=["GET"], parameters=[id_param("user_id")])
@blp.arguments(PageArgs, location="query")
@blp.response(200, PersonCoursePage)
def list_user_courses(args, user_id: int):
    """List the courses of a person

    The published courses assigned to the person, one version per course (in their
    language when there is one): required ones first, then those to do, then those
    passed — as on their training page. Yours; your reports' if you manage people;
    anyone's for curators and admins (404 otherwise).
    """
    person = visible_person_or_404(user_id, curators=True)
    mine = queries.my_courses(db(), person, utcnow().date())
    cards = mine.required + mine.todo + mine.completed
    page = list_page(cards, args)
    dumped = _dump([card.course for card in page.items])
    return page_body(page, [{
        "course": course, "status": _card_status(card), "percent": card.percent,
        "lessons_read": card.lessons_read,
        "attempts": card.progress.attempts if card.progress else 0,
        "best_score": card.progress.best_score if card.progress else None,
        "passed_at": card.certificate.issued_at if card.certificate else None,
        "certificate_id": card.certificate.id if card.certificate else None,
    } for card, course in zip(page.items, dumped, strict=True)])
