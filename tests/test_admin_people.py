"""People administration over HTTP, as an admin would use it: the list (search, filters,
pagination, a constant number of SQL statements), the CSV export, editing a person,
deactivation and GDPR erasure."""

from __future__ import annotations

import csv
import io

import pytest
from markupsafe import escape
from sqlalchemy import event, select

from app.accounts.models import (
    AccountToken,
    GroupKind,
    Network,
    Role,
    SocialAccount,
    TokenPurpose,
    User,
    UserStatus,
)
from app.audit.models import AuditEvent
from tests.conftest import Auth
from tests.factories import GroupFactory, TopicFactory, UserFactory


def events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)))


def html(response) -> str:
    return response.get_data(as_text=True)


def table(response) -> str:
    """The rows of the page's table (not the navigation, which names the signed-in admin)."""
    page = html(response)
    if "<tbody>" not in page:
        return ""
    return page[page.index("<tbody>"):page.index("</tbody>")]


# --- the list ---------------------------------------------------------------------------


def test_people_list_shows_everyone_with_groups_and_manager(client, auth, db):
    admin = auth.as_role("admin", name="Ada Admin")
    sales = GroupFactory(name="Sales Team EMEA")
    boss = UserFactory(name="Bella Boss", email="bella@acme.test")
    UserFactory(name="Carl Clerk", email="carl@acme.test", manager=boss, groups=[sales])

    response = client.get("/admin/people")

    assert response.status_code == 200
    page = html(response)
    for text in ("Ada Admin", admin.email, "Bella Boss", "carl@acme.test", "Sales Team EMEA"):
        assert text in page
    assert "(3)" in page  # the total in the heading
    # Carl's row names his manager
    carl_row = page[page.index("carl@acme.test"):]
    assert "Bella Boss" in carl_row[:800]


def test_search_matches_name_or_email_case_insensitively(client, auth, db):
    auth.as_role("admin", name="Ada Admin")
    UserFactory(name="Zoé Zimmermann", email="zz@acme.test")
    UserFactory(name="Yann Young", email="yann.ZIMMER@other.test".lower())
    UserFactory(name="Xavier Xu", email="xx@acme.test")

    by_name = table(client.get("/admin/people?q=zimmermann"))
    assert "Zoé Zimmermann" in by_name
    assert "Xavier Xu" not in by_name and "Yann Young" not in by_name

    by_email = table(client.get("/admin/people?q=ZIMMER"))
    assert "Zoé Zimmermann" in by_email and "Yann Young" in by_email
    assert "Xavier Xu" not in by_email

    nobody = html(client.get("/admin/people?q=nobody-has-this"))
    assert "Nobody matches these filters." in nobody


def test_filters_by_role_status_and_group(client, auth, db):
    auth.as_role("admin", name="Ada Admin")
    marketing = GroupFactory(kind=GroupKind.DEPARTMENT, name="Marketing Dept")
    UserFactory(name="Manny Manager", role=Role.MANAGER, groups=[marketing])
    UserFactory(name="Ivy Invited", status=UserStatus.INVITED, password_hash=None)
    UserFactory(name="Dora Deactivated", status=UserStatus.DEACTIVATED, groups=[marketing])
    UserFactory(name="Eve Employee")

    managers = table(client.get("/admin/people?role=manager"))
    assert "Manny Manager" in managers
    assert "Eve Employee" not in managers and "Ada Admin" not in managers

    invited = table(client.get("/admin/people?status=invited"))
    assert "Ivy Invited" in invited and "Eve Employee" not in invited

    deactivated = table(client.get("/admin/people?status=deactivated"))
    assert "Dora Deactivated" in deactivated and "Manny Manager" not in deactivated

    in_group = table(client.get(f"/admin/people?group={marketing.id}"))
    assert "Manny Manager" in in_group and "Dora Deactivated" in in_group
    assert "Eve Employee" not in in_group and "Ivy Invited" not in in_group

    combined = table(client.get(f"/admin/people?group={marketing.id}&status=active"))
    assert "Manny Manager" in combined and "Dora Deactivated" not in combined

    # unknown filter values are ignored rather than failing
    everyone = client.get("/admin/people?role=overlord&status=zombie&group=abc")
    assert everyone.status_code == 200
    assert "Eve Employee" in html(everyone) and "Manny Manager" in html(everyone)


