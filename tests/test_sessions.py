"""Server-side sessions (app/accounts/sessions.py, docs/accounts.md "Sessions"): logging
out ends the session for every copy of its cookies, absolute and idle lifetimes, the
person's "Where you are signed in" list, "sign out everywhere else", the admin's "end all
sessions", password change and deactivation, single sign-on, the data export and erasure,
the prune job, and the cost per request (no extra statement, no write per request)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import event, select

from app.accounts import sessions
from app.accounts.models import Role, User, UserSession, UserStatus
from app.audit.models import AuditEvent
from app.common.actor import Actor
from app.db import utcnow
from app.jobs.models import JobStatus
from app.jobs.runner import run_job
from tests import factories
from tests.conftest import Auth
from tests.factories import PASSWORD
from tests.factories_sso import company, sign_in
from tests.fake_idp import fake_idp_server, idp  # noqa: F401

FIREFOX_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 "
                   "Firefox/126.0")
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.fixture
def app_overrides(request):
    # the single sign-on test needs the fake provider; tests parametrize the others
    if "idp" in request.fixturenames:
        return request.getfixturevalue("idp").config()
    return {}


def login(client, email, *, remember=False, user_agent=FIREFOX_WINDOWS):
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data, headers={"User-Agent": user_agent})
    assert response.status_code == 302 and path_of(response) == "/", response.status_code
    return response


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def signed_in(client) -> bool:
    """GET /profile: 200 when signed in, a redirect to the sign-in page when not."""
    response = client.get("/profile")
    if response.status_code == 302:
        assert path_of(response) == "/login"
        return False
    assert response.status_code == 200
    return True


def copy_of(app, client, *names):
    """Another browser holding copies of ``client``'s cookies (a stolen cookie)."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def rows(db, user) -> list[UserSession]:
    db.expire_all()
    return list(db.scalars(select(UserSession).where(UserSession.user_id == user.id)
                           .order_by(UserSession.id)))


def computer_and_phone(app, client, db, email):
    """A person signed in with ``client`` (Firefox on Windows) and on a phone."""
    user = factories.UserFactory(email=email)
    phone = app.test_client()
    login(client, email)
    login(phone, email, user_agent=SAFARI_IPHONE)
    computer, mobile = rows(db, user)
    return user, phone, computer, mobile


def live(db, user) -> list[UserSession]:
    now = utcnow()
    return [r for r in rows(db, user) if r.revoked_at is None and r.expires_at > now]


def events(db, action, user=None) -> list[AuditEvent]:
    db.expire_all()
    stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if user is not None:
        stmt = stmt.where(AuditEvent.target_type == "users", AuditEvent.target_id == user.id)
    return list(db.scalars(stmt))


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


# --- logout ends the session for every copy of the cookies (docs/security.md, 7.4.1) ------


def test_a_session_cookie_copied_before_logout_is_refused_after_logout(app, client, db):
    """The probe of docs/security.md: sign in, copy the session cookie, POST /logout,
    replay the cookie on GET /profile from another client."""
    user = factories.UserFactory(email="ana@acme.test")
    login(client, "ana@acme.test")
    thief = copy_of(app, client, "session")
    assert signed_in(thief)  # the copy works while the session lives

    response = client.post("/logout")
    assert response.status_code == 302 and path_of(response) == "/login"

    response = thief.get("/profile")
    assert response.status_code == 302 and path_of(response) == "/login"
    [row] = rows(db, user)
    assert row.revoked_at is not None
    assert len(events(db, "auth.logout", user)) == 1


def test_a_remember_me_cookie_copied_before_logout_is_refused_after_logout(app, client, db):
    user = factories.UserFactory(email="ben@acme.test")
    login(client, "ben@acme.test", remember=True)
    thief = copy_of(app, client, "remember_token")
    assert signed_in(thief)  # the remember cookie alone signs back in to the same session
    assert len(rows(db, user)) == 1

    client.post("/logout")

    assert not signed_in(thief)
    both = copy_of(app, thief, "remember_token")
    assert not signed_in(both)


def test_logging_out_ends_only_that_browser(app, client, db):
    _user, phone, _computer, _mobile = computer_and_phone(app, client, db, "cleo@acme.test")
    client.post("/logout")
    assert not signed_in(client)
    assert signed_in(phone)


