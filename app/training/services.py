"""Training rules for authors and admins: courses, lessons, questions, publication,
translations, the "required before sharing" setting, and the training gate itself.

The learner's side (reading, quiz attempts, certificates) is in ``learning.py``; due-date
reminders in ``reminders.py``. Services flush and never commit (DESIGN.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import Group, User, user_groups
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.db import utcnow
from app.training.models import (
    Certificate,
    Choice,
    Course,
    CourseStatus,
    Lesson,
    Question,
    QuestionKind,
    QuizAttempt,
    course_groups,
)
from app.training.video import embed_url

LANGUAGES = ("en", "fr")
#: how many answers a question may offer
MIN_CHOICES, MAX_CHOICES = 2, 8


# --- courses --------------------------------------------------------------------------------


@dataclass
class CourseInput:
    title: str
    summary: str = ""
    language: str = "en"
    estimated_minutes: int = 15
    #: originals only (a translation follows its original's audience and due date)
    group_ids: list[int] = field(default_factory=list)
    due_on: date | None = None
    pass_mark: int = 80
    max_attempts: int = 3
    cooldown_minutes: int = 60
    #: None: keep the current cover; "": remove it
    cover_image_url: str | None = None


def _check_course(data: CourseInput) -> None:
    if not data.title.strip():
        raise ServiceError(_("Give the course a title."), field="title")
    if data.language not in LANGUAGES:
        raise ServiceError(_("Unknown language."), field="language")
    if not 1 <= data.pass_mark <= 100:
        raise ServiceError(_("The pass mark is a percentage between 1 and 100."),
                           field="pass_mark")
    if data.max_attempts < 0 or data.cooldown_minutes < 0 or data.estimated_minutes < 1:
        raise ServiceError(_("Use positive numbers."), field="max_attempts")


def _groups(db: Session, ids: list[int]) -> list[Group]:
    wanted = set(ids or [])
    found = list(db.scalars(select(Group).where(Group.id.in_(wanted)))) if wanted else []
    if len(found) != len(wanted):
        raise ServiceError(_("Unknown group."), field="group_ids")
    return found


def _apply(db: Session, course: Course, data: CourseInput) -> None:
    course.title = data.title.strip()[:200]
    course.summary = (data.summary or "").strip()
    course.language = data.language
    course.estimated_minutes = data.estimated_minutes
    course.pass_mark = data.pass_mark
    course.max_attempts = data.max_attempts
    course.cooldown_minutes = data.cooldown_minutes
    if data.cover_image_url is not None:
        course.cover_image_url = data.cover_image_url
    if course.translation_of_id is None:  # the family's assignment lives on the original
        course.groups = _groups(db, data.group_ids)
        course.due_on = data.due_on
    course.updated_at = utcnow()


def _check_language_free(db: Session, family_id: int, language: str,
                         except_id: int | None = None) -> None:
    taken = db.scalar(select(Course.id).where(
        or_(Course.id == family_id, Course.translation_of_id == family_id),
        Course.language == language, Course.id != (except_id or 0)).limit(1))
    if taken is not None:
        raise ServiceError(_("This course already has a version in that language."),
                           field="language")


def create_course(db: Session, actor: Actor, data: CourseInput) -> Course:
    _check_course(data)
    course = Course(status=CourseStatus.DRAFT, created_by_id=actor.user_id,
                    created_at=utcnow())
    _apply(db, course, data)
    db.add(course)
    db.flush()
    record(db, actor, "course.created", target=course, title=course.title)
    return course


def update_course(db: Session, actor: Actor, course: Course, data: CourseInput) -> None:
    _check_course(data)
    if data.language != course.language:
        _check_language_free(db, course.family_id, data.language, except_id=course.id)
    _apply(db, course, data)
    db.flush()
    record(db, actor, "course.updated", target=course)


def publishing_problems(course: Course) -> list[str]:
    """Why the course cannot be published yet (empty: it can)."""
    problems = []
    if not course.lessons:
        problems.append(_("Add at least one lesson."))
    if not course.questions:
        problems.append(_("Add at least one quiz question."))
    for question in course.questions:
        problem = _question_problem(question.kind, [(c.text, c.correct)
                                                    for c in question.choices])
        if problem:
            problems.append(_("Question %(n)d: %(problem)s", n=question.position,
                              problem=problem))
    return problems


def publish_course(db: Session, actor: Actor, course: Course, now: datetime | None = None
                   ) -> None:
    problems = publishing_problems(course)
    if problems:
        raise ServiceError(" ".join(problems))
    if course.status == CourseStatus.PUBLISHED:
        return
    course.status = CourseStatus.PUBLISHED
    course.published_at = course.published_at or now or utcnow()
    course.updated_at = now or utcnow()
    db.flush()
    record(db, actor, "course.published", target=course)


def unpublish_course(db: Session, actor: Actor, course: Course) -> None:
    if course.status == CourseStatus.DRAFT:
        return
    course.status = CourseStatus.DRAFT
    course.updated_at = utcnow()
    db.flush()
    record(db, actor, "course.unpublished", target=course)


def delete_course(db: Session, actor: Actor, course: Course) -> None:
    """Only a course nobody has taken yet; otherwise unpublish it (history is kept)."""
    if db.scalar(select(Course.id).where(Course.translation_of_id == course.id).limit(1)):
        raise ServiceError(_("Delete its translations first."))
    taken = db.scalar(select(QuizAttempt.id).where(QuizAttempt.course_id == course.id).limit(1)) \
        or db.scalar(select(Certificate.id).where(or_(Certificate.course_id == course.id,
                                                      Certificate.family_id == course.id))
                     .limit(1))
    if taken:
        raise ServiceError(_("People have taken this course: unpublish it instead."))
    record(db, actor, "course.deleted", target=course, title=course.title)
    db.delete(course)
    db.flush()


def translate_course(db: Session, actor: Actor, course: Course, language: str) -> Course:
    """A draft copy of ``course`` in ``language`` (lessons, questions and answers copied,
    to be translated), linked to the family's original."""
    if language not in LANGUAGES or language == course.language:
        raise ServiceError(_("Choose another language."))
    family_id = course.family_id
    _check_language_free(db, family_id, language)
    copy = Course(title=course.title, summary=course.summary, language=language,
                  estimated_minutes=course.estimated_minutes,
                  cover_image_url=course.cover_image_url, translation_of_id=family_id,
                  pass_mark=course.pass_mark, max_attempts=course.max_attempts,
                  cooldown_minutes=course.cooldown_minutes, status=CourseStatus.DRAFT,
                  created_by_id=actor.user_id, created_at=utcnow(), updated_at=utcnow())
    copy.lessons = [Lesson(position=n, title=lesson.title, body_md=lesson.body_md,
                           video_url=lesson.video_url)
                    for n, lesson in enumerate(course.lessons, start=1)]
    copy.questions = [Question(position=n, kind=q.kind, text=q.text, explanation=q.explanation,
                               choices=[Choice(position=m, text=c.text, correct=c.correct)
                                        for m, c in enumerate(q.choices, start=1)])
                      for n, q in enumerate(course.questions, start=1)]
    db.add(copy)
    db.flush()
    record(db, actor, "course.translated", target=copy, source_id=course.id, language=language)
    return copy


