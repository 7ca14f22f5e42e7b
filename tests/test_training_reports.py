"""Training reports over HTTP: managers see their team only (direct and indirect reports),
curators and admins everyone or one manager's team; completion by group and by team,
average score, the overdue list, CSV exports (formula-safe), granting an attempt."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.db import utcnow
from app.training import learning
from app.training.models import CourseProgress
from tests.factories import GroupFactory, UserFactory
from tests.factories_training import answers_for, make_course, pass_course, read_all


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def company(db):
    """A manager with two direct reports, one of whom manages a third person; outsiders
    elsewhere. Sales group: the manager's team; Finance: the outsiders."""
    sales, finance = GroupFactory(name="Sales"), GroupFactory(name="Finance")
    boss = UserFactory(name="Morgan Manager", role=Role.MANAGER)
    lead = UserFactory(name="Lee Lead", role=Role.MANAGER, manager=boss)
    ada = UserFactory(name="Ada Direct", manager=boss)
    ivo = UserFactory(name="Ivo Indirect", manager=lead)
    out1 = UserFactory(name="Otto Outsider")
    out2 = UserFactory(name="=HYPERLINK(\"http://evil.example\")", email="evil@acme.example")
    for person in (boss, lead, ada, ivo):
        person.groups = [sales]
    out1.groups = out2.groups = [finance]
    db.flush()
    return {"boss": boss, "lead": lead, "ada": ada, "ivo": ivo, "out1": out1, "out2": out2,
            "sales": sales, "finance": finance}


def people_on(page: str) -> set[str]:
    import re

    return set(re.findall(r'data-testid="person-row" data-user-id="(\d+)"', page))


def test_a_manager_sees_only_their_team(db, client, auth, company):
    course = make_course(db, title="Policy course", questions=2, pass_mark=50)
    pass_course(db, company["ivo"], course)
    pass_course(db, company["out1"], course)
    read_all(db, company["ada"], course)
    auth.login(company["boss"])
    index = html(client.get("/training/reports"))
    assert "Policy course" in index and "Your team" in index
    assert '1 <span class="text-body-secondary small">(33 %)</span>' in index  # ivo of 3
    page = html(client.get(f"/training/reports/courses/{course.id}"))
    team = {str(company[k].id) for k in ("lead", "ada", "ivo")}
    assert people_on(page) == team
    assert "Otto Outsider" not in page
    assert 'data-testid="sum-audience">3<' in page
    assert 'data-testid="sum-completed">1 (33 %)<' in page
    assert 'data-testid="sum-in-progress">1<' in page
    # by team: their own team and the lead's sub-team, not other managers
    teams = page.split('data-testid="by-team"')[1].split("</table>")[0]
    assert "Morgan Manager" in teams and "Lee Lead" in teams
    # narrowing to the lead's team is allowed; another manager's team is not
    narrowed = html(client.get(f"/training/reports/courses/{course.id}?manager="
                               f"{company['lead'].id}"))
    assert people_on(narrowed) == {str(company["ivo"].id)}
    other = UserFactory(role=Role.MANAGER)
    assert client.get(f"/training/reports/courses/{course.id}?manager={other.id}"
                      ).status_code == 404


def test_an_employee_cannot_see_reports(db, client, auth, company):
    course = make_course(db)
    auth.login(company["ada"])
    for path in ("/training/reports", f"/training/reports/courses/{course.id}",
                 f"/training/reports/courses/{course.id}/export.csv", "/training/reports/overdue",
                 "/training/reports/overdue.csv"):
        assert client.get(path).status_code == 403, path


def test_curators_see_everyone_by_group_and_by_team(db, client, auth, company):
    course = make_course(db, questions=2, pass_mark=50)
    pass_course(db, company["ada"], course)
    attempt = pass_course(db, company["out1"], course)
    assert attempt.score == 100
    read_all(db, company["ivo"], course)
    failed = learning.start_attempt(db, company["ivo"], course)
    learning.submit_attempt(db, company["ivo"], failed, answers_for(course, 0))
    auth.as_role(Role.CURATOR)
    page = html(client.get(f"/training/reports/courses/{course.id}"))
    assert {str(company[k].id) for k in ("boss", "lead", "ada", "ivo", "out1", "out2")} \
        <= people_on(page)
    assert 'data-testid="sum-score">66.7 %<' in page  # best scores 100, 100, 0
    groups = page.split('data-testid="by-group"')[1].split("</table>")[0]
    assert "Sales" in groups and "Finance" in groups
    teams = page.split('data-testid="by-team"')[1].split("</table>")[0]
    boss_row = teams.split(f'data-manager-id="{company["boss"].id}"')[1].split("</tr>")[0]
    assert 'class="text-end">3</td>' in boss_row  # lead, ada, ivo
    assert 'data-testid="team-completed">1 ' in boss_row
    # status filter and search
    passed = html(client.get(f"/training/reports/courses/{course.id}?status=passed"))
    assert people_on(passed) == {str(company["ada"].id), str(company["out1"].id)}
    found = html(client.get(f"/training/reports/courses/{course.id}?q=indirect"))
    assert people_on(found) == {str(company["ivo"].id)}
    # a manager's team, chosen by a curator
    team = html(client.get(f"/training/reports/courses/{course.id}?manager="
                           f"{company['boss'].id}"))
    assert people_on(team) == {str(company[k].id) for k in ("lead", "ada", "ivo")}