def test_cookies_without_a_live_session_are_refused(app, client, db):
    """What the loader accepts: this person's own, current token, nothing less."""
    me = factories.UserFactory()
    other = factories.UserFactory()
    auth = Auth(client, db)
    auth.login(me)
    assert signed_in(client)
    my_token = me.session_token

    forged = {
        "no token (the format before server-side sessions)": f"{me.id}:{me.session_version}",
        "empty token": f"{me.id}:{me.session_version}:",
        "unknown token": f"{me.id}:{me.session_version}:{'x' * 43}",
        "someone else's id with my token": f"{other.id}:{other.session_version}:{my_token}",
        "an older session_version": f"{me.id}:{me.session_version - 1}:{my_token}",
        "a huge token": f"{me.id}:{me.session_version}:{'x' * 5000}",
        "not numbers": f"me:1:{my_token}",
    }
    for name, value in forged.items():
        browser = app.test_client()
        with browser.session_transaction() as session:
            session["_user_id"] = value
        assert not signed_in(browser), name


# --- lifetimes ----------------------------------------------------------------------------


def test_the_default_absolute_lifetime_is_thirty_days(app):
    assert app.config["SESSION_ABSOLUTE_HOURS"] == 24 * 30
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)


@pytest.mark.parametrize("app_overrides", [{"SESSION_ABSOLUTE_HOURS": 48}])
@pytest.mark.parametrize("remember", [True, False], ids=["remembered", "not-remembered"])
def test_an_active_session_still_ends_at_its_absolute_lifetime(app, client, db, remember):
    user = factories.UserFactory(email="dora@acme.test")
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client, "dora@acme.test", remember=remember)
    thief = copy_of(app, client, "session")
    # a request every 11 hours: never idle, so only the absolute lifetime can end it
    for hours in range(11, 48, 11):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            assert signed_in(client), hours
    with time_machine.travel(start + timedelta(hours=48, minutes=1), tick=False):
        assert not signed_in(client)
        assert not signed_in(thief)
        if remember:
            assert not signed_in(copy_of(app, client, "remember_token"))
    [row] = rows(db, user)
    assert row.expires_at == start + timedelta(hours=48)
    assert row.revoked_at is None  # expired, not revoked: the prune job takes it later


def test_without_keep_me_signed_in_the_session_ends_after_12_idle_hours(app, client, db):
    factories.UserFactory(email="emil@acme.test")
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client, "emil@acme.test")
    with time_machine.travel(start + timedelta(hours=11), tick=False):
        assert signed_in(client)  # moves the idle deadline to 11 h + 12 h
    with time_machine.travel(start + timedelta(hours=22), tick=False):
        assert signed_in(client)
    with time_machine.travel(start + timedelta(hours=34, minutes=1), tick=False):
        assert not signed_in(client)


def test_keep_me_signed_in_survives_idle_hours_through_the_remember_cookie(app, client, db):
    factories.UserFactory(email="fay@acme.test")
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client, "fay@acme.test", remember=True)
    with time_machine.travel(start + timedelta(days=3), tick=False):
        assert signed_in(client)


def test_the_idle_deadline_moves_only_when_last_seen_is_written(app, db):
    policy = sessions.SessionPolicy(absolute=timedelta(hours=48), idle=timedelta(hours=12))
    user = factories.UserFactory()
    start = utcnow()
    token = sessions.start(db, user, Actor(user.id), remember=False, policy=policy, now=start)
    [row] = rows(db, user)
    assert row.expires_at == start + timedelta(hours=12)

    def load(at):
        return sessions.load(db, user.id, user.session_version, token, policy, at)

    assert load(start + timedelta(minutes=4)) is not None
    assert rows(db, user)[0].last_seen_at == start  # within TOUCH_INTERVAL: no write
    seen = start + timedelta(minutes=5)
    assert load(seen) is not None
    [row] = rows(db, user)
    assert (row.last_seen_at, row.expires_at) == (seen, seen + timedelta(hours=12))
    # never past the absolute lifetime
    late = start + timedelta(hours=40)
    for hours in range(11, 41, 11):
        assert load(start + timedelta(hours=hours)) is not None
    assert load(late) is not None
    assert rows(db, user)[0].expires_at == start + timedelta(hours=48)
    assert load(start + timedelta(hours=48)) is None


# --- the person's list --------------------------------------------------------------------


def test_the_profile_lists_where_you_are_signed_in_and_marks_this_device(app, client, db):
    user, _phone, computer, mobile = computer_and_phone(app, client, db, "gus@acme.test")

    page = client.get("/profile")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Where you are signed in" in html
    entries = re.findall(r'data-testid="session-(\d+)"(.*?)</li>', html, re.S)
    assert [int(session_id) for session_id, _ in entries] == [mobile.id, computer.id]
    by_id = {int(session_id): " ".join(body.split()) for session_id, body in entries}
    assert "Firefox on Windows" in by_id[computer.id] and "This device" in by_id[computer.id]
    assert "Safari on iOS" in by_id[mobile.id] and "This device" not in by_id[mobile.id]
    assert "127.0.0.1" in by_id[mobile.id]
    # a sign-out button for the other one only, and "everywhere else"
    assert f"/profile/sessions/{mobile.id}/revoke" in html
    assert f"/profile/sessions/{computer.id}/revoke" not in html
    assert "/profile/sessions/revoke-others" in html
    assert rows(db, user)[1].user_agent == SAFARI_IPHONE


