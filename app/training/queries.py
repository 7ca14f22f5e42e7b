"""Read-only selects of the training feature (also used by other features)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, exists, func, literal, or_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Role, User
from app.training.models import (
    Certificate,
    Course,
    CourseProgress,
    CourseStatus,
    Lesson,
    LessonRead,
    Question,
    QuizAttempt,
)
from app.training.services import audience_condition


def course_choices(db: Session) -> list[tuple[int, str]]:
    """(id, label) of the published courses, for select fields in other features
    (a badge for a passed course, the course a level requires)."""
    rows = db.execute(select(Course.id, Course.title, Course.language)
                      .where(Course.status == CourseStatus.PUBLISHED)
                      .order_by(Course.title, Course.id))
    return [(cid, f"{title} ({language.upper()})") for cid, title, language in rows]


def family_ids(db: Session, course_id: int) -> list[int]:
    """The ids of every version of the course's family (original first): a badge or a
    level requirement set on one version can accept any of them."""
    family = db.scalar(select(func.coalesce(Course.translation_of_id, Course.id))
                       .where(Course.id == course_id))
    if family is None:
        return []
    return list(db.scalars(select(Course.id).where(
        or_(Course.id == family, Course.translation_of_id == family))
        .order_by(Course.translation_of_id.is_not(None), Course.id)))


def family_of(db: Session, course: Course, *, published_only: bool) -> list[Course]:
    """Every version of the course's family (original first)."""
    stmt = select(Course).where(or_(Course.id == course.family_id,
                                    Course.translation_of_id == course.family_id))
    if published_only:
        stmt = stmt.where(Course.status == CourseStatus.PUBLISHED)
    return list(db.scalars(stmt.order_by(Course.translation_of_id.is_not(None), Course.id)))


def is_assigned(db: Session, user: User, family_id: int) -> bool:
    return bool(db.scalar(select(exists().where(Course.id == family_id,
                                                audience_condition(literal(family_id),
                                                                   user.id)))))


def learner_may_see(db: Session, user: User, course: Course) -> bool:
    """Published and assigned to the person; curators and admins see every course
    (drafts included: that is their preview)."""
    if user.has_role(Role.CURATOR):
        return True
    return course.is_published and is_assigned(db, user, course.family_id)


# --- the learner's pages ----------------------------------------------------------------------


@dataclass
class CourseCard:
    course: Course
    original: Course
    lessons_total: int
    lessons_read: int
    progress: CourseProgress | None
    certificate: Certificate | None
    today: date

    @property
    def required(self) -> bool:
        return self.original.required_for_sharing

    @property
    def due_on(self) -> date | None:
        return self.original.due_on

    @property
    def overdue(self) -> bool:
        return self.certificate is None and self.due_on is not None and self.today > self.due_on

    @property
    def started(self) -> bool:
        return self.progress is not None or self.lessons_read > 0

    @property
    def percent(self) -> int:
        if self.certificate is not None:
            return 100
        steps = self.lessons_total + 1  # the quiz is the last step
        return self.lessons_read * 100 // steps


@dataclass
class MyCourses:
    required: list[CourseCard] = field(default_factory=list)
    todo: list[CourseCard] = field(default_factory=list)
    completed: list[CourseCard] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.required or self.todo or self.completed)


def _pick_version(versions: list[Course], family_id: int, language: str) -> Course:
    for course in versions:
        if course.language == language:
            return course
    for course in versions:
        if course.id == family_id:
            return course
    return versions[0]


def my_courses(db: Session, user: User, today: date) -> MyCourses:
    """The published courses assigned to the person, one version per family (in their
    language when there is one), sorted into required / to do / completed. A constant
    number of statements whatever the number of courses."""
    published = list(db.scalars(select(Course).where(Course.status == CourseStatus.PUBLISHED)
                                .order_by(Course.id)))
    families: dict[int, list[Course]] = {}
    for course in published:
        families.setdefault(course.family_id, []).append(course)
    if not families:
        return MyCourses()
    originals = {c.id: c for c in db.scalars(select(Course).where(Course.id.in_(families)))}
    assigned = set(db.scalars(select(Course.id).where(Course.id.in_(families),
                                                      audience_condition(Course.id, user.id))))
    chosen = {fid: _pick_version(versions, fid, user.language)
              for fid, versions in families.items() if fid in assigned}
    ids = [c.id for c in chosen.values()]
    lesson_counts = dict(db.execute(select(Lesson.course_id, func.count())
                                    .where(Lesson.course_id.in_(ids))
                                    .group_by(Lesson.course_id)).all())
    read_counts = dict(db.execute(select(Lesson.course_id, func.count())
                                  .join(LessonRead, LessonRead.lesson_id == Lesson.id)
                                  .where(Lesson.course_id.in_(ids),
                                         LessonRead.user_id == user.id)
                                  .group_by(Lesson.course_id)).all())
    progress = {p.course_id: p for p in db.scalars(select(CourseProgress).where(
        CourseProgress.user_id == user.id, CourseProgress.course_id.in_(ids)))}
    certificates = {c.family_id: c for c in db.scalars(select(Certificate).where(
        Certificate.user_id == user.id, Certificate.family_id.in_(list(chosen))))}
    out = MyCourses()
    for fid, course in chosen.items():
        card = CourseCard(course=course, original=originals[fid],
                          lessons_total=lesson_counts.get(course.id, 0),
                          lessons_read=read_counts.get(course.id, 0),
                          progress=progress.get(course.id), certificate=certificates.get(fid),
                          today=today)
        if card.certificate is not None:
            out.completed.append(card)
        elif card.required:
            out.required.append(card)
        else:
            out.todo.append(card)
    out.required.sort(key=lambda c: (c.due_on or date.max, c.course.title))
    out.todo.sort(key=lambda c: (not c.started, c.due_on or date.max, c.course.title))
    out.completed.sort(key=lambda c: c.certificate.issued_at, reverse=True)
    return out


