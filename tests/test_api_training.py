"""Courses and progress through the API, with the training pages' rules: learners see the
published courses assigned to them, curators and admins every course; progress reports
are the training reports (managers: their team; curators and admins: everyone); a
person's courses are theirs, their manager's, a curator's or an admin's to read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import Role
from app.db import utcnow
from app.training import learning, services
from app.training.models import CourseStatus
from tests.factories import GroupFactory, UserFactory
from tests.factories_api import Api, assert_problem
from tests.factories_training import ACTOR, make_course, pass_course


@pytest.fixture
def api(client, db):
    return Api(client, db)


@pytest.fixture
def scene(db):
    """Mona manages Rita (in Sales, reads French), who manages Ivan; Otto is outside.

    - "Sharing 101": everyone, required, overdue since yesterday; its French version
      "Partager 101" is published too. Rita passed it (in French); Ivan read a lesson.
    - "Sales pitch": Sales only. Nobody started it.
    - "Draft course": not published.
    """
    sales = GroupFactory(name="Sales")
    mona = UserFactory(role=Role.MANAGER, name="Mona Manager")
    rita = UserFactory(name="Rita Report", manager=mona, groups=[sales], language="fr")
    ivan = UserFactory(name="Ivan Indirect", manager=rita)
    otto = UserFactory(name="Otto Outsider")
    basics = make_course(db, title="Sharing 101", required=True,
                         due_on=utcnow().date() - timedelta(days=1))
    french = services.translate_course(db, ACTOR, basics, "fr")
    french.title = "Partager 101"
    services.publish_course(db, ACTOR, french)
    pitch = make_course(db, title="Sales pitch", group_ids=[sales.id], lessons=3)
    draft = make_course(db, title="Draft course", publish=False)
    pass_course(db, rita, french)
    learning.mark_read(db, ivan, basics.lessons[0])
    db.flush()
    return {"sales": sales, "mona": mona, "rita": rita, "ivan": ivan, "otto": otto,
            "basics": basics, "french": french, "pitch": pitch, "draft": draft}


def get(api, path: str, status: int = 200) -> dict:
    response = api.get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def titles(body: dict) -> set[str]:
    return {item["title"] for item in body["items"]}


# --- the courses ------------------------------------------------------------------------------


def test_learners_see_the_published_courses_assigned_to_them(api, scene):
    api.as_user(scene["otto"])
    assert titles(get(api, "/courses")) == {"Sharing 101", "Partager 101"}
    api.as_user(scene["rita"])
    body = get(api, "/courses")
    assert titles(body) == {"Sharing 101", "Partager 101", "Sales pitch"}
    assert titles(get(api, "/courses?language=fr")) == {"Partager 101"}
    assert get(api, "/courses?status=draft")["items"] == []


@pytest.mark.parametrize("role", ["curator", "admin"])
def test_curators_and_admins_see_every_course_drafts_included(api, scene, role):
    api.as_role(role)
    assert titles(get(api, "/courses")) == {"Sharing 101", "Partager 101", "Sales pitch",
                                            "Draft course"}
    assert titles(get(api, "/courses?status=draft")) == {"Draft course"}


def test_a_course_reads_its_familys_assignment(api, scene):
    api.as_user(scene["otto"])
    body = get(api, f"/courses/{scene['french'].id}")
    assert body["family_id"] == scene["basics"].id and body["language"] == "fr"
    # due date and "required before sharing" are the original's
    assert body["required_for_sharing"] is True
    assert body["due_on"] == scene["basics"].due_on.isoformat()
    assert body["lessons"] == 2 and body["questions"] == 4 and body["status"] == "published"
    assert [lesson["title"] for lesson in body["lesson_list"]] == ["Lesson 1", "Lesson 2"]
    assert [lesson["position"] for lesson in body["lesson_list"]] == [1, 2]


def test_a_course_you_may_not_see_is_a_404(api, scene):
    api.as_user(scene["otto"])
    assert_problem(api.get(f"/courses/{scene['pitch'].id}"), 404, "not-found")
    assert_problem(api.get(f"/courses/{scene['draft'].id}"), 404, "not-found")
    assert_problem(api.get("/courses/99999"), 404, "not-found")
    api.as_role("curator")
    assert get(api, f"/courses/{scene['draft'].id}")["status"] == CourseStatus.DRAFT.value


def test_the_course_list_is_paginated(api, scene):
    api.as_role("curator")
    response = api.get("/courses?per_page=3")
    body = response.get_json()
    assert body["total"] == 4 and body["pages"] == 2 and len(body["items"]) == 3
    assert response.headers["X-Total-Count"] == "4" and "next" in body["links"]
    assert len(get(api, "/courses?per_page=3&page=2")["items"]) == 1


# --- progress reports ---------------------------------------------------------------------------


def people(body: dict) -> dict[str, str]:
    return {row["name"]: row["status"] for row in body["items"]}


def test_a_manager_reads_the_progress_of_their_team(api, scene):
    api.as_user(scene["mona"])
    body = get(api, f"/courses/{scene['basics'].id}/progress")
    assert people(body) == {"Ivan Indirect": "overdue", "Rita Report": "passed"}
    assert body["manager_id"] == scene["mona"].id and body["course_id"] == scene["basics"].id
    # Ivan started (he read a lesson): in progress, and overdue like everyone not passed
    assert body["summary"] == {"audience": 2, "completed": 1, "in_progress": 1,
                               "not_started": 0, "overdue": 1, "percent": 50,
                               "average_score": 100.0}
    rita = next(row for row in body["items"] if row["name"] == "Rita Report")
    assert rita["passed_language"] == "fr" and rita["score"] == 100 and rita["attempts"] == 1
    assert rita["manager"] == "Mona Manager" and rita["passed_at"]
    # the French version's report is the family's
    assert people(get(api, f"/courses/{scene['french'].id}/progress")) == people(body)
    # the team of a manager within hers; anyone else's is a 404
    assert people(get(api, f"/courses/{scene['basics'].id}/progress?manager_id="
                           f"{scene['rita'].id}")) == {"Ivan Indirect": "overdue"}
    assert_problem(api.get(f"/courses/{scene['basics'].id}/progress?manager_id="
                           f"{scene['otto'].id}"), 404, "not-found")


def test_a_course_for_a_group_reports_on_its_audience_only(api, scene):
    api.as_user(scene["mona"])
    body = get(api, f"/courses/{scene['pitch'].id}/progress")
    assert people(body) == {"Rita Report": "not_started"}


@pytest.mark.parametrize("role", ["curator", "admin"])
def test_curators_and_admins_read_everyones_progress(api, scene, role):
    api.as_role(role)
    body = get(api, f"/courses/{scene['basics'].id}/progress?per_page=100")
    names = people(body)
    assert {"Rita Report", "Ivan Indirect", "Otto Outsider", "Mona Manager"} <= set(names)
    assert body["manager_id"] is None and body["summary"]["audience"] == body["total"]
    passed = get(api, f"/courses/{scene['basics'].id}/progress?status=passed")
    assert people(passed) == {"Rita Report": "passed"}
    assert people(get(api, f"/courses/{scene['basics'].id}/progress?q=otto")) == {
        "Otto Outsider": "overdue"}
    team = get(api, f"/courses/{scene['basics'].id}/progress?manager_id={scene['rita'].id}")
    assert people(team) == {"Ivan Indirect": "overdue"}
    page = get(api, f"/courses/{scene['basics'].id}/progress?per_page=1&page=2")
    assert len(page["items"]) == 1 and "prev" in page["links"]
    assert_problem(api.get(f"/courses/{scene['basics'].id}/progress?status=bored"), 422,
                   "invalid-request")
    assert_problem(api.get(f"/courses/{scene['basics'].id}/progress?manager_id=99999"), 404,
                   "not-found")
    assert_problem(api.get("/courses/99999/progress"), 404, "not-found")


def test_employees_read_no_progress_report(api, scene):
    api.as_user(scene["otto"])
    assert_problem(api.get(f"/courses/{scene['basics'].id}/progress"), 403, "forbidden")


# --- a person's courses ---------------------------------------------------------------------------


def test_your_courses_one_version_each_in_your_language(api, scene):
    api.as_user(scene["rita"])
    body = get(api, f"/users/{scene['rita'].id}/courses")
    by_title = {row["course"]["title"]: row for row in body["items"]}
    assert set(by_title) == {"Partager 101", "Sales pitch"}
    passed = by_title["Partager 101"]
    assert passed["status"] == "passed" and passed["percent"] == 100
    assert passed["attempts"] == 1 and passed["best_score"] == 100
    assert passed["passed_at"] and passed["certificate_id"]
    assert by_title["Sales pitch"] == {**by_title["Sales pitch"], "status": "not_started",
                                       "percent": 0, "lessons_read": 0, "attempts": 0,
                                       "best_score": None, "passed_at": None,
                                       "certificate_id": None}
    api.as_user(scene["ivan"])
    mine = get(api, f"/users/{scene['ivan'].id}/courses")["items"]
    assert [(r["course"]["title"], r["status"], r["lessons_read"]) for r in mine] == [
        ("Sharing 101", "overdue", 1)]


def test_someone_elses_courses_are_for_their_managers_curators_and_admins(api, scene):
    rita = scene["rita"].id
    api.as_user(scene["otto"])
    assert_problem(api.get(f"/users/{rita}/courses"), 404, "not-found")
    api.as_user(scene["mona"])
    assert get(api, f"/users/{rita}/courses")["total"] == 2
    assert get(api, f"/users/{scene['ivan'].id}/courses")["total"] == 1
    assert_problem(api.get(f"/users/{scene['otto'].id}/courses"), 404, "not-found")
    for role in ("curator", "admin"):
        api.as_role(role)
        assert get(api, f"/users/{scene['otto'].id}/courses")["total"] == 1
    assert_problem(api.get("/users/99999/courses"), 404, "not-found")
    page = get(api, f"/users/{rita}/courses?per_page=1")
    assert page["pages"] == 2 and len(page["items"]) == 1


def test_training_needs_the_training_scope(api, scene):
    api.as_user(scene["rita"], scopes="shares:read")
    for path in ("/courses", f"/courses/{scene['basics'].id}",
                 f"/users/{scene['rita'].id}/courses"):
        assert_problem(api.get(path), 403, "insufficient-scope")
    api.as_user(scene["mona"], scopes="training:read")
    assert api.get(f"/courses/{scene['basics'].id}/progress").status_code == 200
    assert_problem(api.get("/courses", secret=""), 401, "unauthorized")
