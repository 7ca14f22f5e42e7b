"""The learner's side over HTTP: my courses, a course (audience, resume, versions), lessons
(sanitised Markdown, allow-listed video, mark as read, previous/next), the quiz (blockers,
limit, cooldown, shuffled order kept on the server, no answers before submission, scoring,
one submission), results with feedback, certificates (points and badges), the public
verification page, and nobody reading anybody else's attempt or certificate."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.accounts.models import Role
from app.db import utcnow
from app.gamification.models import Action, Badge, BadgeCriterion, LedgerEntry, UserBadge
from app.training import learning, services
from app.training.models import Certificate, CourseProgress, LessonRead, QuizAttempt
from tests.factories import GroupFactory, UserFactory
from tests.factories_training import (
    ACTOR,
    answers_for,
    form_for,
    make_course,
    pass_course,
    read_all,
)


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def me(auth):
    return auth.as_role(Role.EMPLOYEE)


def start(client, course) -> QuizAttempt:
    response = client.post(f"/training/courses/{course.id}/quiz")
    assert response.status_code == 303, html(response)
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return attempt_id


# --- my courses, a course ---------------------------------------------------------------------


def test_my_courses_sorts_required_todo_and_completed(db, client, me):
    required = make_course(db, title="Policy course", required=True)
    todo = make_course(db, title="Writing posts", due_on=utcnow().date() - timedelta(days=1))
    done = make_course(db, title="Basics")
    make_course(db, title="Draft course", publish=False)
    group = GroupFactory()
    make_course(db, title="Other group's course", group_ids=[group.id])
    pass_course(db, me, done)
    page = html(client.get("/training"))
    sections = {name: page.split(f'data-testid="{name}"')[1].split("</section>")[0]
                for name in ("required-courses", "todo-courses", "completed-courses")}
    assert required.title in sections["required-courses"]
    assert "Required to share" in sections["required-courses"]
    assert todo.title in sections["todo-courses"] and "Overdue since" in sections["todo-courses"]
    assert done.title in sections["completed-courses"]
    assert "Draft course" not in page and "Other group&#39;s course" not in page
    assert "Other group's course" not in page


def test_an_empty_training_page_says_so(db, client, me):
    assert 'data-testid="training-empty"' in html(client.get("/training"))


def test_courses_outside_my_audience_and_drafts_are_not_found(db, client, me):
    group = GroupFactory()
    theirs = make_course(db, group_ids=[group.id])
    draft = make_course(db, publish=False)
    for course in (theirs, draft):
        assert client.get(f"/training/courses/{course.id}").status_code == 404
        assert client.get(f"/training/courses/{course.id}/quiz").status_code == 404
        lesson = course.lessons[0]
        assert client.get(f"/training/courses/{course.id}/lessons/{lesson.id}").status_code \
            == 404
        assert client.post(f"/training/courses/{course.id}/quiz").status_code == 404
    me.groups = [group]
    db.flush()
    assert client.get(f"/training/courses/{theirs.id}").status_code == 200


def test_curators_preview_a_draft_without_recording_progress(db, client, auth):
    curator = auth.as_role(Role.CURATOR)
    draft = make_course(db, publish=False)
    page = html(client.get(f"/training/courses/{draft.id}"))
    assert 'data-testid="draft-preview"' in page
    lesson = draft.lessons[0]
    response = client.post(f"/training/courses/{draft.id}/lessons/{lesson.id}/read")
    assert response.status_code == 302
    assert db.scalar(select(func.count()).select_from(LessonRead)
                     .where(LessonRead.user_id == curator.id)) == 0


def test_the_course_page_resumes_where_i_left_off(db, client, me):
    course = make_course(db, lessons=3)
    first, second, third = course.lessons
    page = html(client.get(f"/training/courses/{course.id}"))
    assert f'href="/training/courses/{course.id}/lessons/{first.id}" data-testid="resume"' \
        in page and "Start the course" in page
    learning.mark_read(db, me, first)
    page = html(client.get(f"/training/courses/{course.id}"))
    assert f'lessons/{second.id}" data-testid="resume"' in page and "Resume" in page
    learning.mark_read(db, me, third)  # read out of order: resume goes back to the gap
    page = html(client.get(f"/training/courses/{course.id}"))
    assert f'lessons/{second.id}" data-testid="resume"' in page
    learning.mark_read(db, me, second)
    page = html(client.get(f"/training/courses/{course.id}"))
    assert f'href="/training/courses/{course.id}/quiz" data-testid="resume"' in page
    pass_course(db, me, course)
    page = html(client.get(f"/training/courses/{course.id}"))
    assert 'data-testid="passed"' in page and "See your certificate" in page


def test_the_course_page_links_the_other_language_version(db, client, me):
    original = make_course(db)
    french = services.translate_course(db, ACTOR, original, "fr")
    page = html(client.get(f"/training/courses/{original.id}"))
    assert 'data-testid="other-version"' not in page  # the copy is still a draft
    services.publish_course(db, ACTOR, french)
    page = html(client.get(f"/training/courses/{original.id}"))
    assert f'href="/training/courses/{french.id}" hreflang="fr"' in page
    back = html(client.get(f"/training/courses/{french.id}"))
    assert f'href="/training/courses/{original.id}" hreflang="en"' in back


def test_my_training_shows_the_version_in_my_language(db, client, auth):
    auth.as_role(Role.EMPLOYEE, language="fr")
    original = make_course(db, title="Policy")
    french = services.translate_course(db, ACTOR, original, "fr")
    french.title = "Charte"
    services.publish_course(db, ACTOR, french)
    page = html(client.get("/training"))
    assert "Charte" in page and ">Policy<" not in page


# --- lessons ----------------------------------------------------------------------------------


def test_a_lesson_renders_sanitised_markdown_and_an_allow_listed_video(db, client, me):
    course = make_course(db, publish=False)
    lesson = course.lessons[0]
    services.update_lesson(db, ACTOR, lesson, services.LessonInput(
        title="Videos", video_url="https://youtu.be/dQw4w9WgXcQ?t=3",
        body_md="## Heading\n\n- item\n\n`code`\n\n<script>alert(1)</script>\n\n"
                "[bad](javascript:alert(1)) ![pic](https://img.acme.example/a.png)"))
    services.publish_course(db, ACTOR, course)
    page = html(client.get(f"/training/courses/{course.id}/lessons/{lesson.id}"))
    body = page.split('data-testid="lesson-body"')[1].split("</div>")[0]
    assert "<h2>Heading</h2>" in body and "<li>item</li>" in body and "<code>code</code>" in body
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "href=\"javascript:" not in body and "<a" not in body  # shown as text
    assert '<img src="https://img.acme.example/a.png"' in body
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in page
    assert "youtu.be" not in page


def test_previous_next_and_mark_as_read(db, client, me):
    course = make_course(db, lessons=3)
    first, second, third = course.lessons
    page = html(client.get(f"/training/courses/{course.id}/lessons/{first.id}"))
    assert 'data-testid="previous"' not in page and "Lesson 1 of 3" in page
    assert f'lessons/{second.id}" data-testid="next"' in page
    page = html(client.get(f"/training/courses/{course.id}/lessons/{second.id}"))
    assert f'lessons/{first.id}" data-testid="previous"' in page
    response = client.post(f"/training/courses/{course.id}/lessons/{second.id}/read")
    assert response.headers["Location"].endswith(f"/lessons/{third.id}")
    client.post(f"/training/courses/{course.id}/lessons/{second.id}/read")  # twice: once
    assert db.scalar(select(func.count()).select_from(LessonRead)
                     .where(LessonRead.user_id == me.id)) == 1
    progress = db.scalar(select(CourseProgress).where(CourseProgress.user_id == me.id))
    assert progress.last_lesson_id == second.id
    response = client.post(f"/training/courses/{course.id}/lessons/{third.id}/read")
    assert response.headers["Location"].endswith(f"/training/courses/{course.id}/quiz")
    page = html(client.get(f"/training/courses/{course.id}/lessons/{second.id}"))
    assert 'data-testid="lesson-read"' in page


def test_a_lesson_of_another_course_is_not_found(db, client, me):
    one, two = make_course(db), make_course(db, title="Two")
    assert client.get(f"/training/courses/{one.id}/lessons/{two.lessons[0].id}").status_code \
        == 404
    assert client.post(f"/training/courses/{one.id}/lessons/{two.lessons[0].id}/read"
                       ).status_code == 404


def test_reading_is_post_only(db, client, me):
    course = make_course(db)
    lesson = course.lessons[0]
    assert client.get(f"/training/courses/{course.id}/lessons/{lesson.id}/read").status_code \
        == 405
    assert db.scalar(select(func.count()).select_from(LessonRead)) == 0


# --- the quiz ---------------------------------------------------------------------------------


def test_the_quiz_waits_for_every_lesson(db, client, me):
    course = make_course(db)
    page = html(client.get(f"/training/courses/{course.id}/quiz"))
    assert "Read every lesson before taking the quiz." in page
    assert 'data-testid="start-quiz"' not in page
    response = client.post(f"/training/courses/{course.id}/quiz", follow_redirects=True)
    assert "Read every lesson before taking the quiz." in html(response)
    assert db.scalar(select(func.count()).select_from(QuizAttempt)) == 0


def test_an_attempt_shows_shuffled_questions_without_the_answers(db, client, me):
    course = make_course(db, questions=6)
    read_all(db, me, course)
    attempt_id = start(client, course)
    attempt = db.get(QuizAttempt, attempt_id)
    assert sorted(q for q, _ in attempt.layout) == sorted(q.id for q in course.questions)
    page = html(client.get(f"/training/attempts/{attempt_id}"))
    shown = [int(m) for m in re.findall(r'data-question-id="(\d+)"', page)]
    assert shown == [q for q, _ in attempt.layout]  # the stored order is the order shown
    for question_id, choice_ids in attempt.layout:
        found = [int(m) for m in re.findall(rf'name="q{question_id}" value="(\d+)"', page)]
        assert found == choice_ids
    assert 'data-testid="right-answer"' not in page and "quiz-right" not in page
    assert "Because of rule" not in page and "correct" not in page.lower()
    # the same attempt again: the same order (stored, not reshuffled)
    assert html(client.get(f"/training/attempts/{attempt_id}")) == page
    # starting again gives back the open attempt
    assert start(client, course) == attempt_id


def test_the_order_is_shuffled_per_attempt(db, me):
    course = make_course(db, questions=8, max_attempts=0)
    read_all(db, me, course)
    orders = set()
    for _ in range(6):
        attempt = learning.start_attempt(db, me, course)
        orders.add(tuple(q for q, _ in attempt.layout))
        learning.submit_attempt(db, me, attempt, answers_for(course, 0))
    assert len(orders) > 1


def test_scoring_results_and_feedback(db, client, me):
    course = make_course(db, questions=4, pass_mark=75)
    read_all(db, me, course)
    attempt_id = start(client, course)
    # 2 of 4 right; for question 2 (multiple), only one of its two right answers: wrong
    answers = answers_for(course, 1)
    q2 = course.questions[1]
    answers[q2.id] = [next(c.id for c in q2.choices if c.correct)]
    response = client.post(f"/training/attempts/{attempt_id}", data=form_for(answers))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/training/attempts/{attempt_id}/result")
    attempt = db.get(QuizAttempt, attempt_id)
    db.refresh(attempt)
    assert (attempt.correct_count, attempt.question_count, attempt.score, attempt.passed) == \
        (1, 4, 25, False)
    page = html(client.get(f"/training/attempts/{attempt_id}/result"))
    assert "Not passed this time" in page and "1 of 4 right: 25 %" in page
    assert page.count('data-testid="verdict"') == 4
    assert page.count('data-testid="explanation"') == 4 and "Because of rule 3." in page
    assert page.count('data-testid="right-answer"') == 6  # 4 questions, 2 with two answers
    assert db.scalar(select(func.count()).select_from(Certificate)) == 0


def test_every_question_must_be_answered_and_answers_must_belong_to_it(db, client, me):
    course = make_course(db, questions=3)
    read_all(db, me, course)
    attempt_id = start(client, course)
    answers = answers_for(course, 3)
    first = course.questions[0]
    partial = {k: v for k, v in answers.items() if k != first.id}
    response = client.post(f"/training/attempts/{attempt_id}", data=form_for(partial))
    assert response.status_code == 422
    assert "Answer every question" in html(response)
    # what was ticked stays ticked
    kept = course.questions[1].choices[0].id
    assert re.search(rf'value="{kept}"\s+checked', html(response))
    foreign = dict(answers)
    foreign[first.id] = [course.questions[1].choices[0].id]
    assert client.post(f"/training/attempts/{attempt_id}",
                       data=form_for(foreign)).status_code == 422
    two = dict(answers)
    two[first.id] = [c.id for c in first.choices[:2]]  # single choice: two answers
    response = client.post(f"/training/attempts/{attempt_id}", data=form_for(two))
    assert response.status_code == 422 and "one answer only" in html(response)
    db.expire_all()
    assert db.get(QuizAttempt, attempt_id).submitted_at is None


def test_an_attempt_is_submitted_once(db, client, me):
    course = make_course(db, questions=2, max_attempts=0)
    read_all(db, me, course)
    attempt_id = start(client, course)
    data = form_for(answers_for(course, 0))
    assert client.post(f"/training/attempts/{attempt_id}", data=data).status_code == 303
    again = client.post(f"/training/attempts/{attempt_id}", data=form_for(
        answers_for(course, 2)))
    assert again.status_code == 302 and again.headers["Location"].endswith("/result")
    attempt = db.get(QuizAttempt, attempt_id)
    db.refresh(attempt)
    assert attempt.score == 0
    with pytest.raises(Exception, match="already submitted"):
        learning.submit_attempt(db, me, attempt, answers_for(course, 2))
    progress = db.scalar(select(CourseProgress).where(CourseProgress.user_id == me.id))
    assert progress.attempts == 1


def test_the_submission_is_a_conditional_update(db, me):
    """Two submissions racing: the second finds the attempt already submitted by the
    first's UPDATE … WHERE submitted_at IS NULL, even with a stale object in hand."""
    course = make_course(db, questions=2)
    read_all(db, me, course)
    attempt = learning.start_attempt(db, me, course)
    learning.submit_attempt(db, me, attempt, answers_for(course, 2))
    stale = db.get(QuizAttempt, attempt.id)
    stale.__dict__["submitted_at"] = None  # what a concurrent request still had in hand
    with pytest.raises(Exception, match="already submitted"):
        learning.submit_attempt(db, me, stale, answers_for(course, 2))
    assert db.scalar(select(func.count()).select_from(Certificate)) == 1


