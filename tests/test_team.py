"""The manager's team page: direct and indirect reports only, never another team."""

from __future__ import annotations

import pytest

from app.accounts.models import Role, UserStatus
from app.db import utcnow
from tests.factories import UserFactory


def html(response) -> str:
    return response.get_data(as_text=True)


def table(response) -> str:
    page = html(response)
    return page[page.index("<tbody>"):page.index("</tbody>")] if "<tbody>" in page else ""


@pytest.fixture
def company(db):
    """ceo → (mia: manager → (dan → (ivy), eli)), (otto: manager → (pat))"""
    ceo = UserFactory(name="Cleo Ceo", role=Role.ADMIN)
    mia = UserFactory(name="Mia Manager", role=Role.MANAGER, manager=ceo)
    dan = UserFactory(name="Dan Direct", role=Role.MANAGER, manager=mia)
    eli = UserFactory(name="Eli Direct", manager=mia, status=UserStatus.INVITED,
                      accepted_policy_version=None)
    ivy = UserFactory(name="Ivy Indirect", manager=dan, accepted_policy_version=3)
    otto = UserFactory(name="Otto Other", role=Role.MANAGER, manager=ceo)
    pat = UserFactory(name="Pat Peer", manager=otto)
    UserFactory(name="Lone Wolf")
    return dict(ceo=ceo, mia=mia, dan=dan, eli=eli, ivy=ivy, otto=otto, pat=pat)


def test_manager_sees_direct_and_indirect_reports_only(client, auth, company):
    auth.login(company["mia"])

    response = client.get("/team")

    assert response.status_code == 200
    rows = table(response)
    for name in ("Dan Direct", "Eli Direct", "Ivy Indirect"):
        assert name in rows
    for name in ("Otto Other", "Pat Peer", "Cleo Ceo", "Lone Wolf"):
        assert name not in rows
    assert "(3)" in html(response)
    # who each person reports to, their status and the policy version they accepted
    ivy_row = rows[rows.index("Ivy Indirect"):]
    ivy_row = ivy_row[:ivy_row.index("</tr>")]
    assert "Dan Direct" in ivy_row and "version 3" in ivy_row
    eli_row = rows[rows.index("Eli Direct"):]
    eli_row = eli_row[:eli_row.index("</tr>")]
    assert "invited" in eli_row and "not accepted" in eli_row


def test_a_manager_lower_in_the_tree_sees_only_their_branch(client, auth, company):
    auth.login(company["dan"])
    rows = table(client.get("/team"))
    assert "Ivy Indirect" in rows
    assert "Eli Direct" not in rows and "Mia Manager" not in rows and "Pat Peer" not in rows


def test_the_other_manager_sees_their_own_team(client, auth, company):
    auth.login(company["otto"])
    rows = table(client.get("/team"))
    assert "Pat Peer" in rows
    assert "Ivy Indirect" not in rows and "Dan Direct" not in rows


def test_the_top_of_the_tree_sees_everyone_below(client, auth, company):
    auth.login(company["ceo"])
    rows = table(client.get("/team"))
    for name in ("Mia Manager", "Dan Direct", "Eli Direct", "Ivy Indirect", "Otto Other",
                 "Pat Peer"):
        assert name in rows
    assert "Lone Wolf" not in rows


def test_erased_reports_are_not_listed(client, auth, db, company):
    company["ivy"].erased_at = utcnow()
    db.flush()
    auth.login(company["dan"])
    response = client.get("/team")
    assert "Ivy Indirect" not in table(response)
    assert "Nobody reports to you in Relais yet." in html(response)


def test_manager_without_reports_sees_an_empty_state(client, auth):
    auth.as_role("manager")
    response = client.get("/team")
    assert response.status_code == 200
    assert "Nobody reports to you in Relais yet." in html(response)


def test_team_page_paginates(client, auth, db, app):
    boss = auth.as_role("manager")
    per_page = app.config["PER_PAGE"]
    for i in range(per_page + 2):
        UserFactory(name=f"Report {i:03d}", manager=boss)
    first = client.get("/team")
    second = client.get("/team?page=2")
    assert "Page 1 of 2" in html(first) and "Page 2 of 2" in html(second)
    assert "Report 000" in table(first) and f"Report {per_page:03d}" not in table(first)
    assert f"Report {per_page + 1:03d}" in table(second)


def test_employee_gets_403(client, auth, db):
    employee = auth.as_role("employee")
    UserFactory(name="Would Be Report", manager=employee)
    response = client.get("/team")
    assert response.status_code == 403
    assert "Would Be Report" not in html(response)


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/team")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
