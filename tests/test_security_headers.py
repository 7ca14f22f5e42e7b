"""Security headers, cookie flags, the production configuration checks and CSRF
(DESIGN.md "Security")."""

from __future__ import annotations

import re

import pytest

from app import create_app
from app.accounts.models import Role
from config import Config, ConfigError
from tests import factories
from tests.conftest import Auth


def csp_directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
            for part in (p.strip() for p in policy.split(";")) if part}


def assert_security_headers(response):
    csp = csp_directives(response)
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == "'self'"
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["base-uri"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def set_cookie(response, name) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.getlist('Set-Cookie')}")


def cookie_attributes(header: str) -> set[str]:
    return {part.strip().split("=", 1)[0].lower() for part in header.split(";")[1:]}


def cookie_attribute(header: str, name: str) -> str | None:
    for part in header.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == name.lower():
            return value
    return None


ANONYMOUS_PAGES = [
    ("/login", 200),
    ("/forgot-password", 200),
    ("/join", 200),
    ("/reset/not-a-token", 404),
    ("/invitation/not-a-token", 404),
    ("/no/such/page", 404),
    ("/logout", 405),
]

ADMIN_PAGES = [
    ("/", 200),
    ("/profile", 200),
    ("/profile/social", 200),
    ("/profile/password", 200),
    ("/policy", 200),
    ("/team", 200),
    ("/admin/people", 200),
    ("/admin/invite", 200),
    ("/admin/invitations", 200),
    ("/admin/policy", 200),
    ("/admin/audit", 200),
]


@pytest.mark.parametrize("path, status", ANONYMOUS_PAGES)
def test_anonymous_html_pages_carry_the_security_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # not in the test config


def test_signed_in_html_pages_carry_the_security_headers(client, auth):
    auth.as_role(Role.ADMIN)
    for path, status in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == status, path
        assert response.mimetype == "text/html", path
        assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store", path


def test_error_pages_carry_the_security_headers(client, auth):
    auth.as_role(Role.EMPLOYEE)
    forbidden = client.get("/admin/people")
    assert forbidden.status_code == 403
    assert "You do not have access to this page." in forbidden.get_data(as_text=True)
    assert_security_headers(forbidden)
    assert forbidden.headers["Cache-Control"] == "no-store"


def test_redirects_and_json_carry_the_security_headers(client, auth):
    redirect = client.get("/profile")  # signed out: to the login page
    assert redirect.status_code == 302
    assert_security_headers(redirect)
    auth.as_role(Role.EMPLOYEE)
    export = client.get("/profile/export.json")
    assert export.status_code == 200
    assert_security_headers(export)
    # a download of personal data is not cached either
    assert export.headers["Cache-Control"] == "no-store"
    health = client.get("/healthz")
    assert_security_headers(health)


def test_session_cookie_is_httponly_and_samesite_lax(client, db):
    factories.UserFactory(email="cora@acme.test")
    response = client.post("/login", data={"email": "cora@acme.test",
                                           "password": factories.PASSWORD, "remember": "y"})
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        header = set_cookie(response, name)
        assert "httponly" in cookie_attributes(header), header
        assert cookie_attribute(header, "SameSite") == "Lax", header
        assert "secure" not in cookie_attributes(header)  # plain http in the test config


# --- a production-like configuration ----------------------------------------------------


PRODUCTION_ENV = {
    "RELAIS_ENV": "production",
    "SECRET_KEY": "k" * 48,
    "BASE_URL": "https://relais.acme.example",
}


@pytest.fixture
def production_app(database, database_url, mailer):
    """The configuration from_env builds for production, on the test database."""
    from app.accounts import policy
    from app.extensions import limiter

    config = Config.from_env({**PRODUCTION_ENV, "DATABASE_URL": database_url})
    values = config.as_flask_config()
    values.update(RELAIS_DATABASE=database, RELAIS_MAILER=mailer, ARGON2_TIME_COST=1,
                  ARGON2_MEMORY_COST=1024)
    policy._cache.clear()  # not TESTING: the policy gate caches the latest version
    application = create_app(values)
    limiter.reset()
    with application.app_context():
        yield application
    limiter.reset()
    policy._cache.clear()


def csrf_token(response) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      response.get_data(as_text=True))
    assert match, "the form carries a CSRF token"
    return match.group(1)