def test_pagination_splits_the_list_and_keeps_the_filters(client, auth, db, app):
    per_page = app.config["PER_PAGE"]
    auth.as_role("admin", name="Aaa Admin")
    for i in range(per_page + 5):
        UserFactory(name=f"Paged Person {i:03d}", email=f"paged{i:03d}@acme.test")

    first = html(client.get("/admin/people?q=paged"))
    assert f"({per_page + 5})" in first
    assert "Page 1 of 2" in first
    assert "Paged Person 000" in first
    assert f"Paged Person {per_page - 1:03d}" in first
    assert f"Paged Person {per_page:03d}" not in first
    assert "page=2" in first and "q=paged" in first  # the next link keeps the search

    second = html(client.get("/admin/people?q=paged&page=2"))
    assert "Page 2 of 2" in second
    assert f"Paged Person {per_page:03d}" in second
    assert f"Paged Person {per_page + 4:03d}" in second
    assert "Paged Person 000" not in second

    beyond = client.get("/admin/people?q=paged&page=99")
    assert beyond.status_code == 200
    assert "Paged Person" not in html(beyond)


class StatementCounter:
    def __init__(self, connection):
        self.connection = connection
        self.statements: list[str] = []

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        event.listen(self.connection, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.connection, "before_cursor_execute", self._count)


def _company(db, people: int, prefix: str):
    groups = [GroupFactory(name=f"{prefix} dept {i}") for i in range(3)]
    boss = UserFactory(name=f"{prefix} boss", groups=[groups[0]])
    for i in range(people - 1):
        UserFactory(name=f"Person {i:03d}", manager=boss,
                    groups=[groups[i % 3], groups[(i + 1) % 3]])
    db.flush()


def _count_list_statements(client, connection) -> tuple[int, str]:
    with StatementCounter(connection) as counter:
        response = client.get("/admin/people")
    assert response.status_code == 200
    return len(counter.statements), html(response)


def test_people_list_issues_the_same_number_of_statements_for_5_and_60_people(
        client, auth, db, connection):
    auth.as_role("admin", name="Aaa Admin")
    _company(db, 4, "small")
    small, small_page = _count_list_statements(client, connection)
    assert "(5)" in small_page

    _company(db, 55, "large")
    large, large_page = _count_list_statements(client, connection)
    assert "(60)" in large_page

    assert small == large, (small, large)
    assert small <= 12  # a handful: session, count, page, groups, managers, filter choices


def test_people_list_statement_count_on_the_engine_listener(client, auth, db, app):
    """The same check, counting on the engine as the performance budget describes."""
    auth.as_role("admin", name="Aaa Admin")
    engine = app.extensions["relais_db"].engine
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    _company(db, 4, "small")
    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get("/admin/people")
        small = len(seen)
        seen.clear()
        _company(db, 55, "large")
        seen.clear()
        client.get("/admin/people")
        large = len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert small == large and small > 0


# --- CSV export --------------------------------------------------------------------------


def _export(client, query: str = "") -> list[dict]:
    response = client.get("/admin/people/export.csv" + query)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "relais-people-" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(html(response))))


def test_export_lists_people_with_their_groups_and_manager(client, auth, db):
    auth.as_role("admin", name="Ada Admin")
    dept = GroupFactory(kind=GroupKind.DEPARTMENT, name="Finance")
    site = GroupFactory(kind=GroupKind.LOCATION, name="Lyon")
    team = GroupFactory(kind=GroupKind.TEAM, name="Tigers")
    boss = UserFactory(name="Bella Boss", email="bella@acme.test", role=Role.MANAGER)
    UserFactory(name="Carl Clerk", email="carl@acme.test", manager=boss,
                groups=[dept, site, team], language="fr", timezone="Europe/Paris")

    rows = _export(client)

    assert len(rows) == 3
    carl = next(r for r in rows if r["email"] == "carl@acme.test")
    assert carl["name"] == "Carl Clerk"
    assert carl["role"] == "employee"
    assert carl["status"] == "active"
    assert carl["manager_email"] == "bella@acme.test"
    assert (carl["department"], carl["location"], carl["team"]) == ("Finance", "Lyon", "Tigers")
    assert carl["language"] == "fr" and carl["timezone"] == "Europe/Paris"
    assert carl["created_at"]
    bella = next(r for r in rows if r["email"] == "bella@acme.test")
    assert bella["role"] == "manager" and bella["manager_email"] == ""