def resume_lesson(course: Course, read_ids: set[int], progress: CourseProgress | None
                  ) -> Lesson | None:
    """Where "Resume" goes: the first unread lesson after the one read last, else the
    first unread one; None when every lesson is read (the quiz is next)."""
    lessons = list(course.lessons)
    start = 0
    if progress is not None and progress.last_lesson_id:
        for index, lesson in enumerate(lessons):
            if lesson.id == progress.last_lesson_id:
                start = index + 1
    for lesson in lessons[start:] + lessons[:start]:
        if lesson.id not in read_ids:
            return lesson
    return None


def my_attempts(db: Session, user_id: int, course_id: int) -> list[QuizAttempt]:
    return list(db.scalars(select(QuizAttempt).where(QuizAttempt.user_id == user_id,
                                                     QuizAttempt.course_id == course_id,
                                                     QuizAttempt.submitted_at.is_not(None))
                           .order_by(QuizAttempt.number.desc())))


def my_certificates(db: Session, user_id: int) -> list[Certificate]:
    return list(db.scalars(select(Certificate).where(Certificate.user_id == user_id)
                           .options(selectinload(Certificate.course))
                           .order_by(Certificate.issued_at.desc())))


def certificate_by_code(db: Session, code: str) -> Certificate | None:
    if not code or len(code) > 64:
        return None
    return db.scalar(select(Certificate).where(Certificate.code == code)
                     .options(selectinload(Certificate.course), selectinload(Certificate.user)))


@dataclass
class Rewards:
    points: int
    badges: list  # UserBadge rows (with .badge)


def certificate_rewards(db: Session, certificate: Certificate) -> Rewards:
    """The points the passed course paid (the two ledger entries of the gamification
    contract) and the badges earned with it (for this course, or awarded at that moment)."""
    from app.gamification.models import Badge, LedgerEntry, UserBadge

    uid, cid = certificate.user_id, certificate.course_id
    keys = [f"quiz:{cid}:user:{uid}", f"course:{cid}:user:{uid}"]
    points = db.scalar(select(func.coalesce(func.sum(LedgerEntry.points), 0))
                       .where(LedgerEntry.idempotency_key.in_(keys))) or 0
    family = family_ids(db, cid)
    moment = certificate.issued_at
    badges = list(db.scalars(
        select(UserBadge).join(Badge, Badge.id == UserBadge.badge_id)
        .where(UserBadge.user_id == uid,
               or_(Badge.course_id.in_(family),
                   UserBadge.awarded_at.between(moment - timedelta(seconds=5),
                                                moment + timedelta(minutes=1))))
        .options(selectinload(UserBadge.badge)).order_by(UserBadge.awarded_at, UserBadge.id)))
    return Rewards(points=int(points), badges=badges)


# --- authoring ------------------------------------------------------------------------------


def authoring_statement(status: str = "", language: str = "") -> Select:
    stmt = select(Course).order_by(func.coalesce(Course.translation_of_id, Course.id).desc(),
                                   Course.translation_of_id.is_not(None), Course.id)
    if status in CourseStatus._value2member_map_:
        stmt = stmt.where(Course.status == CourseStatus(status))
    if language:
        stmt = stmt.where(Course.language == language)
    return stmt


def content_counts(db: Session, course_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{course id: (lessons, questions)} in two statements."""
    lessons = dict(db.execute(select(Lesson.course_id, func.count()).where(
        Lesson.course_id.in_(course_ids)).group_by(Lesson.course_id)).all())
    questions = dict(db.execute(select(Question.course_id, func.count()).where(
        Question.course_id.in_(course_ids)).group_by(Question.course_id)).all())
    return {cid: (lessons.get(cid, 0), questions.get(cid, 0)) for cid in course_ids}


def originals(db: Session) -> list[Course]:
    """Every family's original, with its groups (the training requirements page)."""
    return list(db.scalars(select(Course).where(Course.translation_of_id.is_(None))
                           .options(selectinload(Course.groups))
                           .order_by(Course.title, Course.id)))


def published_originals(db: Session) -> list[Course]:
    """Originals with at least one published version (the reports)."""
    version = Course.__table__.alias("version")
    return list(db.scalars(select(Course).where(
        Course.translation_of_id.is_(None),
        exists().where(or_(version.c.id == Course.id, version.c.translation_of_id == Course.id),
                       version.c.status == CourseStatus.PUBLISHED))
        .options(selectinload(Course.groups)).order_by(Course.title, Course.id)))


def utc_today(now: datetime) -> date:
    return now.date()