def test_production_sets_secure_cookies_and_hsts(production_app, db):
    assert not production_app.debug
    factories.UserFactory(email="prod@acme.test")
    client = production_app.test_client()
    page = client.get("/login", base_url="https://relais.acme.example")
    assert page.status_code == 200
    hsts = page.headers["Strict-Transport-Security"]
    assert re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts)
    assert int(hsts.split("=")[1].split(";")[0]) >= 31536000
    assert_security_headers(page)

    # over https, Flask-WTF also checks that the Referer is this site (a browser sends it)
    response = client.post("/login", base_url="https://relais.acme.example",
                           headers={"Referer": "https://relais.acme.example/login"}, data={
        "csrf_token": csrf_token(page), "email": "prod@acme.test",
        "password": factories.PASSWORD, "remember": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "Strict-Transport-Security" in response.headers
    # __Host- names: a browser takes them only if Secure, Path=/ and without Domain
    for name in ("__Host-session", "__Host-remember"):
        header = set_cookie(response, name)
        assert {"secure", "httponly"} <= cookie_attributes(header), header
        assert cookie_attribute(header, "SameSite") == "Lax"
        assert cookie_attribute(header, "Path") == "/"
        assert cookie_attribute(header, "Domain") is None
    assert client.get("/", base_url="https://relais.acme.example").status_code == 200


def test_production_refuses_a_cross_site_referer(production_app, db):
    factories.UserFactory(email="prod@acme.test")
    client = production_app.test_client()
    page = client.get("/login", base_url="https://relais.acme.example")
    response = client.post("/login", base_url="https://relais.acme.example",
                           headers={"Referer": "https://evil.example/login"}, data={
                               "csrf_token": csrf_token(page), "email": "prod@acme.test",
                               "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Strict-Transport-Security" in response.headers


def test_production_config_from_env_is_strict():
    config = Config.from_env(dict(PRODUCTION_ENV))
    assert config.ENV == "production"
    assert config.DEBUG is False
    assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE
    assert config.SESSION_COOKIE_HTTPONLY and config.REMEMBER_COOKIE_HTTPONLY
    assert config.SESSION_COOKIE_SAMESITE == "Lax"
    assert config.HSTS is True
    assert config.WTF_CSRF_ENABLED is True
    assert config.RATELIMIT_ENABLED is True


@pytest.mark.parametrize("env, message", [
    ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
    ({"SECRET_KEY": "too-short"}, "at least 32 characters"),
    ({"SECRET_KEY": "k" * 31}, "at least 32 characters"),
    ({"FLASK_DEBUG": "1"}, "FLASK_DEBUG must be off"),
    ({"FLASK_DEBUG": "true"}, "FLASK_DEBUG must be off"),
    ({"BASE_URL": "http://relais.acme.example"}, "BASE_URL must be an https:// URL"),
    ({"BASE_URL": ""}, "BASE_URL must be an https:// URL"),
    # values copied from an example file (deploy/relais.env.example) instead of generated
    ({"SECRET_KEY": "change-me-to-48-random-characters-python3-secrets"}, "not an example"),
    ({"METRICS_TOKEN": "change-me-too"}, "not an example"),
])
def test_production_config_refuses_unsafe_settings(env, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        Config.from_env({**PRODUCTION_ENV, **env})


def test_production_config_without_secret_key_at_all():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Config.from_env(env)


def test_production_config_without_base_url_at_all():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "BASE_URL"}
    with pytest.raises(ConfigError, match="https://"):
        Config.from_env(env)


# --- CSRF ---------------------------------------------------------------------------------


def test_login_without_csrf_token_is_refused(csrf_app, db):
    factories.UserFactory(email="dora@acme.test")
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "dora@acme.test",
                                           "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Your form expired. Reload the page and try again." in response.get_data(
        as_text=True)
    assert client.get("/").status_code == 302  # not signed in


def test_login_with_a_forged_csrf_token_is_refused(csrf_app, db):
    factories.UserFactory(email="dora@acme.test")
    client = csrf_app.test_client()
    client.get("/login")
    response = client.post("/login", data={"csrf_token": "forged", "email": "dora@acme.test",
                                           "password": factories.PASSWORD})
    assert response.status_code == 400


def test_login_with_the_csrf_token_of_the_form_works(csrf_app, db):
    factories.UserFactory(email="dora@acme.test")
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login"))
    response = client.post("/login", data={"csrf_token": token, "email": "dora@acme.test",
                                           "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_csrf_token_of_another_session_is_refused(csrf_app, db):
    factories.UserFactory(email="dora@acme.test")
    attacker = csrf_app.test_client()
    token = csrf_token(attacker.get("/login"))
    victim = csrf_app.test_client()
    response = victim.post("/login", data={"csrf_token": token, "email": "dora@acme.test",
                                           "password": factories.PASSWORD})
    assert response.status_code == 400


@pytest.mark.parametrize("path, data", [
    ("/logout", {}),
    ("/language", {"lang": "fr"}),
    ("/profile/password", {"current_password": factories.PASSWORD,
                           "password": "stolen passphrase 1", "confirm": "stolen passphrase 1"}),
])
def test_signed_in_posts_without_csrf_token_are_refused(csrf_app, db, path, data):
    client = csrf_app.test_client()
    user = Auth(client, db).as_role(Role.EMPLOYEE)
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert client.get("/").status_code == 200  # still signed in, nothing changed
    db.expire_all()
    assert user.session_version == 1
    assert user.language == "en"