def set_required(db: Session, actor: Actor, course: Course, required: bool) -> None:
    """The training gate: people of the audience cannot share before passing the course."""
    if course.translation_of_id is not None:
        raise ServiceError(_("Set this on the original course: its translations follow it."))
    if required and not family_published(db, course.id):
        raise ServiceError(_("Publish the course before requiring it."))
    if course.required_for_sharing == required:
        return
    course.required_for_sharing = required
    course.updated_at = utcnow()
    db.flush()
    record(db, actor, "course.required_for_sharing", target=course, required=required)


def family_published(db: Session, family_id: int) -> bool:
    return bool(db.scalar(select(exists().where(
        or_(Course.id == family_id, Course.translation_of_id == family_id),
        Course.status == CourseStatus.PUBLISHED))))


# --- lessons --------------------------------------------------------------------------------


@dataclass
class LessonInput:
    title: str
    body_md: str = ""
    video_url: str = ""


def _check_lesson(data: LessonInput) -> None:
    if not data.title.strip():
        raise ServiceError(_("Give the lesson a title."), field="title")
    if data.video_url.strip() and embed_url(data.video_url) is None:
        raise ServiceError(_("Only YouTube and Vimeo videos can be embedded: paste the "
                             "video's address."), field="video_url")


def add_lesson(db: Session, actor: Actor, course: Course, data: LessonInput) -> Lesson:
    _check_lesson(data)
    lesson = Lesson(course_id=course.id, position=len(course.lessons) + 1,
                    title=data.title.strip()[:200], body_md=data.body_md or "",
                    video_url=data.video_url.strip()[:500], created_at=utcnow(),
                    updated_at=utcnow())
    course.lessons.append(lesson)
    course.updated_at = utcnow()
    db.flush()
    record(db, actor, "lesson.created", target=lesson, course_id=course.id)
    return lesson


