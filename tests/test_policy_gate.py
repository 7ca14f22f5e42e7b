"""The social-media policy gate through HTTP: a signed-in person who has not accepted the
latest version is sent to it; accepting is recorded; a new version asks again; a few
pages stay reachable before acceptance; the Markdown body is sanitised."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.accounts.models import PolicyAcceptance, Role
from app.audit.models import AuditEvent
from tests import factories
from tests.conftest import Auth


def alerts(response) -> list[str]:
    html = response.get_data(as_text=True)
    found = re.findall(r'<div class="alert alert-(\w+)[^"]*" role="alert">(.*?)<button', html,
                       re.S)
    return [f"{kind}: {' '.join(text.split())}" for kind, text in found]


def article(response) -> str:
    match = re.search(r'<article class="policy-body[^"]*">(.*?)</article>',
                      response.get_data(as_text=True), re.S)
    assert match, "the page shows the policy body"
    return match.group(1)


def tags(fragment: str) -> list[tuple[str, dict]]:
    """The real elements of an HTML fragment (escaped text is not an element)."""
    from html.parser import HTMLParser

    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collector().feed(fragment)
    return found


def assert_harmless(fragment: str) -> None:
    for tag, attrs in tags(fragment):
        assert tag not in {"script", "iframe", "object", "embed", "style"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in {"href", "src"}:
                assert value.startswith(("https://", "http://")), (tag, name, value)


def redirect_target(response) -> tuple[str, dict]:
    parts = urlsplit(response.headers["Location"])
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def acceptances(db, user) -> list[int]:
    db.expire_all()
    rows = db.scalars(select(PolicyAcceptance).where(PolicyAcceptance.user_id == user.id)
                      .order_by(PolicyAcceptance.id))
    return [row.policy_version.version for row in rows]


@pytest.fixture
def policy(db):
    return factories.PolicyFactory(version=1, title="Our social-media policy",
                                   body_md="# Be kind\n\nShare **what you like**.")


@pytest.fixture
def employee(auth, db):
    return auth.as_role(Role.EMPLOYEE, email="emma@acme.test")


def test_no_policy_no_gate(client, employee):
    assert client.get("/").status_code == 200
    page = client.get("/policy")
    assert page.status_code == 200
    assert "No policy yet" in page.get_data(as_text=True)


def test_unaccepted_policy_redirects_to_the_policy_page(client, policy, employee):
    response = client.get("/")
    assert response.status_code == 302
    assert redirect_target(response) == ("/policy", {"next": "/"})

    page = client.get("/policy?next=/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Our social-media policy" in html
    assert "Please read and accept the policy before using the portal." in html
    assert '<input type="hidden" name="version" value="1">' in html
    assert '<input type="hidden" name="next" value="/">' in html
    assert "<h1>Be kind</h1>" in article(page)
    assert "<strong>what you like</strong>" in article(page)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CURATOR, Role.ADMIN])
def test_every_role_is_gated(client, auth, policy, role):
    auth.as_role(role)
    response = client.get("/")
    assert response.status_code == 302
    assert redirect_target(response)[0] == "/policy"


def test_the_gate_keeps_the_page_asked_for(client, policy, employee):
    response = client.get("/profile/social?tab=1")
    assert redirect_target(response) == ("/policy", {"next": "/profile/social?tab=1"})


def test_accepting_records_it_and_goes_to_next(client, db, policy, employee):
    response = client.post("/policy", data={"version": "1", "next": "/profile"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    assert acceptances(db, employee) == [1]
    assert employee.accepted_policy_version == 1
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "policy.accepted"))
    assert event.target_id == employee.id and event.details["version"] == 1

    assert client.get("/").status_code == 200
    assert client.get("/profile").status_code == 200
    page = client.get("/policy")
    html = page.get_data(as_text=True)
    assert "You accepted this version." in html
    assert 'name="version"' not in html  # no accept button any more


def test_accepting_without_next_goes_to_the_portal(client, policy, employee):
    response = client.post("/policy", data={"version": "1"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example"])
def test_accepting_ignores_a_next_to_another_site(client, policy, employee, target):
    response = client.post("/policy", data={"version": "1", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_accepting_twice_keeps_one_record(client, db, policy, employee):
    client.post("/policy", data={"version": "1"})
    client.post("/policy", data={"version": "1"})
    assert acceptances(db, employee) == [1]
    count = db.scalar(select(func.count()).select_from(AuditEvent)
                      .where(AuditEvent.action == "policy.accepted"))
    assert count == 1


def test_accepting_an_outdated_version_asks_to_read_the_new_one(client, db, policy, employee):
    factories.PolicyFactory(version=2, title="Policy v2", body_md="New rules.")
    response = client.post("/policy", data={"version": "1", "next": "/"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == "/policy"
    assert alerts(response) == [
        "warning: The policy changed while you were reading. Please read the new version."]
    assert "Policy v2" in response.get_data(as_text=True)
    assert acceptances(db, employee) == []
    assert employee.accepted_policy_version is None
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("version", ["", "abc", "99"])
def test_accepting_a_wrong_version_number_is_not_recorded(client, db, policy, employee,
                                                          version):
    response = client.post("/policy", data={"version": version})
    assert response.status_code == 302
    assert redirect_target(response)[0] == "/policy"
    assert acceptances(db, employee) == []


def test_accepting_when_there_is_no_policy_is_a_bad_request(client, db, employee):
    assert client.post("/policy", data={"version": "1"}).status_code == 400


def test_a_new_version_asks_again(app, client, db, policy, employee):
    client.post("/policy", data={"version": "1"})
    assert client.get("/").status_code == 200

    admin_client = app.test_client()
    admin = Auth(admin_client, db).as_role(Role.ADMIN, accepted_policy_version=1)
    response = admin_client.post("/admin/policy", data={
        "action": "publish", "title": "Policy, second edition",
        "body_md": "## Updated\n\nDisclose that you work here."})
    assert response.status_code == 302
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "policy.published"))
    assert event.actor_id == admin.id and event.details["version"] == 2

    response = client.get("/")
    assert response.status_code == 302
    assert redirect_target(response) == ("/policy", {"next": "/"})
    page = client.get("/policy")
    assert "Policy, second edition" in page.get_data(as_text=True)
    assert "Disclose that you work here." in article(page)

    assert client.post("/policy", data={"version": "2", "next": "/"}).status_code == 302
    assert acceptances(db, employee) == [1, 2]
    assert employee.accepted_policy_version == 2
    assert client.get("/").status_code == 200
    # the admin, too, must accept the new version before going on
    response = admin_client.get("/admin/people")
    assert redirect_target(response)[0] == "/policy"


def test_admin_preview_does_not_publish(app, db, policy):
    admin_client = app.test_client()
    Auth(admin_client, db).as_role(Role.ADMIN, accepted_policy_version=1)
    response = admin_client.post("/admin/policy", data={
        "action": "preview", "title": "Draft", "body_md": "Draft *text*"})
    assert response.status_code == 200
    assert "<em>text</em>" in article(response)
    db.expire_all()
    assert db.scalar(select(func.max(PolicyAcceptance.id))) is None
    from app.accounts.models import PolicyVersion
    assert db.scalar(select(func.count()).select_from(PolicyVersion)) == 1


# --- what stays reachable before acceptance ---------------------------------------------


def test_own_data_export_and_password_change_work_before_acceptance(client, db, policy,
                                                                   employee):
    response = client.get("/profile/export.json")
    assert response.status_code == 200
    assert response.json["account"]["email"] == "emma@acme.test"

    assert client.get("/profile/password").status_code == 200
    new = "another fine passphrase"
    response = client.post("/profile/password", data={
        "current_password": factories.PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 302
    db.expire_all()
    assert employee.session_version == 2

    assert client.get("/policy").status_code == 200


def test_logout_works_before_acceptance(client, policy, employee):
    response = client.post("/logout")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    response = client.get("/")
    assert urlsplit(response.headers["Location"]).path == "/login"


@pytest.mark.parametrize("method, path", [
    ("GET", "/"),
    ("GET", "/profile"),
    ("GET", "/profile/social"),
    ("POST", "/profile/social"),
])
def test_portal_pages_wait_for_acceptance(client, db, policy, employee, method, path):
    response = client.open(path, method=method,
                           data={"network": "x", "handle": "emma", "followers": "1"})
    assert response.status_code == 302
    assert redirect_target(response)[0] == "/policy"
    db.expire_all()
    assert employee.social_accounts == []  # the POST did nothing


def test_the_policy_page_needs_sign_in(client, policy):
    response = client.get("/policy")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


# --- sanitising ---------------------------------------------------------------------------


MALICIOUS = """# Rules

