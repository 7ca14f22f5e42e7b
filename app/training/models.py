"""Courses, lessons, quizzes, progress and certificates.

(The ``Course`` table is referenced by gamification: badges for a passed course and a
course required for a level. The training work owns and extends this module.)

A course and its translations form a *family*: the original (``translation_of_id`` empty)
and its copies in other languages (``translation_of_id`` = the original). The family
shares one assignment — audience, due date, "required before sharing" are read from the
original — and one completion: passing any version counts for the family (a certificate
is unique per person × family), so nobody is paid twice for the same course in two
languages.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Group, User
from app.common.types import str_enum
from app.db import Base, utcnow


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class QuestionKind(enum.StrEnum):
    SINGLE = "single"  # exactly one right answer (radio buttons)
    MULTIPLE = "multiple"  # one or more right answers, all and only them (checkboxes)


#: the groups a course is assigned to; none means everyone (read on the family's original)
course_groups = Table(
    "course_groups",
    Base.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable key for demo data and links between features (e.g. "ambassador-en"); optional
    slug: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[CourseStatus] = mapped_column(str_enum(CourseStatus, "course_status"),
                                                 default=CourseStatus.DRAFT)
    #: estimated time to complete, in minutes
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=15)
    #: the cover picture: an uploaded image's path (/uploads/content/…) or empty
    cover_image_url: Mapped[str] = mapped_column(String(500), default="")
    #: the original this course translates; None: this course is a family's original
    translation_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    #: the audience must pass by the end of this day (UTC); originals only
    due_on: Mapped[date | None] = mapped_column(Date)
    #: people of the audience cannot share before passing it (the training gate);
    #: originals only
    required_for_sharing: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the final quiz: lowest passing score, in percent
    pass_mark: Mapped[int] = mapped_column(Integer, default=80)
    #: attempts per person (0: unlimited); an admin can allow more to one person
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    #: wait after a failed attempt before the next one
    cooldown_minutes: Mapped[int] = mapped_column(Integer, default=60)
    published_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    groups: Mapped[list[Group]] = relationship(secondary=course_groups)
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course", order_by="(Lesson.position, Lesson.id)",
        cascade="all, delete-orphan")
    questions: Mapped[list[Question]] = relationship(
        back_populates="course", order_by="(Question.position, Question.id)",
        cascade="all, delete-orphan")
    translation_of: Mapped[Course | None] = relationship(remote_side=[id])

    @property
    def family_id(self) -> int:
        """The id of the family's original (this course's own id for an original)."""
        return self.translation_of_id or self.id

    @property
    def is_published(self) -> bool:
        return self.status == CourseStatus.PUBLISHED


class Lesson(Base):
    __tablename__ = "course_lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    #: order in the course (1, 2, …; kept dense by the services)
    position: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    #: Markdown, rendered sanitised (app.common.markdown)
    body_md: Mapped[str] = mapped_column(Text, default="")
    #: as the author typed it; only allow-listed hosts are embedded (app.training.video)
    video_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(back_populates="lessons")


class Question(Base):
    __tablename__ = "quiz_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind, "question_kind"),
                                               default=QuestionKind.SINGLE)
    #: Markdown (sanitised when rendered)
    text: Mapped[str] = mapped_column(Text)
    #: shown with the results, after the attempt is submitted; Markdown
    explanation: Mapped[str] = mapped_column(Text, default="")

    course: Mapped[Course] = relationship(back_populates="questions")
    choices: Mapped[list[Choice]] = relationship(
        back_populates="question", order_by="(Choice.position, Choice.id)",
        cascade="all, delete-orphan")


class Choice(Base):
    __tablename__ = "quiz_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"),
                                             index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    text: Mapped[str] = mapped_column(String(500))
    #: never sent to the browser before the attempt is submitted
    correct: Mapped[bool] = mapped_column(Boolean, default=False)

    question: Mapped[Question] = relationship(back_populates="choices")


class CourseProgress(Base):
    """One person's progress in one course (created by their first lesson read or
    attempt): where they are, their attempts and best score, when they passed."""

    __tablename__ = "course_progress"
    __table_args__ = (UniqueConstraint("user_id", "course_id",
                                       name="uq_course_progress_user_id_course_id"),
                      Index("ix_course_progress_course_id", "course_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the lesson read last ("resume" goes on from there)
    last_lesson_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_lessons.id", ondelete="SET NULL"))
    #: submitted attempts
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: attempts allowed beyond the course's limit (granted by a curator or an admin)
    extra_attempts: Mapped[int] = mapped_column(Integer, default=0)
    best_score: Mapped[int | None] = mapped_column(Integer)
    #: when the last attempt was submitted (the cooldown counts from there)
    last_attempt_at: Mapped[datetime | None]
    passed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonRead(Base):
    __tablename__ = "lesson_reads"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id",
                                       name="uq_lesson_reads_user_id_lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("course_lessons.id", ondelete="CASCADE"),
                                           index=True)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizAttempt(Base):
    """One attempt at a course's quiz. The order the questions and answers were shown in
    is stored when it starts; it is scored once, on the server, when submitted."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "number",
                                       name="uq_quiz_attempts_user_id_course_id_number"),
                      Index("ix_quiz_attempts_course_id", "course_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    #: 1 for the person's first attempt at this course, 2 for the next…
    number: Mapped[int] = mapped_column(Integer)
    #: the shuffled order shown: [[question id, [choice id, …]], …]
    layout: Mapped[list] = mapped_column(JSON, default=list)
    #: what was submitted: {"<question id>": [choice id, …]}
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: set once, by the conditional update that submits the attempt
    submitted_at: Mapped[datetime | None]
    correct_count: Mapped[int | None] = mapped_column(Integer)
    question_count: Mapped[int | None] = mapped_column(Integer)
    #: percent, rounded down
    score: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)

    course: Mapped[Course] = relationship()

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


class Certificate(Base):
    """Passing a course: once per person and course family, with a random public
    verification code (anyone holding it can check the certificate, nobody can list them)."""

    __tablename__ = "course_certificates"
    __table_args__ = (UniqueConstraint("user_id", "family_id",
                                       name="uq_course_certificates_user_id_family_id"),
                      UniqueConstraint("code", name="uq_course_certificates_code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: the version passed (its language, its title)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    #: the family's original (see the module docstring); fixed when the course is created
    family_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("quiz_attempts.id", ondelete="SET NULL"))
    #: 16 random bytes, URL-safe (128 bits: no enumeration)
    code: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(foreign_keys=[course_id])
    user: Mapped[User] = relationship()


class ReminderSent(Base):
    """A due-date reminder email sent: once per person × course × window."""

    __tablename__ = "training_reminders"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "window",
                                       name="uq_training_reminders_user_id_course_id_window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: the family's original (the one carrying the due date)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    #: "7d", "1d" (days before the due date) or "overdue"; the due date is part of the
    #: key so that moving it later opens new windows
    window: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