def test_signing_out_one_session_from_the_list(app, client, db):
    user, phone, _computer, mobile = computer_and_phone(app, client, db, "hana@acme.test")

    response = client.post(f"/profile/sessions/{mobile.id}/revoke")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/profile#sessions")
    assert "That session is signed out." in text(client.get(response.headers["Location"]))
    assert not signed_in(phone)
    assert signed_in(client)
    [event_] = events(db, "auth.session_revoked", user)
    assert event_.actor_id == user.id and event_.details == {"session_id": mobile.id}
    # a second time: it has already ended
    assert client.post(f"/profile/sessions/{mobile.id}/revoke").status_code == 404


def test_signing_out_this_device_from_the_list_signs_out(client, db):
    user = factories.UserFactory(email="ines@acme.test")
    login(client, "ines@acme.test", remember=True)
    [row] = rows(db, user)
    response = client.post(f"/profile/sessions/{row.id}/revoke")
    assert response.status_code == 302 and path_of(response) == "/login"
    assert client.get_cookie("remember_token") is None
    assert not signed_in(client)


def test_someone_elses_session_is_not_found_and_keeps_working(app, client, db):
    victim = factories.UserFactory(email="jo@acme.test")
    victim_browser = app.test_client()
    login(victim_browser, "jo@acme.test")
    [row] = rows(db, victim)
    Auth(client, db).as_role(Role.ADMIN)  # not even an admin, through the person's page

    assert client.post(f"/profile/sessions/{row.id}/revoke").status_code == 404
    assert signed_in(victim_browser)
    assert events(db, "auth.session_revoked") == []


def test_sign_out_everywhere_else_keeps_the_current_session(app, client, db):
    user = factories.UserFactory(email="kai@acme.test")
    others = [app.test_client(), app.test_client()]
    login(client, "kai@acme.test")
    login(others[0], "kai@acme.test", user_agent=SAFARI_IPHONE)
    login(others[1], "kai@acme.test", remember=True)
    stolen = copy_of(app, others[1], "remember_token")

    response = client.post("/profile/sessions/revoke-others")

    assert response.status_code == 302
    assert "2 other sessions are signed out." in text(client.get("/profile"))
    assert signed_in(client)
    assert not any(signed_in(other) for other in others)
    assert not signed_in(stolen)
    [current] = live(db, user)
    assert current.user_agent == FIREFOX_WINDOWS
    [event_] = events(db, "auth.sessions_revoked", user)
    assert event_.details == {"count": 2}

    client.post("/profile/sessions/revoke-others")
    assert "You were not signed in anywhere else." in text(client.get("/profile"))


def test_session_actions_need_a_signed_in_person_and_a_post(client, auth, db):
    assert path_of(client.post("/profile/sessions/revoke-others")) == "/login"
    assert path_of(client.post("/profile/sessions/1/revoke")) == "/login"
    auth.as_role(Role.EMPLOYEE)
    assert client.get("/profile/sessions/revoke-others").status_code == 405


def test_session_actions_need_the_csrf_token(csrf_app, db):
    user = factories.UserFactory()
    browser = csrf_app.test_client()
    Auth(browser, db).login(user)
    other = csrf_app.test_client()
    Auth(other, db).login(user)
    assert browser.post("/profile/sessions/revoke-others").status_code == 400
    assert signed_in(other)


# --- the admin's "end all sessions" -------------------------------------------------------


def test_an_admin_ends_all_sessions_of_a_person(app, client, db):
    person = factories.UserFactory(email="lea@acme.test", name="Lea Lind")
    browsers = [app.test_client(), app.test_client()]
    login(browsers[0], "lea@acme.test")
    login(browsers[1], "lea@acme.test", remember=True)
    stolen = copy_of(app, browsers[1], "remember_token")
    admin = Auth(client, db).as_role(Role.ADMIN)
    page = client.get(f"/admin/people/{person.id}")
    assert f"/admin/people/{person.id}/sessions/end" in page.get_data(as_text=True)

    response = client.post(f"/admin/people/{person.id}/sessions/end")

    assert response.status_code == 302 and path_of(response) == f"/admin/people/{person.id}"
    assert "Lea Lind is signed out of 2 sessions." in text(client.get(path_of(response)))
    assert not any(signed_in(b) for b in browsers)
    assert not signed_in(stolen)
    assert live(db, person) == []
    [event_] = events(db, "user.sessions_ended", person)
    assert event_.actor_id == admin.id and event_.details == {"count": 2}
    db.expire_all()
    assert db.get(User, person.id).status == UserStatus.ACTIVE  # they may sign in again
    login(browsers[0], "lea@acme.test")
    assert signed_in(browsers[0])