def update_lesson(db: Session, actor: Actor, lesson: Lesson, data: LessonInput) -> None:
    _check_lesson(data)
    lesson.title = data.title.strip()[:200]
    lesson.body_md = data.body_md or ""
    lesson.video_url = data.video_url.strip()[:500]
    lesson.updated_at = lesson.course.updated_at = utcnow()
    db.flush()
    record(db, actor, "lesson.updated", target=lesson, course_id=lesson.course_id)


def delete_lesson(db: Session, actor: Actor, lesson: Lesson) -> None:
    course = lesson.course
    if course.is_published and len(course.lessons) == 1:
        raise ServiceError(_("A published course needs at least one lesson."))
    record(db, actor, "lesson.deleted", target=lesson, course_id=course.id, title=lesson.title)
    course.lessons.remove(lesson)
    _renumber(course.lessons)
    course.updated_at = utcnow()
    db.flush()


def _renumber(rows: list) -> None:
    for n, row in enumerate(rows, start=1):
        row.position = n


def _move(rows: list, row, direction: str) -> bool:
    """Swap ``row`` with its neighbour; False when it is already at that end."""
    index = rows.index(row)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(rows):
        return False
    rows[index], rows[other] = rows[other], rows[index]
    _renumber(rows)
    return True


def move_lesson(db: Session, actor: Actor, lesson: Lesson, direction: str) -> bool:
    course = lesson.course
    moved = _move(list(course.lessons), lesson, direction)
    if moved:
        course.updated_at = utcnow()
        db.flush()
        db.expire(course, ["lessons"])  # reload in the new order
        record(db, actor, "lesson.moved", target=lesson, course_id=course.id,
               direction=direction)
    return moved


# --- questions ------------------------------------------------------------------------------


@dataclass
class QuestionInput:
    kind: QuestionKind
    text: str
    explanation: str = ""
    #: (answer text, is it right?) in display order; empty texts are dropped
    choices: list[tuple[str, bool]] = field(default_factory=list)


def _question_problem(kind: QuestionKind, choices: list[tuple[str, bool]]) -> str | None:
    if len(choices) < MIN_CHOICES:
        return _("Offer at least %(n)d answers.", n=MIN_CHOICES)
    if len(choices) > MAX_CHOICES:
        return _("Offer at most %(n)d answers.", n=MAX_CHOICES)
    right = sum(1 for _text, correct in choices if correct)
    if kind == QuestionKind.SINGLE and right != 1:
        return _("A single-choice question needs exactly one right answer.")
    if kind == QuestionKind.MULTIPLE and right < 1:
        return _("Mark at least one right answer.")
    return None


def clean_question(data: QuestionInput) -> QuestionInput:
    """The input with empty answers dropped; ServiceError if it is not a valid question."""
    choices = [(text.strip()[:500], bool(correct)) for text, correct in data.choices
               if text and text.strip()]
    if not (data.text or "").strip():
        raise ServiceError(_("Write the question."), field="text")
    problem = _question_problem(data.kind, choices)
    if problem:
        raise ServiceError(problem, field="choices")
    return QuestionInput(kind=data.kind, text=data.text.strip(),
                         explanation=(data.explanation or "").strip(), choices=choices)


