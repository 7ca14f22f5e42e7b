"""Authoring for curators and admins over HTTP: courses (cover upload checked by its
bytes, audience, due date, quiz settings), publication rules, lessons (create, edit,
reorder, delete, live preview, video allow-list), questions (answers, live preview,
reorder), duplicate-to-translate, deleting, and who may do it."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.training import services
from app.training.models import Course, CourseStatus, Lesson, Question, QuestionKind
from app.training.video import embed_url
from tests.factories import GroupFactory
from tests.factories_training import ACTOR, make_course, pass_course
from tests.test_content_curator import PNG


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def app_overrides(tmp_path):
    return {"CONTENT_UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def curator(auth):
    return auth.as_role(Role.CURATOR)


def course_form(**changes) -> dict:
    data = {"title": "Writing great posts", "summary": "How to write posts people read.",
            "language": "en", "estimated_minutes": "20", "pass_mark": "80",
            "max_attempts": "3", "cooldown_minutes": "60", "due_on": ""}
    data.update(changes)
    return data


def question_form(text="Which is right?", kind="single", choices=(("Yes", True), ("No", False)),
                  explanation="Because.", **extra) -> dict:
    data = {"kind": kind, "text": text, "explanation": explanation, **extra}
    for n, (label, correct) in enumerate(choices):
        data[f"choices-{n}-text"] = label
        if correct:
            data[f"choices-{n}-correct"] = "y"
    return data


# --- who may author -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER])
def test_employees_and_managers_cannot_author(db, client, auth, role):
    auth.as_role(role)
    course = make_course(db)
    lesson, question = course.lessons[0], course.questions[0]
    for path in ("/training/manage", "/training/manage/courses/new",
                 f"/training/manage/courses/{course.id}",
                 f"/training/manage/courses/{course.id}/edit",
                 f"/training/manage/lessons/{lesson.id}/edit",
                 f"/training/manage/questions/{question.id}/edit"):
        assert client.get(path).status_code == 403, path
    for path in (f"/training/manage/courses/{course.id}/unpublish",
                 f"/training/manage/courses/{course.id}/delete",
                 f"/training/manage/lessons/{lesson.id}/move",
                 f"/training/manage/lessons/{lesson.id}/delete",
                 "/training/manage/lessons/preview", "/training/manage/questions/preview"):
        assert client.post(path, data={"direction": "down"}).status_code == 403, path
    db.expire_all()
    assert db.get(Course, course.id).status == CourseStatus.PUBLISHED


@pytest.mark.parametrize("role", [Role.CURATOR, Role.ADMIN])
def test_curators_and_admins_see_the_authoring_pages(db, client, auth, role):
    auth.as_role(role)
    course = make_course(db)
    listing = html(client.get("/training/manage"))
    assert course.title in listing and 'data-testid="course-row"' in listing
    page = html(client.get(f"/training/manage/courses/{course.id}"))
    assert page.count('data-testid="lesson-row"') == 2
    assert page.count('data-testid="question-row"') == 4
    assert client.get(f"/training/manage/courses/{course.id}/edit").status_code == 200
    assert client.get(f"/training/manage/lessons/{course.lessons[0].id}/edit").status_code \
        == 200
    assert client.get(f"/training/manage/questions/{course.questions[0].id}/edit"
                      ).status_code == 200


def test_an_empty_course_list_says_so(db, client, curator):
    assert 'data-testid="no-courses"' in html(client.get("/training/manage"))


# --- courses --------------------------------------------------------------------------------


def test_create_a_course_with_a_cover_audience_and_due_date(db, client, curator, tmp_path):
    group = GroupFactory(name="Sales")
    response = client.post("/training/manage/courses/new", data={
        **course_form(due_on="2026-09-30", group_ids=[str(group.id)]),
        "cover_file": (io.BytesIO(PNG), "cover.png")}, content_type="multipart/form-data")
    assert response.status_code == 303
    course = db.scalar(select(Course))
    assert response.headers["Location"].endswith(f"/training/manage/courses/{course.id}")
    assert (course.title, course.status, course.language) == ("Writing great posts",
                                                              CourseStatus.DRAFT, "en")
    assert course.due_on.isoformat() == "2026-09-30" and [g.id for g in course.groups] == \
        [group.id]
    assert course.cover_image_url.startswith("/uploads/content/")
    name = course.cover_image_url.rsplit("/", 1)[1]
    assert (tmp_path / "uploads" / name).read_bytes() == PNG
    assert client.get(course.cover_image_url).status_code == 200
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.target_type == "courses")) \
        == "course.created"


def test_a_cover_that_is_not_an_image_is_refused(db, client, curator, tmp_path):
    response = client.post("/training/manage/courses/new", data={
        **course_form(), "cover_file": (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Upload a PNG, JPEG, WebP or GIF image." in html(response)
    assert db.scalar(select(func.count()).select_from(Course)) == 0
    assert not (tmp_path / "uploads").exists()


def test_invalid_course_fields_are_refused(db, client, curator):
    response = client.post("/training/manage/courses/new",
                           data=course_form(title="", pass_mark="150"))
    assert response.status_code == 422
    assert db.scalar(select(func.count()).select_from(Course)) == 0


def test_edit_a_course_and_remove_its_cover(db, client, curator):
    course = make_course(db)
    course.cover_image_url = "/uploads/content/" + "a" * 20 + ".png"
    db.flush()
    page = html(client.get(f"/training/manage/courses/{course.id}/edit"))
    assert 'value="Sharing 101"' in page and 'data-testid="cover-preview"' in page
    response = client.post(f"/training/manage/courses/{course.id}/edit",
                           data=course_form(title="Sharing 102", remove_cover="y",
                                            pass_mark="90"))
    assert response.status_code == 303
    db.expire_all()
    course = db.get(Course, course.id)
    assert (course.title, course.cover_image_url, course.pass_mark) == ("Sharing 102", "", 90)


def test_publishing_needs_lessons_and_valid_questions(db, client, curator):
    client.post("/training/manage/courses/new", data=course_form())
    course = db.scalar(select(Course))
    page = html(client.get(f"/training/manage/courses/{course.id}"))
    assert "Add at least one lesson." in page and "Add at least one quiz question." in page
    response = client.post(f"/training/manage/courses/{course.id}/publish",
                           follow_redirects=True)
    assert "Add at least one lesson." in html(response)
    db.expire_all()
    assert db.get(Course, course.id).status == CourseStatus.DRAFT
    client.post(f"/training/manage/courses/{course.id}/lessons/new",
                data={"title": "Intro", "body_md": "Hello", "video_url": ""})
    client.post(f"/training/manage/courses/{course.id}/questions/new", data=question_form())
    response = client.post(f"/training/manage/courses/{course.id}/publish")
    assert response.status_code == 303
    db.expire_all()
    course = db.get(Course, course.id)
    assert course.status == CourseStatus.PUBLISHED and course.published_at is not None
    client.post(f"/training/manage/courses/{course.id}/unpublish")
    db.expire_all()
    assert db.get(Course, course.id).status == CourseStatus.DRAFT


def test_duplicate_to_translate_makes_a_linked_draft_copy(db, client, curator):
    course = make_course(db, title="Policy", lessons=3, questions=2)
    response = client.post(f"/training/manage/courses/{course.id}/translate",
                           data={"language": "fr"})
    assert response.status_code == 303
    copy = db.scalar(select(Course).where(Course.translation_of_id == course.id))
    assert response.headers["Location"].endswith(f"/training/manage/courses/{copy.id}")
    assert (copy.language, copy.status) == ("fr", CourseStatus.DRAFT)
    assert [lesson.title for lesson in copy.lessons] == ["Lesson 1", "Lesson 2", "Lesson 3"]
    assert [[c.correct for c in q.choices] for q in copy.questions] == \
        [[c.correct for c in q.choices] for q in course.questions]
    assert {c.id for q in copy.questions for c in q.choices}.isdisjoint(
        {c.id for q in course.questions for c in q.choices})
    page = html(client.get(f"/training/manage/courses/{course.id}"))
    assert f'href="/training/manage/courses/{copy.id}" data-testid="version-link"' in page
    assert 'data-testid="translate"' not in page  # no language left
    again = client.post(f"/training/manage/courses/{copy.id}/translate",
                        data={"language": "en"}, follow_redirects=True)
    assert "already has a version in that language" in html(again)
    assert db.scalar(select(func.count()).select_from(Course)) == 2
    # the copy follows its original's audience: the form says so
    assert 'data-testid="follows-original"' in html(
        client.get(f"/training/manage/courses/{copy.id}/edit"))


def test_deleting_a_course(db, client, curator):
    empty = make_course(db, title="Unused")
    empty_id = empty.id
    assert client.post(f"/training/manage/courses/{empty_id}/delete").status_code == 303
    db.expunge_all()
    assert db.get(Course, empty_id) is None
    assert db.scalar(select(func.count()).select_from(Lesson)) == 0
    taken = make_course(db, title="Taken")
    pass_course(db, curator, taken)
    response = client.post(f"/training/manage/courses/{taken.id}/delete",
                           follow_redirects=True)
    assert "People have taken this course: unpublish it instead." in html(response)
    original = make_course(db, title="Has a translation")
    services.translate_course(db, ACTOR, original, "fr")
    response = client.post(f"/training/manage/courses/{original.id}/delete",
                           follow_redirects=True)
    assert "Delete its translations first." in html(response)
    db.expire_all()
    assert db.get(Course, taken.id) is not None and db.get(Course, original.id) is not None


def test_an_unknown_course_action_is_not_found(db, client, curator):
    course = make_course(db)
    assert client.post(f"/training/manage/courses/{course.id}/explode").status_code == 404


# --- lessons --------------------------------------------------------------------------------


def test_add_edit_reorder_and_delete_lessons(db, client, curator):
    course = make_course(db, lessons=3, publish=False)
    first, second, third = (lesson.id for lesson in course.lessons)
    response = client.post(f"/training/manage/courses/{course.id}/lessons/new",
                           data={"title": "Fourth", "body_md": "## Four",
                                 "video_url": "https://vimeo.com/76979871"})
    assert response.status_code == 303
    fourth = db.scalar(select(Lesson).where(Lesson.title == "Fourth"))
    assert fourth.position == 4 and fourth.video_url == "https://vimeo.com/76979871"
    client.post(f"/training/manage/lessons/{third}/move", data={"direction": "up"})
    client.post(f"/training/manage/lessons/{first}/move", data={"direction": "up"})  # top
    db.expire_all()
    order = [lesson.id for lesson in db.get(Course, course.id).lessons]
    assert order == [first, third, second, fourth.id]
    assert [lesson.position for lesson in db.get(Course, course.id).lessons] == [1, 2, 3, 4]
    client.post(f"/training/manage/lessons/{third}/edit",
                data={"title": "Renamed", "body_md": "New body", "video_url": ""})
    client.post(f"/training/manage/lessons/{second}/delete")
    db.expire_all()
    lessons = db.get(Course, course.id).lessons
    assert [(lesson.title, lesson.position) for lesson in lessons] == \
        [("Lesson 1", 1), ("Renamed", 2), ("Fourth", 3)]
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "lesson.moved")) == 1


def test_a_video_from_another_site_is_refused(db, client, curator):
    course = make_course(db, publish=False)
    response = client.post(f"/training/manage/courses/{course.id}/lessons/new",
                           data={"title": "Bad", "body_md": "",
                                 "video_url": "https://evil.example/watch?v=dQw4w9WgXcQ"})
    assert response.status_code == 422
    assert "Only YouTube and Vimeo videos can be embedded" in html(response)
    assert db.scalar(select(func.count()).select_from(Lesson)
                     .where(Lesson.title == "Bad")) == 0


def test_the_last_lesson_of_a_published_course_stays(db, client, curator):
    course = make_course(db, lessons=1)
    response = client.post(f"/training/manage/lessons/{course.lessons[0].id}/delete",
                           follow_redirects=True)
    assert "A published course needs at least one lesson." in html(response)
    assert db.scalar(select(func.count()).select_from(Lesson)) == 1


def test_the_lesson_preview_is_sanitised_and_embeds_only_allowed_videos(db, client, curator):
    response = client.post("/training/manage/lessons/preview", data={
        "title": "Draft", "body_md": "# Hi\n\n<img src=x onerror=alert(1)>",
        "video_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}, headers={"HX-Request": "1"})
    page = html(response)
    assert response.status_code == 200
    assert "<h1>Hi</h1>" in page and "onerror" not in page.replace("&lt;img src=x onerror", "")
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in page
    refused = html(client.post("/training/manage/lessons/preview", data={
        "title": "Draft", "body_md": "", "video_url": "https://evil.example/v.mp4"}))
    assert 'data-testid="preview-video-refused"' in refused and "<iframe" not in refused
    # without JavaScript, "Preview" re-renders the form with the preview, saving nothing
    course = make_course(db, publish=False)
    page = html(client.post(f"/training/manage/courses/{course.id}/lessons/new", data={
        "title": "Seen", "body_md": "**bold**", "video_url": "", "action": "preview"}))
    assert "<strong>bold</strong>" in page
    assert db.scalar(select(func.count()).select_from(Lesson).where(Lesson.title == "Seen")) \
        == 0


# --- questions ------------------------------------------------------------------------------


def test_add_and_edit_a_multiple_choice_question(db, client, curator):
    course = make_course(db, questions=1, publish=False)
    response = client.post(f"/training/manage/courses/{course.id}/questions/new",
                           data=question_form(text="Pick two", kind="multiple",
                                              choices=(("A", True), ("", False), ("B", True),
                                                       ("C", False))))
    assert response.status_code == 303
    question = db.scalar(select(Question).where(Question.text == "Pick two"))
    assert question.kind == QuestionKind.MULTIPLE and question.position == 2
    assert [(c.text, c.correct) for c in question.choices] == [("A", True), ("B", True),
                                                               ("C", False)]
    ids = [c.id for c in question.choices]
    page = html(client.get(f"/training/manage/questions/{question.id}/edit"))
    assert 'value="A"' in page and 'value="B"' in page
    client.post(f"/training/manage/questions/{question.id}/edit",
                data=question_form(text="Pick one", kind="single",
                                   choices=(("A", False), ("B", True))))
    db.expire_all()
    question = db.get(Question, question.id)
    assert question.kind == QuestionKind.SINGLE
    assert [(c.id, c.text, c.correct) for c in question.choices] == \
        [(ids[0], "A", False), (ids[1], "B", True)]  # answers keep their ids by position


@pytest.mark.parametrize("kind,choices,message", [
    ("single", (("A", True), ("B", True)), "exactly one right answer"),
    ("single", (("A", True),), "at least 2 answers"),
    ("multiple", (("A", False), ("B", False)), "Mark at least one right answer."),
])
def test_invalid_questions_are_refused(db, client, curator, kind, choices, message):
    course = make_course(db, questions=1, publish=False)
    response = client.post(f"/training/manage/courses/{course.id}/questions/new",
                           data=question_form(kind=kind, choices=choices))
    assert response.status_code == 422 and message in html(response)
    assert db.scalar(select(func.count()).select_from(Question)) == 1


def test_reorder_and_delete_questions(db, client, curator):
    course = make_course(db, questions=3, publish=False)
    q1, q2, q3 = (q.id for q in course.questions)
    client.post(f"/training/manage/questions/{q1}/move", data={"direction": "down"})
    client.post(f"/training/manage/questions/{q3}/move", data={"direction": "down"})  # bottom
    db.expire_all()
    assert [q.id for q in db.get(Course, course.id).questions] == [q2, q1, q3]
    client.post(f"/training/manage/questions/{q2}/delete")
    db.expire_all()
    assert [(q.id, q.position) for q in db.get(Course, course.id).questions] == \
        [(q1, 1), (q3, 2)]
    assert client.post(f"/training/manage/questions/{q1}/move",
                       data={"direction": "sideways"}).status_code == 400


def test_the_question_preview_marks_the_right_answers(db, client, curator):
    page = html(client.post("/training/manage/questions/preview", data=question_form(
        text="Is **this** right?", kind="multiple",
        choices=(("Yes", True), ("No", False), ("Also yes", True)),
        explanation="See *lesson 2*.")))
    assert "<strong>this</strong>" in page
    assert page.count('type="checkbox"') == 3 and page.count("quiz-right") == 2
    assert "<em>lesson 2</em>" in page
    empty = html(client.post("/training/manage/questions/preview", data={"kind": "single"}))
    assert "the preview appears here" in empty


# --- the video allow-list -------------------------------------------------------------------


@pytest.mark.parametrize("url,expected", [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1",
     "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
    ("https://m.youtube.com/shorts/dQw4w9WgXcQ",
     "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
    ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
     "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
    ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
    ("https://player.vimeo.com/video/76979871?h=abc", "https://player.vimeo.com/video/76979871"),
    ("https://evil.example/watch?v=dQw4w9WgXcQ", None),
    ("https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ", None),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ\"><script>", None),
    ("javascript:alert(1)//youtu.be/dQw4w9WgXcQ", None),
    ("https://user@youtu.be/dQw4w9WgXcQ", None),
    ("https://youtu.be:8443/dQw4w9WgXcQ", None),
    ("https://vimeo.com/channels/staffpicks", None),
    ("", None),
])
def test_only_youtube_and_vimeo_are_embedded(url, expected):
    assert embed_url(url) == expected


def test_the_csp_allows_frames_from_the_two_video_hosts_only(client):
    policy = client.get("/certificates/verify").headers["Content-Security-Policy"]
    frame_src = next(p for p in policy.split(";") if p.strip().startswith("frame-src"))
    assert frame_src.split()[1:] == ["https://www.youtube-nocookie.com",
                                     "https://player.vimeo.com"]