def test_export_follows_the_filters(client, auth, db):
    auth.as_role("admin", name="Ada Admin")
    UserFactory(name="Manny Manager", email="manny@acme.test", role=Role.MANAGER)
    UserFactory(name="Eve Employee", email="eve@acme.test")
    UserFactory(name="Ivy Invited", email="ivy@acme.test", status=UserStatus.INVITED)

    assert [r["email"] for r in _export(client, "?role=manager")] == ["manny@acme.test"]
    assert [r["email"] for r in _export(client, "?status=invited")] == ["ivy@acme.test"]
    assert [r["email"] for r in _export(client, "?q=eve")] == ["eve@acme.test"]
    # the list page links to the export with the same filters
    page = html(client.get("/admin/people?role=manager&q=man"))
    assert "/admin/people/export.csv?" in page
    export_link = page[page.index("/admin/people/export.csv"):].split('"')[0]
    assert "role=manager" in export_link and "q=man" in export_link


def test_export_neutralises_spreadsheet_formulas(client, auth, db):
    auth.as_role("admin", name="Ada Admin")
    UserFactory(name='=HYPERLINK("http://evil.test","click")', email="formula@acme.test")
    UserFactory(name="+33 1 23 45", email="plus@acme.test")
    UserFactory(name="-negative", email="minus@acme.test")
    UserFactory(name="@SUM(A1)", email="at@acme.test")
    UserFactory(name="Plain Name", email="plain@acme.test")

    by_email = {r["email"]: r["name"] for r in _export(client)}

    assert by_email["formula@acme.test"] == '\'=HYPERLINK("http://evil.test","click")'
    assert by_email["plus@acme.test"] == "'+33 1 23 45"
    assert by_email["minus@acme.test"] == "'-negative"
    assert by_email["at@acme.test"] == "'@SUM(A1)"
    assert by_email["plain@acme.test"] == "Plain Name"
    raw = html(client.get("/admin/people/export.csv"))
    assert "\n=HYPERLINK" not in raw and ",=HYPERLINK" not in raw


# --- editing a person ----------------------------------------------------------------------


def _edit(client, person, **fields):
    data = {"name": person.name, "role": person.role.value,
            "manager_id": str(person.manager_id or 0)}
    data.update(fields)
    return client.post(f"/admin/people/{person.id}", data=data)


def test_person_page_shows_the_form_and_direct_reports(client, auth, db):
    auth.as_role("admin", name="Ada Admin")
    boss = UserFactory(name="Bella Boss")
    UserFactory(name="Rita Report", manager=boss)

    response = client.get(f"/admin/people/{boss.id}")

    assert response.status_code == 200
    page = html(response)
    assert "Bella Boss" in page and boss.email in page
    assert "Direct reports" in page and "Rita Report" in page
    assert 'name="role"' in page and 'name="manager_id"' in page
    assert "Deactivate" in page and "Erase" in page


def test_unknown_person_is_404(client, auth):
    auth.as_role("admin")
    assert client.get("/admin/people/987654").status_code == 404
    assert client.post("/admin/people/987654/status", data={"active": "0"}).status_code == 404


def test_edit_role_manager_and_groups_is_saved_and_audited(client, auth, db):
    admin = auth.as_role("admin", name="Ada Admin")
    boss = UserFactory(name="Bella Boss")
    g1, g2 = GroupFactory(name="Paris"), GroupFactory(name="Brand")
    person = UserFactory(name="Carl Clerk")

    response = _edit(client, person, name="Carl C. Clerk", role="manager",
                     manager_id=str(boss.id), group_ids=[str(g1.id), str(g2.id)])

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/people/{person.id}")
    db.expire_all()
    person = db.get(User, person.id)
    assert person.name == "Carl C. Clerk"
    assert person.role == Role.MANAGER
    assert person.manager_id == boss.id
    assert {g.id for g in person.groups} == {g1.id, g2.id}
    [event_] = events(db, "user.updated")
    assert event_.actor_id == admin.id
    assert (event_.target_type, event_.target_id) == ("users", person.id)
    assert event_.details["role"] == ["employee", "manager"]
    assert event_.details["manager_id"] == [None, boss.id]
    assert event_.details["groups"] == sorted([g1.id, g2.id])
    followed = client.get(response.headers["Location"])
    assert "Changes saved." in html(followed)


def test_edit_can_clear_the_manager_and_groups(client, auth, db):
    auth.as_role("admin")
    boss = UserFactory()
    group = GroupFactory()
    person = UserFactory(manager=boss, groups=[group])

    response = _edit(client, person, manager_id="0")

    assert response.status_code == 302
    db.expire_all()
    person = db.get(User, person.id)
    assert person.manager_id is None and person.groups == []