@pytest.mark.parametrize("role", [None, Role.EMPLOYEE, Role.MANAGER, Role.CURATOR])
def test_only_admins_end_someone_elses_sessions(app, client, db, role):
    person = factories.UserFactory(email="max@acme.test")
    browser = app.test_client()
    login(browser, "max@acme.test")
    Auth(client, db).as_role(role)
    response = client.post(f"/admin/people/{person.id}/sessions/end")
    assert response.status_code == (302 if role is None else 403)
    assert signed_in(browser)


def test_ending_the_sessions_of_nobody_is_not_found(client, auth):
    auth.as_role(Role.ADMIN)
    assert client.post("/admin/people/999999/sessions/end").status_code == 404


# --- credentials and account changes ------------------------------------------------------


def test_a_password_change_ends_the_other_sessions_and_keeps_this_browser(app, client, db):
    user = factories.UserFactory(email="nils@acme.test")
    other = app.test_client()
    login(client, "nils@acme.test")
    login(other, "nils@acme.test", remember=True)
    before = {r.id for r in rows(db, user)}

    new_password = "a brand new passphrase"
    response = client.post("/profile/password", data={
        "current_password": PASSWORD, "password": new_password, "confirm": new_password})

    assert response.status_code == 302
    assert signed_in(client)
    assert not signed_in(other)
    assert not signed_in(copy_of(app, other, "remember_token"))
    # this browser goes on with a brand-new session; every earlier one is revoked
    [current] = live(db, user)
    assert current.id not in before
    assert all(r.revoked_at is not None for r in rows(db, user) if r.id in before)


def test_deactivation_revokes_every_session(app, client, db):
    person = factories.UserFactory(email="olga@acme.test")
    browser = app.test_client()
    login(browser, "olga@acme.test", remember=True)
    Auth(client, db).as_role(Role.ADMIN)
    client.post(f"/admin/people/{person.id}/status", data={"active": "0"})
    assert not signed_in(browser)
    assert live(db, person) == []


def test_erasure_deletes_the_sessions_and_the_export_lists_them(app, client, db):
    person = factories.UserFactory(email="pia@acme.test")
    browser = app.test_client()
    login(browser, "pia@acme.test", user_agent=SAFARI_IPHONE)
    export = browser.get("/profile/export.json").get_json()
    [exported] = export["sessions"]
    assert exported["user_agent"] == SAFARI_IPHONE and exported["ip"] == "127.0.0.1"
    assert exported["revoked_at"] is None and exported["remember"] is False
    assert "token_hash" not in exported and not any(
        r.token_hash in str(export) for r in rows(db, person))

    Auth(client, db).as_role(Role.ADMIN)
    response = client.post(f"/admin/people/{person.id}/erase",
                           data={"confirm_email": "pia@acme.test"})
    assert response.status_code == 302
    assert rows(db, person) == []
    assert not signed_in(browser)


def test_single_sign_on_starts_a_server_side_session_too(app, client, db, idp):  # noqa: F811
    company(db)  # the allowed domain and groups the fake provider's person belongs to
    assert sign_in(client, idp).status_code == 302
    user = db.scalar(select(User).where(User.email == "ada@acme.example"))
    [row] = rows(db, user)
    assert row.remember is False and row.revoked_at is None
    thief = copy_of(app, client, "session")
    assert signed_in(thief)
    client.post("/logout")
    assert not signed_in(thief)


# --- cost per request ---------------------------------------------------------------------