def add_question(db: Session, actor: Actor, course: Course, data: QuestionInput) -> Question:
    data = clean_question(data)
    question = Question(course_id=course.id, position=len(course.questions) + 1, kind=data.kind,
                        text=data.text, explanation=data.explanation,
                        choices=[Choice(position=n, text=text, correct=correct)
                                 for n, (text, correct) in enumerate(data.choices, start=1)])
    course.questions.append(question)
    course.updated_at = utcnow()
    db.flush()
    record(db, actor, "question.created", target=question, course_id=course.id)
    return question


def update_question(db: Session, actor: Actor, question: Question, data: QuestionInput) -> None:
    """Answers are matched by position: an answer keeps its id (and so the attempts in
    progress stay consistent) unless answers are removed."""
    data = clean_question(data)
    question.kind, question.text, question.explanation = data.kind, data.text, data.explanation
    existing = list(question.choices)
    for n, (text, correct) in enumerate(data.choices, start=1):
        if n <= len(existing):
            existing[n - 1].text, existing[n - 1].correct = text, correct
            existing[n - 1].position = n
        else:
            question.choices.append(Choice(position=n, text=text, correct=correct))
    for extra in existing[len(data.choices):]:
        question.choices.remove(extra)
    question.course.updated_at = utcnow()
    db.flush()
    record(db, actor, "question.updated", target=question, course_id=question.course_id)


def delete_question(db: Session, actor: Actor, question: Question) -> None:
    course = question.course
    if course.is_published and len(course.questions) == 1:
        raise ServiceError(_("A published course needs at least one question."))
    record(db, actor, "question.deleted", target=question, course_id=course.id)
    course.questions.remove(question)
    _renumber(course.questions)
    course.updated_at = utcnow()
    db.flush()


def move_question(db: Session, actor: Actor, question: Question, direction: str) -> bool:
    course = question.course
    moved = _move(list(course.questions), question, direction)
    if moved:
        course.updated_at = utcnow()
        db.flush()
        db.expire(course, ["questions"])
        record(db, actor, "question.moved", target=question, course_id=course.id,
               direction=direction)
    return moved


# --- the training gate ----------------------------------------------------------------------


def audience_condition(course_id_column, user_id: int):
    """SQL: the course whose id is ``course_id_column`` is assigned to the person (it has no
    groups, or the person is in one of them). Use it on the family's original."""
    any_group = exists().where(course_groups.c.course_id == course_id_column)
    mine = exists().where(course_groups.c.course_id == course_id_column,
                          course_groups.c.group_id == user_groups.c.group_id,
                          user_groups.c.user_id == user_id)
    return or_(~any_group, mine)


def blocking_course_id(db: Session, user: User) -> int | None:
    """The original of a course the person must pass before sharing, or None.

    ONE statement (it runs for every share): a required original, with a published
    version, assigned to the person, whose family they hold no certificate of.
    """
    orig = Course.__table__.alias("orig")
    version = Course.__table__.alias("version")
    stmt = (select(orig.c.id)
            .where(orig.c.required_for_sharing.is_(True), orig.c.translation_of_id.is_(None),
                   exists().where(or_(version.c.id == orig.c.id,
                                      version.c.translation_of_id == orig.c.id),
                                  version.c.status == CourseStatus.PUBLISHED),
                   audience_condition(orig.c.id, user.id),
                   ~exists().where(Certificate.user_id == user.id,
                                   Certificate.family_id == orig.c.id))
            .order_by(orig.c.id).limit(1))
    return db.scalar(stmt)


def version_for(db: Session, family_id: int, language: str) -> Course | None:
    """The published version of a family in ``language``, else the original if published,
    else any published version."""
    rows = list(db.scalars(select(Course).where(
        or_(Course.id == family_id, Course.translation_of_id == family_id),
        Course.status == CourseStatus.PUBLISHED)))
    for wanted in (lambda c: c.language == language, lambda c: c.id == family_id,
                   lambda c: True):
        for course in rows:
            if wanted(course):
                return course
    return None


def count_required(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Course).where(
        Course.required_for_sharing.is_(True), Course.translation_of_id.is_(None))) or 0