def test_manager_cycle_is_refused_with_a_message(client, auth, db):
    auth.as_role("admin")
    top = UserFactory(name="Tess Top")
    middle = UserFactory(name="Mick Middle", manager=top)
    bottom = UserFactory(name="Bob Bottom", manager=middle)

    response = _edit(client, top, manager_id=str(bottom.id))

    assert response.status_code == 422
    assert str(escape("A person cannot report to themself or to their own reports.")) \
        in html(response)
    db.expire_all()
    assert db.get(User, top.id).manager_id is None
    assert events(db, "user.updated") == []


def test_nobody_can_report_to_themself(client, auth, db):
    auth.as_role("admin")
    person = UserFactory()
    response = _edit(client, person, manager_id=str(person.id))
    # the form does not even offer the person as their own manager
    assert response.status_code == 422
    db.expire_all()
    assert db.get(User, person.id).manager_id is None


def test_admin_cannot_remove_their_own_admin_role(client, auth, db):
    admin = auth.as_role("admin", name="Ada Admin")

    response = _edit(client, admin, role="employee")

    assert response.status_code == 422
    assert "You cannot remove your own admin role." in html(response)
    db.expire_all()
    assert db.get(User, admin.id).role == Role.ADMIN


def test_edit_with_an_empty_name_is_refused(client, auth, db):
    auth.as_role("admin")
    person = UserFactory(name="Keep Me")
    response = _edit(client, person, name="")
    assert response.status_code == 422
    db.expire_all()
    assert db.get(User, person.id).name == "Keep Me"


# --- deactivation -----------------------------------------------------------------------------


def test_deactivate_signs_the_person_out_and_reactivate_restores(client, auth, db, app):
    admin = auth.as_role("admin")
    person = UserFactory(name="Dan Doe")
    # the person has a session in another browser
    other = app.test_client()
    Auth(other, db).login(person)
    assert other.get("/").status_code == 200

    response = client.post(f"/admin/people/{person.id}/status", data={"active": "0"},
                           follow_redirects=True)

    assert response.status_code == 200
    assert "Dan Doe is deactivated and signed out everywhere." in html(response)
    db.expire_all()
    person = db.get(User, person.id)
    assert person.status == UserStatus.DEACTIVATED
    assert person.session_version == 2
    ended = other.get("/")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]
    [deactivated] = events(db, "user.deactivated")
    assert deactivated.actor_id == admin.id and deactivated.target_id == person.id

    response = client.post(f"/admin/people/{person.id}/status", data={"active": "1"},
                           follow_redirects=True)

    assert "Dan Doe is reactivated." in html(response)
    db.expire_all()
    assert db.get(User, person.id).status == UserStatus.ACTIVE
    assert len(events(db, "user.reactivated")) == 1


def test_reactivating_someone_who_never_joined_makes_them_invited_again(client, auth, db):
    auth.as_role("admin")
    person = UserFactory(status=UserStatus.DEACTIVATED, password_hash=None)
    client.post(f"/admin/people/{person.id}/status", data={"active": "1"})
    db.expire_all()
    assert db.get(User, person.id).status == UserStatus.INVITED


def test_deactivation_revokes_open_tokens(client, auth, db):
    auth.as_role("admin")
    response = client.post("/admin/invite", data={
        "mode": "one", "one-email": "tok@acme.example", "one-role": "employee",
        "one-language": "en", "one-manager_id": "0"})
    assert response.status_code == 302
    db.expire_all()
    person = db.scalar(select(User).where(User.email == "tok@acme.example"))
    client.post(f"/admin/people/{person.id}/status", data={"active": "0"})
    db.expire_all()
    tokens = list(db.scalars(select(AccountToken).where(AccountToken.user_id == person.id)))
    assert tokens and all(t.revoked_at is not None for t in tokens)


def test_admin_cannot_deactivate_themself(client, auth, db):
    admin = auth.as_role("admin")

    response = client.post(f"/admin/people/{admin.id}/status", data={"active": "0"})

    assert response.status_code == 303
    followed = client.get(response.headers["Location"])
    assert "You cannot deactivate your own account." in html(followed)
    db.expire_all()
    assert db.get(User, admin.id).status == UserStatus.ACTIVE


# --- erasure ------------------------------------------------------------------------------------


