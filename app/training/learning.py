"""The learner's rules: reading lessons, the quiz (attempts limit, cooldown, shuffled
order kept on the server, scoring on the server, one submission per attempt),
certificates, and the points and badges of a passed course (through gamification).

Services flush and never commit (DESIGN.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.db import utcnow
from app.training.models import (
    Certificate,
    Course,
    CourseProgress,
    Lesson,
    LessonRead,
    Question,
    QuestionKind,
    QuizAttempt,
)

#: 16 random bytes → 22 URL-safe characters (128 bits: certificates cannot be enumerated)
CERTIFICATE_CODE_BYTES = 16
_random = secrets.SystemRandom()


# --- progress and reading ---------------------------------------------------------------------


def progress_row(db: Session, user_id: int, course_id: int, now: datetime | None = None
                 ) -> CourseProgress:
    """The person's progress row in the course, created on first use (the unique
    constraint settles two first uses at once)."""
    found = db.scalar(select(CourseProgress).where(CourseProgress.user_id == user_id,
                                                   CourseProgress.course_id == course_id))
    if found is not None:
        return found
    row = CourseProgress(user_id=user_id, course_id=course_id, started_at=now or utcnow(),
                         updated_at=now or utcnow())
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:
        return db.scalar(select(CourseProgress).where(CourseProgress.user_id == user_id,
                                                      CourseProgress.course_id == course_id))
    return row


def mark_read(db: Session, user: User, lesson: Lesson, now: datetime | None = None
              ) -> Lesson | None:
    """Mark the lesson read (once) and remember it as where the person is; returns the
    next lesson, None after the last one."""
    now = now or utcnow()
    progress = progress_row(db, user.id, lesson.course_id, now)
    already = db.scalar(select(LessonRead.id).where(LessonRead.user_id == user.id,
                                                    LessonRead.lesson_id == lesson.id))
    if already is None:
        try:
            with db.begin_nested():
                db.add(LessonRead(user_id=user.id, lesson_id=lesson.id, read_at=now))
                db.flush()
        except IntegrityError:  # the same click twice at once: read is read
            pass
    progress.last_lesson_id = lesson.id
    progress.updated_at = now
    db.flush()
    lessons = lesson.course.lessons
    index = lessons.index(lesson)
    return lessons[index + 1] if index + 1 < len(lessons) else None


def read_lesson_ids(db: Session, user_id: int, course_id: int) -> set[int]:
    return set(db.scalars(select(LessonRead.lesson_id).join(Lesson, Lesson.id ==
                                                            LessonRead.lesson_id)
                          .where(LessonRead.user_id == user_id, Lesson.course_id == course_id)))


def family_certificate(db: Session, user_id: int, family_id: int) -> Certificate | None:
    return db.scalar(select(Certificate).where(Certificate.user_id == user_id,
                                               Certificate.family_id == family_id))


# --- the quiz's state -------------------------------------------------------------------------


@dataclass
class QuizState:
    """What the quiz page needs to know about one person and one course."""

    course: Course
    progress: CourseProgress | None
    certificate: Certificate | None
    open_attempt: QuizAttempt | None
    lessons_total: int
    lessons_read: int
    now: datetime

    @property
    def attempts_used(self) -> int:
        return self.progress.attempts if self.progress else 0

    @property
    def attempts_allowed(self) -> int | None:
        """None: unlimited."""
        if not self.course.max_attempts:
            return None
        return self.course.max_attempts + (self.progress.extra_attempts if self.progress else 0)

    @property
    def attempts_left(self) -> int | None:
        allowed = self.attempts_allowed
        return None if allowed is None else max(0, allowed - self.attempts_used)

    @property
    def next_allowed_at(self) -> datetime | None:
        """When the cooldown after the last failed attempt ends (None: no wait)."""
        last = self.progress.last_attempt_at if self.progress else None
        if last is None or not self.course.cooldown_minutes or self.certificate is not None:
            return None
        ends = last + timedelta(minutes=self.course.cooldown_minutes)
        return ends if ends > self.now else None

    @property
    def lessons_done(self) -> bool:
        return self.lessons_read >= self.lessons_total

    @property
    def blocker(self) -> str | None:
        """Why a new attempt cannot start now (None: it can)."""
        if self.certificate is not None:
            return _("You already passed this course.")
        if not self.course.is_published:
            return _("This course is not published: its quiz cannot be taken.")
        if not self.course.questions:
            return _("This course has no quiz yet.")
        if not self.lessons_done:
            return _("Read every lesson before taking the quiz.")
        if self.attempts_left == 0:
            return _("You have used all your attempts. Ask your training administrator for "
                     "another one.")
        if self.next_allowed_at is not None:
            return _("You can try again after a short break.")
        return None


def quiz_state(db: Session, user: User, course: Course, now: datetime | None = None
               ) -> QuizState:
    now = now or utcnow()
    progress = db.scalar(select(CourseProgress).where(CourseProgress.user_id == user.id,
                                                      CourseProgress.course_id == course.id))
    open_attempt = db.scalar(select(QuizAttempt).where(
        QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id,
        QuizAttempt.submitted_at.is_(None)).order_by(QuizAttempt.number.desc()).limit(1))
    lesson_ids = {lesson.id for lesson in course.lessons}
    read = read_lesson_ids(db, user.id, course.id) & lesson_ids
    return QuizState(course=course, progress=progress, open_attempt=open_attempt,
                     certificate=family_certificate(db, user.id, course.family_id),
                     lessons_total=len(lesson_ids), lessons_read=len(read), now=now)


# --- attempts ---------------------------------------------------------------------------------


def start_attempt(db: Session, user: User, course: Course, now: datetime | None = None
                  ) -> QuizAttempt:
    """The person's open attempt, or a new one with its own shuffled order. The limit and
    the cooldown are checked here, on the server."""
    now = now or utcnow()
    state = quiz_state(db, user, course, now)
    if state.open_attempt is not None and state.certificate is None:
        return state.open_attempt
    if state.blocker:
        raise ServiceError(state.blocker)
    number = (db.scalar(select(func.max(QuizAttempt.number)).where(
        QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id)) or 0) + 1
    questions = list(course.questions)
    _random.shuffle(questions)
    layout = []
    for question in questions:
        choice_ids = [c.id for c in question.choices]
        _random.shuffle(choice_ids)
        layout.append([question.id, choice_ids])
    attempt = QuizAttempt(user_id=user.id, course_id=course.id, number=number, layout=layout,
                          answers={}, started_at=now)
    progress_row(db, user.id, course.id, now)
    db.add(attempt)
    db.flush()  # two starts at once: the unique (user, course, number) refuses the second
    return attempt


@dataclass
class ShownChoice:
    id: int
    text: str
    #: the following two are filled only for a submitted attempt
    selected: bool = False
    correct: bool = False


@dataclass
class ShownQuestion:
    id: int
    number: int
    kind: QuestionKind
    text: str
    choices: list[ShownChoice] = field(default_factory=list)
    explanation: str = ""
    answered_right: bool = False


def shown_questions(db: Session, attempt: QuizAttempt) -> list[ShownQuestion]:
    """The attempt's questions in the order it was shown. Before submission the right
    answers and explanations are left out (nothing the page could leak)."""
    ids = [qid for qid, _choices in attempt.layout]
    by_id = {q.id: q for q in db.scalars(select(Question).where(Question.id.in_(ids))
                                         .options(selectinload(Question.choices)))}
    submitted = not attempt.is_open
    out = []
    for qid, choice_ids in attempt.layout:
        question = by_id.get(qid)
        if question is None:  # deleted since the attempt started: not asked, not counted
            continue
        choices = {c.id: c for c in question.choices}
        # answers added since the attempt started come last (not shuffled, still offered)
        order = [cid for cid in choice_ids if cid in choices] + \
            [cid for cid in choices if cid not in choice_ids]
        picked = set(attempt.answers.get(str(qid), [])) if submitted else set()
        shown = ShownQuestion(id=qid, number=len(out) + 1, kind=question.kind,
                              text=question.text,
                              explanation=question.explanation if submitted else "")
        for cid in order:
            choice = choices[cid]
            shown.choices.append(ShownChoice(id=cid, text=choice.text,
                                             selected=cid in picked,
                                             correct=choice.correct if submitted else False))
        if submitted:
            shown.answered_right = picked == {c.id for c in question.choices if c.correct}
        out.append(shown)
    return out


def parse_answers(form) -> dict[int, list[int]]:
    """{question id: [choice ids]} from the posted form fields ``q<question id>``."""
    answers: dict[int, list[int]] = {}
    for key in form:
        if key.startswith("q") and key[1:].isdigit():
            values = [int(v) for v in form.getlist(key) if str(v).isdigit()]
            answers[int(key[1:])] = values
    return answers


def _grade(questions: list[Question], answers: dict[int, list[int]]) -> tuple[int, int]:
    correct = 0
    for question in questions:
        right = {c.id for c in question.choices if c.correct}
        if set(answers.get(question.id, [])) == right:
            correct += 1
    return correct, len(questions)


def _check_answers(questions: list[Question], answers: dict[int, list[int]]) -> None:
    for n, question in enumerate(questions, start=1):
        picked = answers.get(question.id, [])
        valid = {c.id for c in question.choices}
        if not picked:
            raise ServiceError(_("Answer every question (question %(n)d has no answer).", n=n))
        if any(cid not in valid for cid in picked):
            raise ServiceError(_("The answers do not match the questions: reload the page."))
        if question.kind == QuestionKind.SINGLE and len(set(picked)) != 1:
            raise ServiceError(_("Question %(n)d takes one answer only.", n=n))


def submit_attempt(db: Session, user: User, attempt: QuizAttempt,
                   answers: dict[int, list[int]], now: datetime | None = None) -> QuizAttempt:
    """Score the attempt on the server, once. Passing issues the certificate and pays the
    points (same transaction)."""
    now = now or utcnow()
    if attempt.user_id != user.id:
        raise ServiceError(_("This is not your attempt."))
    if not attempt.is_open:
        raise ServiceError(_("This attempt was already submitted."))
    course = attempt.course
    order = [qid for qid, _choices in attempt.layout]
    by_id = {q.id: q for q in db.scalars(select(Question).where(Question.id.in_(order))
                                         .options(selectinload(Question.choices)))}
    questions = [by_id[qid] for qid in order if qid in by_id]
    if not questions:
        raise ServiceError(_("The quiz changed since you started: start a new attempt."))
    answers = {qid: sorted(set(cids)) for qid, cids in answers.items() if qid in by_id}
    _check_answers(questions, answers)
    correct, total = _grade(questions, answers)
    score = correct * 100 // total
    passed = correct * 100 >= course.pass_mark * total  # exact: no rounding up to a pass
    # the state check and the write are one statement: of two submissions at once, only
    # one finds the attempt still open
    done = db.execute(update(QuizAttempt)
                      .where(QuizAttempt.id == attempt.id, QuizAttempt.submitted_at.is_(None))
                      .values(submitted_at=now, answers={str(k): v for k, v in answers.items()},
                              correct_count=correct, question_count=total, score=score,
                              passed=passed)
                      .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise ServiceError(_("This attempt was already submitted."))
    db.refresh(attempt)
    progress = progress_row(db, user.id, course.id, now)
    progress.attempts += 1
    progress.best_score = max(progress.best_score or 0, score)
    progress.last_attempt_at = now
    progress.updated_at = now
    if passed:
        progress.passed_at = progress.passed_at or now
        if family_certificate(db, user.id, course.family_id) is None:
            issue_certificate(db, user, course, attempt, now)
    db.flush()
    return attempt


def issue_certificate(db: Session, user: User, course: Course, attempt: QuizAttempt | None,
                      now: datetime, *, pay: bool = True) -> Certificate:
    """The certificate of a passed course and, with ``pay``, its points and badges."""
    certificate = Certificate(user_id=user.id, course_id=course.id, family_id=course.family_id,
                              attempt_id=attempt.id if attempt else None,
                              code=secrets.token_urlsafe(CERTIFICATE_CODE_BYTES),
                              score=attempt.score if attempt and attempt.score is not None
                              else 100, issued_at=now)
    db.add(certificate)
    db.flush()
    if pay:
        award_course_passed(db, user.id, course, now)
    return certificate


def award_course_passed(db: Session, user_id: int, course: Course, occurred_at: datetime
                        ) -> None:
    """The points of a passed course and the badges/levels they unlock (gamification
    contract: two awards with these exact keys, then evaluate; same transaction)."""
    from app.gamification import services as gamification
    from app.gamification.models import Action

    gamification.award(db, user_id=user_id, action=Action.QUIZ_PASSED,
                        key=f"quiz:{course.id}:user:{user_id}", occurred_at=occurred_at,
                        source_type="course", source_id=course.id, now=occurred_at)
    gamification.award(db, user_id=user_id, action=Action.COURSE_COMPLETED,
                        key=f"course:{course.id}:user:{user_id}", occurred_at=occurred_at,
                        source_type="course", source_id=course.id, now=occurred_at)
    gamification.evaluate(db, [user_id], occurred_at)


def grant_attempt(db: Session, actor: Actor, user: User, original: Course) -> list[int]:
    """One more attempt for one person (their limit is used up, or about to be), on each
    version of the family they have started (else the version in their language).
    Returns the ids of the courses granted."""
    from app.training.services import version_for

    if not original.max_attempts:
        raise ServiceError(_("This course has no attempts limit."))
    family = original.family_id
    started = list(db.scalars(select(CourseProgress).join(
        Course, Course.id == CourseProgress.course_id).where(
        CourseProgress.user_id == user.id,
        or_(Course.id == family, Course.translation_of_id == family))))
    if not started:
        version = version_for(db, family, user.language)
        if version is None:
            raise ServiceError(_("This course is not published."))
        started = [progress_row(db, user.id, version.id)]
    for progress in started:
        progress.extra_attempts += 1
        progress.updated_at = utcnow()
    db.flush()
    granted = [p.course_id for p in started]
    record(db, actor, "course.attempt_granted", target=original, user_id=user.id,
           course_ids=granted)
    return granted
