"""seed-demo, training: the ambassador course in English and French (linked, published,
5 lessons of real content, 10 questions, pass mark 80 %, 3 attempts, a cooldown), not
required before sharing; the council course with a past due date; demo progress that
makes the reports look alive (passed, in progress, overdue); points paid for the passes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

import config
from app.accounts.models import User
from app.db import utcnow
from app.demo import DOMAIN
from app.gamification.models import Action, LedgerEntry
from app.training import reports
from app.training.models import Certificate, Course, CourseStatus, QuestionKind
from app.training.services import blocking_course_id


@pytest.fixture
def seeded(app, db, monkeypatch, tmp_path):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    return db


def words(markdown: str) -> int:
    return len(re.findall(r"\w+", markdown))


def test_the_ambassador_course_in_two_linked_languages(seeded):
    db = seeded
    en = db.scalar(select(Course).where(Course.slug == "ambassador-en"))
    fr = db.scalar(select(Course).where(Course.slug == "ambassador-fr"))
    assert en.title == "Sharing on social media as a Relais ambassador"
    assert (en.language, fr.language, fr.translation_of_id) == ("en", "fr", en.id)
    for course in (en, fr):
        assert course.status == CourseStatus.PUBLISHED
        assert (course.pass_mark, course.max_attempts) == (80, 3) and course.cooldown_minutes
        assert len(course.lessons) == 5 and len(course.questions) == 10
        for lesson in course.lessons:
            assert 200 <= words(lesson.body_md) <= 450, (lesson.title, words(lesson.body_md))
        kinds = {q.kind for q in course.questions}
        assert kinds == {QuestionKind.SINGLE, QuestionKind.MULTIPLE}
        for question in course.questions:
            assert question.explanation and len(question.choices) >= 3
    assert not en.required_for_sharing  # admins turn it on
    employee = db.scalar(select(User).where(User.email == f"employee@{DOMAIN}"))
    assert blocking_course_id(db, employee) is None


def test_demo_progress_makes_the_reports_alive(seeded):
    db = seeded
    today = utcnow().date()
    en = db.scalar(select(Course).where(Course.slug == "ambassador-en"))
    summary = reports.summary(db, en, None, today)
    assert summary.completed >= 20 and summary.in_progress >= 8
    assert summary.average_score is not None
    council = db.scalar(select(Course).where(Course.slug == "council-onboarding-en"))
    late = reports.summary(db, council, None, today)
    assert late.completed >= 3 and late.overdue >= 3
    manager = db.scalar(select(User).where(User.email == f"manager@{DOMAIN}"))
    from app.accounts.queries import team_ids

    mine = reports.summary(db, en, set(team_ids(db, manager.id)), today)
    assert mine.completed >= 1
    # the demo logins have not started: the gate's demo journey starts with them
    logins = db.scalars(select(User.id).where(User.email.like(f"%@{DOMAIN}"),
                                              User.email.in_([f"{w}@{DOMAIN}" for w in (
                                                  "admin", "curator", "manager",
                                                  "employee")])))
    assert db.scalar(select(func.count()).select_from(Certificate)
                     .where(Certificate.user_id.in_(list(logins)))) == 0
    # every demo pass was paid through the real service (the contract's keys)
    certificates = db.scalar(select(func.count()).select_from(Certificate))
    paid = db.scalar(select(func.count()).select_from(LedgerEntry)
                     .where(LedgerEntry.action == Action.COURSE_COMPLETED,
                            LedgerEntry.idempotency_key.like("course:%")))
    assert paid == certificates