<script>alert('xss')</script>

[harmless looking](javascript:alert(document.cookie))

[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

<img src="x" onerror="alert(1)">

<a href="javascript:alert(2)">raw link</a>

![pic](javascript:alert(3))

[our site](https://acme.example/about)
"""


def test_policy_markdown_is_sanitised(client, db, employee):
    factories.PolicyFactory(version=1, title="<b>Bold</b> title", body_md=MALICIOUS)
    page = client.get("/policy")
    assert page.status_code == 200
    body = article(page)
    assert_harmless(body)
    assert [a["href"] for t, a in tags(body) if t == "a"] == ["https://acme.example/about"]
    assert [t for t, a in tags(body) if t == "img"] == []
    # raw HTML is shown as text, and the https link stays a link
    assert "&lt;script&gt;" in body
    assert '<a href="https://acme.example/about" rel="noopener noreferrer nofollow">' in body
    # the title is escaped, not rendered
    html = page.get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt; title" in html
    assert "<b>Bold</b>" not in html


def test_admin_preview_is_sanitised_too(app, db, policy):
    admin_client = app.test_client()
    Auth(admin_client, db).as_role(Role.ADMIN, accepted_policy_version=1)
    response = admin_client.post("/admin/policy", data={
        "action": "preview", "title": "Draft", "body_md": MALICIOUS})
    body = article(response)
    assert_harmless(body)
    assert "&lt;script&gt;" in body