def test_the_attempts_limit_and_the_cooldown_are_enforced(db, client, me):
    course = make_course(db, questions=2, max_attempts=2, cooldown_minutes=30)
    read_all(db, me, course)
    now = utcnow()
    with time_machine.travel(now, tick=False):
        attempt_id = start(client, course)
        client.post(f"/training/attempts/{attempt_id}", data=form_for(answers_for(course, 0)))
        response = client.post(f"/training/courses/{course.id}/quiz")
        assert response.headers["Location"].endswith("/quiz")  # refused, back to the page
        page = html(client.get(f"/training/courses/{course.id}/quiz"))
        assert "You can try again after a short break." in page
        assert "Next attempt from" in page
    with time_machine.travel(now + timedelta(minutes=31), tick=False):
        attempt_id = start(client, course)
        client.post(f"/training/attempts/{attempt_id}", data=form_for(answers_for(course, 0)))
    with time_machine.travel(now + timedelta(hours=2), tick=False):
        page = html(client.get(f"/training/courses/{course.id}/quiz"))
        assert "You have used all your attempts." in page
        client.post(f"/training/courses/{course.id}/quiz")
        result = html(client.get(f"/training/attempts/{attempt_id}/result"))
        assert 'data-testid="no-attempt-left"' in result
    assert db.scalar(select(func.count()).select_from(QuizAttempt)) == 2