def test_the_session_check_costs_no_extra_statement_and_no_write_per_request(
        app, client, db, connection):
    """The old loader read the user (one statement); the new one reads the session row with
    its user in that same one statement, and writes last_seen_at every few minutes only."""
    user = factories.UserFactory(email="rui@acme.test")
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client, "rui@acme.test")

    def statements(at) -> list[str]:
        seen: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(" ".join(statement.split()))

        event.listen(connection, "before_cursor_execute", count)
        try:
            with time_machine.travel(at, tick=False):
                assert client.get("/profile").status_code == 200
        finally:
            event.remove(connection, "before_cursor_execute", count)
        return seen

    def about_sessions(found: list[str]) -> list[str]:
        return [s for s in found if "user_sessions" in s and "SAVEPOINT" not in s]

    first = statements(start + timedelta(minutes=1))
    second = statements(start + timedelta(minutes=2))
    # the profile page lists the sessions (one more select); the loader is the other one
    loader = [s for s in about_sessions(first) if "JOIN users" in s]
    assert len(loader) == 1 and loader[0].startswith("SELECT")
    assert not [s for s in first if s.startswith("SELECT") and "FROM users WHERE users.id" in s]
    assert len(about_sessions(first)) == 2
    assert not [s for s in about_sessions(first) if s.startswith("UPDATE")]
    assert len(second) == len(first)

    touched = statements(start + timedelta(minutes=7))
    updates = [s for s in about_sessions(touched) if s.startswith("UPDATE")]
    assert len(updates) == 1
    assert len([s for s in touched if "SAVEPOINT" not in s]) == len(
        [s for s in first if "SAVEPOINT" not in s]) + 1
    assert rows(db, user)[0].last_seen_at == start + timedelta(minutes=7)
    assert len(statements(start + timedelta(minutes=8))) == len(first)


# --- prune job ------------------------------------------------------------------------------


def test_the_prune_job_deletes_sessions_ended_more_than_30_days_ago(app, db):
    user = factories.UserFactory()
    now = utcnow()
    day = timedelta(days=1)

    def session_row(name, *, expires_at, revoked_at=None):
        return UserSession(user_id=user.id, token_hash=sessions._digest(name),
                           created_at=expires_at - 30 * day, last_seen_at=expires_at - 30 * day,
                           expires_at=expires_at, revoked_at=revoked_at, user_agent=name)

    db.add_all([
        session_row("expired 31 days ago", expires_at=now - 31 * day),
        session_row("revoked 31 days ago", expires_at=now + day, revoked_at=now - 31 * day),
        session_row("expired 29 days ago", expires_at=now - 29 * day),
        session_row("revoked 29 days ago", expires_at=now - 20 * day, revoked_at=now - 29 * day),
        session_row("live", expires_at=now + day),
    ])
    db.flush()

    with time_machine.travel(now, tick=False):
        first = run_job(app, "accounts.prune")
        kept = [r.user_agent for r in rows(db, user)]
        second = run_job(app, "accounts.prune")

    assert first.status == JobStatus.OK, first.error
    assert first.summary["sessions_deleted"] == 2
    assert second.summary["sessions_deleted"] == 0
    assert kept == ["expired 29 days ago", "revoked 29 days ago", "live"]
    assert [r.user_agent for r in rows(db, user)] == kept


# --- device names ---------------------------------------------------------------------------


@pytest.mark.parametrize(("user_agent", "expected"), [
    (FIREFOX_WINDOWS, "Firefox on Windows"),
    (SAFARI_IPHONE, "Safari on iOS"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/125.0.0.0 Safari/537.36", "Chrome on macOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.67", "Edge on Windows"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/125.0.6422.113 Mobile Safari/537.36", "Chrome on Android"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
     "Firefox on Linux"),
    ("curl/8.5.0", "Unknown device"),
    ("", "Unknown device"),
])
def test_device_summary(app, user_agent, expected):
    with app.test_request_context():
        assert sessions.device_summary(user_agent) == expected


def test_an_admin_session_ends_after_two_idle_hours_even_when_kept(app, client, db):
    """ASVS 7.3.1: the most privileged sessions get the shortest inactivity timeout; "keep
    me signed in" does not lift it for them (docs/accounts.md "Sessions")."""
    factories.UserFactory(email="ada@acme.test", role=Role.ADMIN)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client, "ada@acme.test", remember=True)
    with time_machine.travel(start + timedelta(minutes=110), tick=False):
        assert signed_in(client)  # activity moves the deadline
    with time_machine.travel(start + timedelta(minutes=220), tick=False):
        assert signed_in(client)
    with time_machine.travel(start + timedelta(minutes=341), tick=False):
        assert not signed_in(client)  # 2 h 1 min without a request: the cookie is refused


def test_a_promotion_to_admin_shortens_the_running_session(app, client, db):
    person = factories.UserFactory(email="pro@acme.test")
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client, "pro@acme.test", remember=True)
    person.role = Role.ADMIN
    db.flush()
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert signed_in(client)  # touched as an admin now
    with time_machine.travel(start + timedelta(minutes=131), tick=False):
        assert not signed_in(client)
