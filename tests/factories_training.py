"""Training test data: a published course with lessons and a quiz, built through the
authoring services (so the data is what curators make), plus helpers to answer it."""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict

from app.common.actor import Actor
from app.training import learning, services
from app.training.models import Course, QuestionKind, QuizAttempt

ACTOR = Actor(user_id=None, user_agent="tests")


def make_course(db, *, title: str = "Sharing 101", language: str = "en", lessons: int = 2,
                questions: int = 4, pass_mark: int = 75, max_attempts: int = 3,
                cooldown_minutes: int = 0, group_ids=(), due_on: date | None = None,
                required: bool = False, publish: bool = True, multiple: bool = True
                ) -> Course:
    """A course with ``lessons`` lessons and ``questions`` questions: odd-numbered ones
    single choice (right answer "Right n"), even-numbered ones (with ``multiple``) multiple
    choice (right answers "Right n" and "Also right n")."""
    course = services.create_course(db, ACTOR, services.CourseInput(
        title=title, summary=f"About {title}.", language=language, group_ids=list(group_ids),
        due_on=due_on, pass_mark=pass_mark, max_attempts=max_attempts,
        cooldown_minutes=cooldown_minutes))
    for n in range(1, lessons + 1):
        services.add_lesson(db, ACTOR, course, services.LessonInput(
            title=f"Lesson {n}", body_md=f"## Part {n}\n\nRead **this** carefully."))
    for n in range(1, questions + 1):
        many = multiple and n % 2 == 0
        choices = [(f"Right {n}", True), (f"Wrong {n}", False), (f"Also wrong {n}", False)]
        if many:
            choices.append((f"Also right {n}", True))
        services.add_question(db, ACTOR, course, services.QuestionInput(
            kind=QuestionKind.MULTIPLE if many else QuestionKind.SINGLE,
            text=f"Question {n}?", explanation=f"Because of rule {n}.", choices=choices))
    if publish:
        services.publish_course(db, ACTOR, course)
    if required:
        services.set_required(db, ACTOR, course, True)
    db.flush()
    return course


def read_all(db, user, course: Course) -> None:
    for lesson in course.lessons:
        learning.mark_read(db, user, lesson)


def answers_for(course: Course, right: int) -> dict[int, list[int]]:
    """Right answers to the first ``right`` questions (course order), wrong to the rest."""
    out = {}
    for n, question in enumerate(course.questions):
        if n < right:
            out[question.id] = [c.id for c in question.choices if c.correct]
        else:
            out[question.id] = [next(c.id for c in question.choices if not c.correct)]
    return out


def form_for(answers: dict[int, list[int]]) -> MultiDict:
    """The quiz form's fields (q<question id> = choice id, repeated for checkboxes)."""
    return MultiDict([(f"q{qid}", str(cid)) for qid, cids in answers.items() for cid in cids])


def pass_course(db, user, course: Course) -> QuizAttempt:
    read_all(db, user, course)
    attempt = learning.start_attempt(db, user, course)
    return learning.submit_attempt(db, user, attempt, answers_for(course, len(course.questions)))
