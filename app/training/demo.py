"""seed-demo, training: "Sharing on social media as a Relais ambassador" in English
(slug "ambassador-en") and French ("ambassador-fr", its linked translation), published,
for everyone, due in three weeks, NOT required before sharing (admins turn that on in
Administration → Training requirements); and a short "Ambassadors Council onboarding"
course for the council's group, due five days ago (so the reports show overdue people).

Courses, lessons and questions go through the authoring services (audited as the demo
curator). Demo progress — lessons read, failed and passed attempts, certificates — is
written for about forty people, back-dated over the last weeks; a pass goes through
``learning.issue_certificate``, which pays the points and badges through gamification's
``award``/``evaluate`` (the contract's keys), so the ledger history is the real one. The
demo logins (admin, curator, manager, employee) have not started: the demo journey of
the training gate begins with them.
"""

from __future__ import annotations

import importlib.util
import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Group, GroupKind, User, UserStatus
from app.accounts.queries import team_ids
from app.common.actor import Actor
from app.db import utcnow
from app.demo import DOMAIN, demo_seeder
from app.training import learning, services
from app.training.demo_content import AMBASSADOR_EN, AMBASSADOR_FR, COUNCIL_EN, DemoCourse
from app.training.models import (
    Course,
    CourseProgress,
    LessonRead,
    QuestionKind,
    QuizAttempt,
)

DEMO_LOGINS = {f"{who}@{DOMAIN}" for who in ("admin", "curator", "manager", "employee")}


def _pays() -> bool:
    """Pay points through gamification when it is installed (it always is in Relais; the
    check keeps the training demo usable on its own)."""
    return importlib.util.find_spec("app.gamification.services") is not None


def create_course(db: Session, actor: Actor, data: DemoCourse, *, group_ids=(), due_on=None,
                  published_at: datetime | None = None) -> Course:
    """A demo course through the authoring services, published."""
    course = services.create_course(db, actor, services.CourseInput(
        title=data.title, summary=data.summary, language=data.language,
        estimated_minutes=data.minutes, group_ids=list(group_ids), due_on=due_on,
        pass_mark=80, max_attempts=3, cooldown_minutes=60))
    course.slug = data.slug
    for lesson in data.lessons:
        services.add_lesson(db, actor, course, services.LessonInput(
            title=lesson.title, body_md=lesson.body, video_url=lesson.video))
    for question in data.questions:
        services.add_question(db, actor, course, services.QuestionInput(
            kind=question.kind, text=question.text, explanation=question.explanation,
            choices=list(question.choices)))
    services.publish_course(db, actor, course, now=published_at)
    return course


def translate(db: Session, actor: Actor, original: Course, data: DemoCourse,
              published_at: datetime | None = None) -> Course:
    """The linked translation (duplicate-to-translate), its texts replaced, published."""
    copy = services.translate_course(db, actor, original, data.language)
    copy.slug, copy.title, copy.summary = data.slug, data.title, data.summary
    for lesson, text in zip(copy.lessons, data.lessons, strict=True):
        lesson.title, lesson.body_md, lesson.video_url = text.title, text.body, text.video
    for question, text in zip(copy.questions, data.questions, strict=True):
        question.text, question.explanation = text.text, text.explanation
        for choice, (label, correct) in zip(question.choices, text.choices, strict=True):
            assert choice.correct == correct, f"{data.slug}: answers out of order"
            choice.text = label
    db.flush()
    services.publish_course(db, actor, copy, now=published_at)
    return copy


def _answers(course: Course, right: int, rng: random.Random) -> dict[int, list[int]]:
    """Right answers to the first ``right`` questions, a wrong one to the others."""
    out = {}
    for n, question in enumerate(course.questions):
        correct = [c.id for c in question.choices if c.correct]
        wrong = [c.id for c in question.choices if not c.correct]
        if n < right or not wrong:
            out[question.id] = correct
        else:
            out[question.id] = [rng.choice(wrong)] if question.kind == QuestionKind.SINGLE \
                else correct[:1] + [rng.choice(wrong)]
    return out