def test_someone_elses_attempt_and_certificate_are_not_found(db, client, auth):
    other = UserFactory()
    course = make_course(db, questions=2)
    attempt = pass_course(db, other, course)
    certificate = db.scalar(select(Certificate).where(Certificate.user_id == other.id))
    auth.as_role(Role.ADMIN)
    for path in (f"/training/attempts/{attempt.id}", f"/training/attempts/{attempt.id}/result",
                 f"/training/certificates/{certificate.id}"):
        assert auth.client.get(path).status_code == 404, path
    assert auth.client.post(f"/training/attempts/{attempt.id}",
                            data=form_for(answers_for(course, 2))).status_code == 404


# --- passing: certificate, points, badge --------------------------------------------------


def test_passing_issues_the_certificate_points_and_badge(db, client, me):
    course = make_course(db, questions=4, pass_mark=75)
    badge = Badge(key="policy-course", emoji="🎓", name_en="Policy certified",
                  name_fr="Charte validée", criterion=BadgeCriterion.COURSE_PASSED,
                  threshold=1, course_id=course.id)
    db.add(badge)
    db.flush()
    read_all(db, me, course)
    attempt_id = start(client, course)
    client.post(f"/training/attempts/{attempt_id}", data=form_for(answers_for(course, 3)))
    result = html(client.get(f"/training/attempts/{attempt_id}/result"))
    assert "You passed!" in result and "3 of 4 right: 75 %" in result
    certificate = db.scalar(select(Certificate).where(Certificate.user_id == me.id))
    assert len(certificate.code) >= 22 and certificate.score == 75
    keys = dict(db.execute(select(LedgerEntry.idempotency_key, LedgerEntry.action)
                           .where(LedgerEntry.user_id == me.id)).all())
    assert keys == {f"quiz:{course.id}:user:{me.id}": Action.QUIZ_PASSED,
                    f"course:{course.id}:user:{me.id}": Action.COURSE_COMPLETED}
    assert db.scalar(select(UserBadge).where(UserBadge.user_id == me.id,
                                             UserBadge.badge_id == badge.id)) is not None
    page = html(client.get(f"/training/certificates/{certificate.id}"))
    points = db.scalar(select(func.sum(LedgerEntry.points)).where(LedgerEntry.user_id == me.id))
    assert points > 0
    assert f"You earned {points} points with this course." in page
    assert "Badge earned: Policy certified" in page
    assert me.name in page and course.title in page and certificate.code in page
    assert f"http://relais.test/certificates/verify/{certificate.code}" in page
    mine = html(client.get("/training/certificates"))
    assert f"/training/certificates/{certificate.id}" in mine