def test_the_audience_is_the_course_groups(db, client, auth, company):
    course = make_course(db, group_ids=[company["finance"].id])
    auth.as_role(Role.ADMIN)
    page = html(client.get(f"/training/reports/courses/{course.id}"))
    assert people_on(page) == {str(company["out1"].id), str(company["out2"].id)}


def test_overdue_list_and_exports_are_scoped_and_formula_safe(db, client, auth, company):
    late = make_course(db, title="Late course", questions=2, pass_mark=50,
                       due_on=utcnow().date() - timedelta(days=3))
    make_course(db, title="Not due", due_on=utcnow().date() + timedelta(days=3))
    pass_course(db, company["ada"], late)
    auth.as_role(Role.ADMIN)
    page = html(client.get("/training/reports/overdue"))
    # the six people and the admin, less Ada who passed
    assert page.count('data-testid="overdue-row"') == 6
    assert "Not due" not in page and "Late course" in page
    export = client.get("/training/reports/overdue.csv")
    assert export.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0] == ["course", "due_on", "name", "email", "manager"]
    names = {r[2] for r in rows[1:]}
    assert "'=HYPERLINK(\"http://evil.example\")" in names  # neutralised
    assert "Ada Direct" not in names
    report = client.get(f"/training/reports/courses/{late.id}/export.csv")
    lines = list(csv.DictReader(io.StringIO(report.get_data(as_text=True))))
    by_name = {r["name"]: r for r in lines}
    assert by_name["Ada Direct"]["status"] == "passed"
    assert by_name["Ada Direct"]["certificate_score"] == "100"
    assert by_name["Otto Outsider"]["status"] == "overdue"
    # the manager's export holds their team only
    auth.login(company["boss"])
    mine = client.get(f"/training/reports/courses/{late.id}/export.csv")
    names = {r["name"] for r in csv.DictReader(io.StringIO(mine.get_data(as_text=True)))}
    assert names == {"Lee Lead", "Ada Direct", "Ivo Indirect"}
    overdue = html(client.get("/training/reports/overdue"))
    assert overdue.count('data-testid="overdue-row"') == 2  # lead and ivo


def test_no_overdue_and_no_course_are_said(db, client, auth):
    auth.as_role(Role.ADMIN)
    assert 'data-testid="no-report"' in html(client.get("/training/reports"))
    assert 'data-testid="no-overdue"' in html(client.get("/training/reports/overdue"))


def test_a_curator_grants_another_attempt(db, client, auth, company):
    course = make_course(db, questions=2, max_attempts=1)
    ivo = company["ivo"]
    read_all(db, ivo, course)
    failed = learning.start_attempt(db, ivo, course)
    learning.submit_attempt(db, ivo, failed, answers_for(course, 0))
    assert learning.quiz_state(db, ivo, course).attempts_left == 0
    auth.login(company["boss"])  # managers see, but may not grant
    page = html(client.get(f"/training/reports/courses/{course.id}"))
    assert 'data-testid="grant-attempt"' not in page
    assert client.post(f"/training/reports/courses/{course.id}/people/{ivo.id}/grant"
                       ).status_code == 403
    auth.as_role(Role.CURATOR)
    page = html(client.get(f"/training/reports/courses/{course.id}"))
    assert 'data-testid="grant-attempt"' in page
    response = client.post(f"/training/reports/courses/{course.id}/people/{ivo.id}/grant")
    assert response.status_code == 303
    db.expire_all()
    progress = db.scalar(select(CourseProgress).where(CourseProgress.user_id == ivo.id))
    assert progress.extra_attempts == 1
    assert learning.quiz_state(db, ivo, course).attempts_left == 1


def test_a_translation_has_no_report_of_its_own(db, client, auth):
    from app.training import services
    from tests.factories_training import ACTOR

    course = make_course(db)
    copy = services.translate_course(db, ACTOR, course, "fr")
    auth.as_role(Role.ADMIN)
    assert client.get(f"/training/reports/courses/{copy.id}").status_code == 404