def test_erase_requires_typing_the_email(client, auth, db):
    auth.as_role("admin")
    person = UserFactory(name="Erin Erase", email="erin@acme.test")

    for typed in ("", "someone@else.test", "erin@acme"):
        response = client.post(f"/admin/people/{person.id}/erase",
                               data={"confirm_email": typed})
        assert response.status_code == 303
    followed = client.get(f"/admin/people/{person.id}")
    assert "Type the person&#39;s email address to confirm the erasure." in html(followed)
    db.expire_all()
    person = db.get(User, person.id)
    assert person.email == "erin@acme.test" and person.erased_at is None
    assert events(db, "user.erased") == []


def test_erase_anonymises_and_keeps_the_row(client, auth, db):
    admin = auth.as_role("admin")
    group = GroupFactory(name="Kept Group")
    topic = TopicFactory()
    person = UserFactory(name="Erin Erase", email="erin@acme.test", groups=[group],
                         topics=[topic], timezone="Europe/Paris")
    report = UserFactory(manager=person)
    db.add(SocialAccount(user=person, network=Network.LINKEDIN, handle="erin-li"))
    db.add(SocialAccount(user=person, network=Network.X, handle="@erin"))
    db.add(AccountToken(user=person, purpose=TokenPurpose.RESET, token_hash="a" * 64,
                        expires_at=person.created_at))
    db.flush()
    person_id = person.id

    response = client.post(f"/admin/people/{person_id}/erase",
                           data={"confirm_email": "  ERIN@acme.test "})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/people")
    db.expire_all()
    erased = db.get(User, person_id)
    assert erased is not None  # the row stays, for aggregate numbers
    assert erased.email == f"erased-{person_id}@erased.invalid"
    assert erased.name == f"Erased person #{person_id}"
    assert "Erin" not in erased.name
    assert erased.status == UserStatus.DEACTIVATED
    assert erased.password_hash is None
    assert erased.erased_at is not None
    assert erased.timezone == "UTC"
    assert erased.topics == []
    assert [g.id for g in erased.groups] == [group.id]  # group links stay
    assert db.scalars(select(SocialAccount).where(SocialAccount.user_id == person_id)).all() == []
    assert db.scalars(select(AccountToken).where(AccountToken.user_id == person_id)).all() == []
    assert db.get(User, report.id).manager_id is None
    [erased_event] = events(db, "user.erased")
    assert erased_event.actor_id == admin.id and erased_event.target_id == person_id
    assert "erin@acme.test" not in str(erased_event.details)
    # the list no longer shows the old name or address
    page = html(client.get("/admin/people"))
    assert "erin@acme.test" not in page and "Erin Erase" not in page
    # the person page says so and offers no form anymore
    person_page = html(client.get(f"/admin/people/{person_id}"))
    assert "personal data was erased" in person_page
    assert 'name="confirm_email"' not in person_page


def test_erasing_twice_is_refused(client, auth, db):
    auth.as_role("admin")
    person = UserFactory(email="twice@acme.test")
    client.post(f"/admin/people/{person.id}/erase", data={"confirm_email": "twice@acme.test"})
    again = client.post(f"/admin/people/{person.id}/erase",
                        data={"confirm_email": f"erased-{person.id}@erased.invalid"})
    assert again.status_code == 303
    assert "already erased" in html(client.get(again.headers["Location"]))
    assert len(events(db, "user.erased")) == 1


def test_admin_cannot_erase_themself(client, auth, db):
    admin = auth.as_role("admin", email="me@acme.test")

    response = client.post(f"/admin/people/{admin.id}/erase",
                           data={"confirm_email": "me@acme.test"})

    assert response.status_code == 303
    assert "You cannot erase your own account." in html(client.get(response.headers["Location"]))
    db.expire_all()
    me = db.get(User, admin.id)
    assert me.email == "me@acme.test" and me.erased_at is None


@pytest.mark.parametrize("role", ["employee", "manager", "curator"])
def test_people_pages_are_for_admins_only(client, auth, db, role):
    auth.as_role(role)
    person = UserFactory()
    assert client.get("/admin/people").status_code == 403
    assert client.get("/admin/people/export.csv").status_code == 403
    assert client.post(f"/admin/people/{person.id}", data={"name": "x", "role": "admin",
                                                          "manager_id": "0"}).status_code == 403
    db.expire_all()
    assert db.get(User, person.id).role == Role.EMPLOYEE