def test_a_passed_course_cannot_be_taken_again(db, client, me):
    course = make_course(db, questions=2)
    pass_course(db, me, course)
    response = client.post(f"/training/courses/{course.id}/quiz", follow_redirects=True)
    assert "You already passed this course." in html(response)
    assert db.scalar(select(func.count()).select_from(QuizAttempt)) == 1


def test_the_translation_of_a_passed_course_cannot_pay_again(db, me):
    original = make_course(db, questions=2)
    french = services.translate_course(db, ACTOR, original, "fr")
    services.publish_course(db, ACTOR, french)
    pass_course(db, me, original)
    read_all(db, me, french)
    with pytest.raises(Exception, match="already passed"):
        learning.start_attempt(db, me, french)
    assert db.scalar(select(func.count()).select_from(LedgerEntry)) == 2


def test_no_certificates_yet(db, client, me):
    assert 'data-testid="no-certificates"' in html(client.get("/training/certificates"))


# --- public verification ----------------------------------------------------------------------


def test_anyone_can_verify_a_certificate_with_its_code(db, client):
    person = UserFactory(name="Dana Doe")
    course = make_course(db, title="Policy course", questions=2)
    pass_course(db, person, course)
    certificate = db.scalar(select(Certificate))
    page = client.get(f"/certificates/verify/{certificate.code}")
    assert page.status_code == 200
    text = html(page)
    assert 'data-testid="verify-valid"' in text
    assert "Dana Doe" in text and "Policy course" in text
    assert person.email not in text and "score" not in text.lower()
    missing = client.get("/certificates/verify/" + "x" * 22)
    assert missing.status_code == 404 and 'data-testid="verify-invalid"' in html(missing)
    form = client.get(f"/certificates/verify?code={certificate.code}")
    assert form.status_code == 302
    assert form.headers["Location"].endswith(f"/certificates/verify/{certificate.code}")
    assert 'name="code"' in html(client.get("/certificates/verify"))


def test_my_data_export_holds_my_training(db, client, me):
    course = make_course(db, title="Policy course", questions=2)
    pass_course(db, me, course)
    other = UserFactory()
    pass_course(db, other, make_course(db, title="Not mine", questions=2))
    data = client.get("/profile/export.json").get_json()
    training = data["training"]
    assert [c["course"] for c in training["certificates"]] == ["Policy course"]
    assert training["certificates"][0]["verification_code"] == db.scalar(
        select(Certificate.code).where(Certificate.user_id == me.id))
    assert [a["score"] for a in training["attempts"]] == [100]
    assert len(training["lessons_read"]) == 2 and training["progress"][0]["attempts"] == 1
