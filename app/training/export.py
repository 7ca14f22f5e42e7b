"""The training part of a person's data export (GDPR access/portability)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.export import exporter
from app.accounts.models import User
from app.training.models import Certificate, Course, CourseProgress, Lesson, LessonRead, QuizAttempt


def _iso(value):
    return value.isoformat() if value else None


@exporter
def _training(db: Session, user: User) -> dict:
    titles = dict(db.execute(select(Course.id, Course.title)).all())
    reads = db.execute(select(Lesson.course_id, Lesson.title, LessonRead.read_at)
                       .join(Lesson, Lesson.id == LessonRead.lesson_id)
                       .where(LessonRead.user_id == user.id).order_by(LessonRead.read_at)).all()
    return {"training": {
        "progress": [{"course": titles.get(p.course_id), "started_at": _iso(p.started_at),
                      "attempts": p.attempts, "best_score": p.best_score,
                      "passed_at": _iso(p.passed_at)}
                     for p in db.scalars(select(CourseProgress)
                                         .where(CourseProgress.user_id == user.id))],
        "lessons_read": [{"course": titles.get(cid), "lesson": title, "read_at": _iso(at)}
                         for cid, title, at in reads],
        "attempts": [{"course": titles.get(a.course_id), "number": a.number,
                      "started_at": _iso(a.started_at), "submitted_at": _iso(a.submitted_at),
                      "score": a.score, "passed": a.passed}
                     for a in db.scalars(select(QuizAttempt).where(QuizAttempt.user_id == user.id)
                                         .order_by(QuizAttempt.started_at))],
        "certificates": [{"course": titles.get(c.course_id), "issued_at": _iso(c.issued_at),
                          "score": c.score, "verification_code": c.code}
                         for c in db.scalars(select(Certificate)
                                             .where(Certificate.user_id == user.id))],
    }}