def learner(db: Session, user: User, course: Course, rng: random.Random, *, start: datetime,
            read: int, attempts: tuple[int, ...] = (), pay: bool = True) -> None:
    """Back-dated progress: ``read`` lessons read from ``start``, then one attempt per
    number of right answers in ``attempts`` (a day apart); a pass gets its certificate."""
    lessons = list(course.lessons)[:read]
    when = start
    for lesson in lessons:
        db.add(LessonRead(user_id=user.id, lesson_id=lesson.id, read_at=when))
        when += timedelta(minutes=rng.randint(3, 8))
    progress = CourseProgress(user_id=user.id, course_id=course.id, started_at=start,
                              last_lesson_id=lessons[-1].id if lessons else None,
                              updated_at=when)
    db.add(progress)
    db.flush()
    total = len(course.questions)
    for number, right in enumerate(attempts, start=1):
        layout = []
        for question in rng.sample(list(course.questions), k=total):
            ids = [c.id for c in question.choices]
            rng.shuffle(ids)
            layout.append([question.id, ids])
        passed = right * 100 >= course.pass_mark * total
        attempt = QuizAttempt(user_id=user.id, course_id=course.id, number=number,
                              layout=layout, started_at=when,
                              submitted_at=when + timedelta(minutes=6),
                              answers={str(k): v for k, v in
                                       _answers(course, right, rng).items()},
                              correct_count=right, question_count=total,
                              score=right * 100 // total, passed=passed)
        db.add(attempt)
        db.flush()
        progress.attempts += 1
        progress.best_score = max(progress.best_score or 0, attempt.score)
        progress.last_attempt_at = attempt.submitted_at
        progress.updated_at = attempt.submitted_at
        if passed:
            progress.passed_at = attempt.submitted_at
            learning.issue_certificate(db, user, course, attempt, attempt.submitted_at, pay=pay)
            break
        when += timedelta(days=1, minutes=rng.randint(0, 300))
    db.flush()


@demo_seeder
def seed_training(db: Session, rng: random.Random) -> None:
    now = utcnow()
    today = now.date()
    curator = db.scalar(select(User).where(User.email == f"curator@{DOMAIN}"))
    actor = Actor(user_id=curator.id if curator else None, user_agent="seed-demo")
    opened = now - timedelta(days=40)
    en = create_course(db, actor, AMBASSADOR_EN, due_on=today + timedelta(days=21),
                       published_at=opened)
    fr = translate(db, actor, en, AMBASSADOR_FR, published_at=opened)
    council_group = db.scalar(select(Group).where(Group.kind == GroupKind.TEAM,
                                                  Group.name == "Ambassadors Council"))
    council = create_course(db, actor, COUNCIL_EN,
                            group_ids=[council_group.id] if council_group else [],
                            due_on=today - timedelta(days=5), published_at=opened)
    for course in (en, fr, council):
        course.created_at = opened - timedelta(days=2)
        course.updated_at = opened

    pay = _pays()
    people = list(db.scalars(select(User).where(User.status == UserStatus.ACTIVE,
                                                User.email.not_in(DEMO_LOGINS))
                             .order_by(User.id)))
    manager = db.scalar(select(User).where(User.email == f"manager@{DOMAIN}"))
    team = set(team_ids(db, manager.id)) if manager else set()
    # the demo manager's team gets a visible share of the progress (their team report)
    ordered = [p for p in people if p.id in team][:8] + \
        rng.sample([p for p in people if p.id not in team], k=min(34, len(people)))
    ordered = [p for p in ordered if p.email not in DEMO_LOGINS]
    for n, person in enumerate(ordered):
        course = fr if person.language == "fr" else en
        start = now - timedelta(days=rng.randint(3, 30), hours=rng.randint(0, 8))
        if n % 3 == 2:  # in progress: some lessons, sometimes a failed attempt
            read = rng.randint(1, len(course.lessons))
            tries = (rng.randint(4, 7),) if read == len(course.lessons) else ()
            learner(db, person, course, rng, start=start, read=read, attempts=tries, pay=pay)
        else:  # passed, some after a failed first attempt
            tries = (rng.randint(5, 7), rng.randint(8, 10)) if n % 4 == 0 \
                else (rng.randint(8, 10),)
            learner(db, person, course, rng, start=start, read=len(course.lessons),
                    attempts=tries, pay=pay)

    members = [u for u in (council_group.members if council_group else [])
               if u.status == UserStatus.ACTIVE and u.email not in DEMO_LOGINS]
    for n, member in enumerate(sorted(members, key=lambda u: u.id)[:7]):
        start = now - timedelta(days=rng.randint(8, 20))
        if n < 4:
            learner(db, member, council, rng, start=start, read=2, attempts=(4,), pay=pay)
        else:
            learner(db, member, council, rng, start=start, read=1)
