"""Sign-in and sign-out through HTTP (DESIGN.md "Security"): generic failure messages,
the failed-login lock, audit events, safe ``next``, remember-me, a new session at login,
logout by POST only, the login rate limit, and sessions ending on deactivation and on a
password change."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote, urlsplit

import pytest
import time_machine
from sqlalchemy import select

from app.accounts.models import LoginThrottle, Role, UserStatus
from app.audit.models import AuditEvent
from app.db import utcnow
from tests import factories
from tests.conftest import Auth
from tests.factories import PASSWORD

GENERIC_FAILURE = "Wrong email or password, or the account cannot sign in."


def login(client, email, password=PASSWORD, *, next=None, remember=False, **kwargs):
    url = "/login" if next is None else f"/login?next={quote(next, safe='')}"
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post(url, data=data, **kwargs)


def alerts(response) -> list[str]:
    """The flashed messages shown on a page, whitespace-normalised."""
    html = response.get_data(as_text=True)
    found = re.findall(r'<div class="alert alert-(\w+)[^"]*" role="alert">(.*?)<button', html,
                       re.S)
    return [f"{kind}: {' '.join(text.split())}" for kind, text in found]


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def is_signed_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200


def events(db, action, user=None):
    db.expire_all()
    stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if user is not None:
        stmt = stmt.where(AuditEvent.target_type == "users", AuditEvent.target_id == user.id)
    return list(db.scalars(stmt))


# --- success ---------------------------------------------------------------------------


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html
    assert 'name="remember"' in html


def test_login_redirects_to_portal_and_signs_in(client, db):
    user = factories.UserFactory(email="ana@acme.test")
    response = login(client, "ana@acme.test")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert user.name in home.get_data(as_text=True)
    db.expire_all()
    assert user.last_login_at is not None
    assert user.failed_logins == 0


def test_login_email_is_case_and_space_insensitive(client, db):
    factories.UserFactory(email="bruno@acme.test")
    response = login(client, "  Bruno@ACME.test ")
    assert response.status_code == 302
    assert is_signed_in(client)


def test_login_with_an_unaccepted_policy_goes_to_the_policy_page(client, db):
    factories.PolicyFactory()
    factories.UserFactory(email="carla@acme.test")
    response = login(client, "carla@acme.test", follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == "/policy"
    assert response.request.args.get("next") == "/"
    assert "Please read and accept the policy" in response.get_data(as_text=True)


def test_login_when_already_signed_in_goes_to_the_portal(client, auth):
    auth.as_role(Role.EMPLOYEE)
    response = client.get("/login")
    assert response.status_code == 302
    assert path_of(response) == "/"


def test_successful_login_is_audited_and_resets_the_failure_counter(client, db):
    user = factories.UserFactory(email="dan@acme.test", failed_logins=3)
    assert login(client, "dan@acme.test").status_code == 302
    (event,) = events(db, "auth.login", user)
    assert event.ip == "127.0.0.1"
    db.expire_all()
    assert user.failed_logins == 0


# --- failures all look the same --------------------------------------------------------


def test_wrong_password_and_unknown_email_look_the_same(client, db):
    factories.UserFactory(email="eve@acme.test")
    wrong = login(client, "eve@acme.test", "not the password at all")
    unknown = login(client, "nobody@acme.test", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert alerts(wrong) == alerts(unknown) == [f"danger: {GENERIC_FAILURE}"]
    assert not is_signed_in(client)


@pytest.mark.parametrize("status", [UserStatus.DEACTIVATED, UserStatus.INVITED])
def test_inactive_accounts_cannot_sign_in_even_with_the_right_password(client, db, status):
    user = factories.UserFactory(email="frank@acme.test", status=status)
    response = login(client, "frank@acme.test")
    assert response.status_code == 200
    assert alerts(response) == [f"danger: {GENERIC_FAILURE}"]
    assert not is_signed_in(client)
    (event,) = events(db, "auth.login_failed", user)
    assert event.details["reason"] == f"status_{status.value}"


def test_failed_logins_are_audited_with_a_reason(client, db):
    user = factories.UserFactory(email="gina@acme.test")
    login(client, "gina@acme.test", "wrong password here")
    login(client, "ghost@acme.test", "wrong password here")
    failed = events(db, "auth.login_failed")
    reasons = [(e.target_id, e.details.get("reason")) for e in failed]
    assert reasons == [(user.id, "bad_password"), (None, "unknown_email")]
    assert events(db, "auth.login") == []


def test_empty_form_is_rejected_with_422(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)


# --- the failed-login lock -------------------------------------------------------------


def throttle(db, user, address="127.0.0.1"):
    db.expire_all()
    return db.get(LoginThrottle, (user.id, address))


def test_failures_count_up_then_lock_the_account_for_that_address(app, client, db):
    max_failures = app.config["LOGIN_MAX_FAILURES"]
    user = factories.UserFactory(email="hugo@acme.test")
    for attempt in range(1, max_failures):
        assert login(client, "hugo@acme.test", "wrong password here").status_code == 200
        assert throttle(db, user).failures == attempt  # (expires the session's objects)
        assert throttle(db, user).locked_until is None
        assert user.failed_logins == attempt

    start = utcnow()
    response = login(client, "hugo@acme.test", "wrong password here")
    assert alerts(response) == [f"danger: {GENERIC_FAILURE}"]
    lock = timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"])
    locked_until = throttle(db, user).locked_until
    assert locked_until is not None
    assert start + lock - timedelta(seconds=5) <= locked_until <= utcnow() + lock
    assert events(db, "auth.login_failed", user)[-1].details["reason"] == "bad_password_locked"

    # even the right password fails, with the same message, while the lock lasts
    response = login(client, "hugo@acme.test")
    assert response.status_code == 200
    assert alerts(response) == [f"danger: {GENERIC_FAILURE}"]
    assert not is_signed_in(client)
    assert events(db, "auth.login_failed", user)[-1].details["reason"] == "locked"

    with time_machine.travel(locked_until - timedelta(seconds=30)):
        assert login(client, "hugo@acme.test").status_code == 200
        assert not is_signed_in(client)

    with time_machine.travel(locked_until + timedelta(seconds=1)):
        response = login(client, "hugo@acme.test")
        assert response.status_code == 302
        assert is_signed_in(client)
    assert throttle(db, user) is None  # this address starts again from 0
    assert user.failed_logins == 0


def test_someone_failing_elsewhere_cannot_lock_the_person_out(app, client, db):
    """ASVS 6.1.1/6.3.1: the lock is per (account, address) — an attacker who knows the
    address locks only themselves (docs/accounts.md "Sign-in security")."""
    user = factories.UserFactory(email="jo@acme.test")
    attacker = {"REMOTE_ADDR": "203.0.113.66"}
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 2):
        login(client, "jo@acme.test", "wrong password here", environ_base=attacker)
    assert throttle(db, user, "203.0.113.66").locked_until is not None
    # the attacker's address is locked, even with the right password …
    assert login(client, "jo@acme.test", environ_base=attacker).status_code == 200
    assert not is_signed_in(client)
    # … the person's own is not
    assert login(client, "jo@acme.test").status_code == 302
    assert is_signed_in(client)
    assert throttle(db, user, "203.0.113.66").locked_until is not None  # still theirs


def test_a_success_resets_the_counter_before_the_lock(app, client, db):
    user = factories.UserFactory(email="ines@acme.test")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        login(client, "ines@acme.test", "wrong password here")
    assert login(client, "ines@acme.test").status_code == 302
    client.post("/logout")
    login(client, "ines@acme.test", "wrong password here")
    assert throttle(db, user).failures == 1 and throttle(db, user).locked_until is None
    assert user.failed_logins == 1


def test_old_counts_are_pruned_but_not_running_locks(app, db):
    from app.accounts.jobs import LOGIN_THROTTLE_RETENTION, prune_login_throttles

    user = factories.UserFactory()
    now = utcnow()
    old = now - LOGIN_THROTTLE_RETENTION - timedelta(minutes=1)
    db.add_all([LoginThrottle(user_id=user.id, address="10.0.0.1", failures=2, updated_at=old),
                LoginThrottle(user_id=user.id, address="10.0.0.2", failures=0, updated_at=old,
                              locked_until=now + timedelta(minutes=5)),
                LoginThrottle(user_id=user.id, address="10.0.0.3", failures=1, updated_at=now)])
    db.flush()
    assert prune_login_throttles(db, now) == 1
    assert prune_login_throttles(db, now) == 0
    assert throttle(db, user, "10.0.0.1") is None and throttle(db, user, "10.0.0.2")


# --- next ------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/profile", "/profile/social?tab=x"])
def test_next_relative_path_is_followed(client, db, target):
    factories.UserFactory(email="jo@acme.test")
    response = login(client, "jo@acme.test", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "https://evil.example/phish",
    "//evil.example/phish",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",     # browsers drop tabs and newlines: this would be //evil.example
    "/\n/evil.example",
    "/\r\n/evil.example",
])
def test_next_to_another_site_is_ignored(client, db, target):
    factories.UserFactory(email="kim@acme.test")
    response = login(client, "kim@acme.test", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_required_page_comes_back_after_sign_in(client, db):
    factories.UserFactory(email="lea@acme.test")
    response = client.get("/profile")
    assert response.status_code == 302
    assert path_of(response) == "/login"
    next_url = dict(p.split("=", 1) for p in urlsplit(response.headers["Location"]).query
                    .split("&"))["next"]
    response = client.post(f"/login?next={next_url}",
                           data={"email": "lea@acme.test", "password": PASSWORD})
    assert response.headers["Location"] == "/profile"


# --- session ---------------------------------------------------------------------------


def test_remember_me_sets_the_remember_cookie(client, db):
    factories.UserFactory(email="max@acme.test")
    response = login(client, "max@acme.test", remember=True)
    assert response.status_code == 302
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.value
    assert cookie.http_only


def test_without_remember_me_there_is_no_remember_cookie(client, db):
    factories.UserFactory(email="nina@acme.test")
    login(client, "nina@acme.test")
    assert client.get_cookie("remember_token") is None


def test_remember_cookie_alone_signs_back_in(client, db):
    factories.UserFactory(email="olaf@acme.test")
    login(client, "olaf@acme.test", remember=True)
    client.delete_cookie("session")
    assert is_signed_in(client)


def test_login_starts_a_new_session(client, db):
    factories.UserFactory(email="pia@acme.test")
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "attacker value"
        session["lang"] = "fr"
    assert login(client, "pia@acme.test").status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")
        assert session["lang"] == "fr"  # the chosen language is kept
        assert session.permanent


def test_a_failed_login_leaves_the_visitor_signed_out(client, db):
    factories.UserFactory(email="quinn@acme.test")
    login(client, "quinn@acme.test", "wrong password here")
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert not is_signed_in(client)


def test_logout_by_get_is_not_allowed(client, auth):
    auth.as_role(Role.EMPLOYEE)
    response = client.get("/logout")
    assert response.status_code == 405
    assert is_signed_in(client)


def test_logout_ends_the_session(client, db):
    user = factories.UserFactory(email="rosa@acme.test")
    login(client, "rosa@acme.test", remember=True)
    assert is_signed_in(client)
    response = client.post("/logout")
    assert response.status_code == 302
    assert path_of(response) == "/login"
    assert client.get_cookie("remember_token") is None
    home = client.get("/")
    assert home.status_code == 302 and path_of(home) == "/login"
    assert len(events(db, "auth.logout", user)) == 1
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_logout_when_signed_out_goes_to_login(client):
    response = client.post("/logout")
    assert response.status_code == 302
    assert path_of(response) == "/login"


# --- sessions end on deactivation and password change ---------------------------------


def test_deactivation_ends_the_employees_session_at_once(app, client, db):
    employee = factories.UserFactory(email="sam@acme.test")
    assert login(client, "sam@acme.test", remember=True).status_code == 302
    assert is_signed_in(client)

    admin_client = app.test_client()
    Auth(admin_client, db).as_role(Role.ADMIN)
    response = admin_client.post(f"/admin/people/{employee.id}/status", data={"active": "0"})
    assert response.status_code == 302
    db.expire_all()
    assert employee.status == UserStatus.DEACTIVATED

    response = client.get("/")
    assert response.status_code == 302
    assert path_of(response) == "/login"
    # the remember-me cookie does not bring the session back either
    client.delete_cookie("session")
    assert client.get_cookie("remember_token") is not None
    assert not is_signed_in(client)
    # and the password no longer opens a session
    response = login(client, "sam@acme.test")
    assert response.status_code == 200
    assert f"danger: {GENERIC_FAILURE}" in alerts(response)
    assert not is_signed_in(client)


def test_password_change_ends_other_sessions_but_not_this_one(app, client, db):
    user = factories.UserFactory(email="tara@acme.test")
    other = app.test_client()
    assert login(client, "tara@acme.test").status_code == 302
    assert login(other, "tara@acme.test", remember=True).status_code == 302
    assert is_signed_in(other)

    new_password = "a brand new passphrase"
    response = client.post("/profile/password", data={
        "current_password": PASSWORD, "password": new_password, "confirm": new_password})
    assert response.status_code == 302
    assert path_of(response) == "/profile"
    db.expire_all()
    assert user.session_version == 2

    assert is_signed_in(client)
    response = other.get("/")
    assert response.status_code == 302 and path_of(response) == "/login"
    other.delete_cookie("session")
    assert not is_signed_in(other)  # nor through its remember cookie
    assert len(events(db, "auth.password_changed", user)) == 1


def test_password_change_with_a_wrong_current_password_is_refused(client, db, auth):
    user = auth.login(factories.UserFactory(email="uma@acme.test"))
    response = client.post("/profile/password", data={
        "current_password": "not my password", "password": "another long passphrase",
        "confirm": "another long passphrase"})
    assert response.status_code == 422
    assert "Your current password is not right." in response.get_data(as_text=True)
    db.expire_all()
    assert user.session_version == 1
    assert is_signed_in(client)


# --- rate limit ------------------------------------------------------------------------


@pytest.mark.usefixtures("fresh_limiter")
class TestLoginRateLimit:
    @pytest.fixture
    def app_overrides(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}


    def test_fourth_login_post_from_one_address_is_refused(self, client, db):
        factories.UserFactory(email="vic@acme.test")
        for _ in range(3):
            assert login(client, "vic@acme.test", "wrong password here").status_code == 200
        response = login(client, "vic@acme.test")  # even the right password
        assert response.status_code == 429
        assert "Too many attempts. Wait a minute and try again." in response.get_data(
            as_text=True)
        assert response.mimetype == "text/html"
        assert not is_signed_in(client)

    def test_limit_is_per_address_and_get_is_not_counted(self, client, db):
        factories.UserFactory(email="wes@acme.test")
        for _ in range(5):
            assert client.get("/login").status_code == 200
        for _ in range(3):
            login(client, "wes@acme.test", "wrong password here")
        assert login(client, "wes@acme.test").status_code == 429
        other = login(client, "wes@acme.test", environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert other.status_code == 302

    def test_limit_resets_after_the_window(self, client, db):
        factories.UserFactory(email="xia@acme.test")
        for _ in range(3):
            login(client, "xia@acme.test", "wrong password here")
        assert login(client, "xia@acme.test").status_code == 429
        with time_machine.travel(utcnow() + timedelta(seconds=61), tick=False):
            assert login(client, "xia@acme.test").status_code == 302

    def test_forgot_password_is_limited_too(self, client, db):
        for _ in range(3):
            assert client.post("/forgot-password",
                               data={"email": "who@acme.example"}).status_code == 302
        response = client.post("/forgot-password", data={"email": "who@acme.example"})
        assert response.status_code == 429


def test_rate_limit_is_off_in_the_default_test_config(client, db):
    """Guards the shared limiter: a limit-enabled app earlier must not leak into this one."""
    for _ in range(12):
        assert login(client, "nobody@acme.test", "wrong password here").status_code == 200


def test_a_hash_made_with_a_lower_cost_is_upgraded_at_sign_in(app, client, db):
    """ASVS 11.4.1: raising the argon2 cost upgrades each hash at the person's next sign-in
    (the password is at hand only then)."""
    from app.accounts.passwords import hash_password, needs_rehash, verify_password

    params = {"time_cost": app.config["ARGON2_TIME_COST"],
              "memory_cost": app.config["ARGON2_MEMORY_COST"]}
    weaker = hash_password(factories.PASSWORD, time_cost=1, memory_cost=64)
    user = factories.UserFactory(email="old@acme.test", password_hash=weaker)
    assert needs_rehash(weaker, **params)
    assert login(client, "old@acme.test").status_code == 302
    db.expire_all()
    assert user.password_hash != weaker and not needs_rehash(user.password_hash, **params)
    assert verify_password(user.password_hash, factories.PASSWORD, **params)
    client.post("/logout")
    before = user.password_hash
    assert login(client, "old@acme.test").status_code == 302  # current cost: left alone
    db.expire_all()
    assert user.password_hash == before
