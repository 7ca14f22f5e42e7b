"""The single sign-on admin page: configure the provider (secret encrypted at rest), test
the discovery, map the groups claim to groups; environment variables take precedence; an
employee then signs in through the provider the admin configured."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import sso_services
from app.accounts.models import Role, User
from app.accounts.sso_models import SETTINGS_ID, SsoGroupMapping, SsoSettings
from app.common.actor import SYSTEM
from app.common.errors import ServiceError
from app.sharing import crypto
from tests.factories import GroupFactory
from tests.factories_sso import (
    SsoGroupMappingFactory,
    SsoSettingsFactory,
    bind,
    company,
    events,
    sign_in,
)
from tests.fake_idp import CLIENT_ID, CLIENT_SECRET, fake_idp_server, idp  # noqa: F401


@pytest.fixture
def from_env() -> bool:
    """Tests parametrize this to configure the provider by environment variables."""
    return False


@pytest.fixture
def app_overrides(idp, from_env):  # noqa: F811
    return idp.config() if from_env else {"FETCH_ALLOW_LOOPBACK": True}


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def settings_form(idp, **changes) -> dict:  # noqa: F811
    data = {"sso-enabled": "y", "sso-provider_name": "Acme ID", "sso-issuer": idp.issuer,
            "sso-client_id": CLIENT_ID, "sso-client_secret": CLIENT_SECRET,
            "sso-scopes": "openid email profile", "sso-groups_claim": "groups",
            "sso-auto_provision": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def stored(db) -> SsoSettings | None:
    db.expire_all()
    return db.get(SsoSettings, SETTINGS_ID)


def test_without_settings_the_sign_in_page_offers_no_provider(app, client, idp):  # noqa: F811
    assert "Sign in with" not in text(client.get("/login"))
    response = client.get("/login/sso")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Single sign-on is not set up." in text(client.get("/login"))
    assert idp.state.calls == []


def test_the_page_explains_what_to_register(app, auth, idp):  # noqa: F811
    auth.as_role(Role.ADMIN)
    html = text(auth.client.get("/admin/sso"))
    assert "Single sign-on is off." in html
    assert "http://relais.test/login/sso/callback" in html
    assert "No mapping yet: single sign-on changes nobody's groups." in html
    assert "No email domain is allowed yet" in html
    assert "Create a group first." in html


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER, Role.CURATOR])
def test_only_admins_see_the_page(app, auth, role):
    auth.as_role(role)
    assert auth.client.get("/admin/sso").status_code == 403
    assert auth.client.post("/admin/sso/test").status_code == 403


def test_an_admin_configures_the_provider_and_an_employee_signs_in(app, db, auth, idp):  # noqa: F811
    groups = company(db)
    assert "Sign in with" not in text(auth.client.get("/login"))
    admin = auth.as_role(Role.ADMIN)
    response = auth.client.post("/admin/sso", data=settings_form(idp))
    assert response.status_code == 302
    assert "Single sign-on settings saved." in text(auth.client.get("/admin/sso"))

    row = stored(db)
    assert (row.enabled, row.provider_name, row.issuer, row.client_id) == (
        True, "Acme ID", idp.issuer, CLIENT_ID)
    assert row.updated_by_id == admin.id
    # the secret is stored encrypted, and nowhere in clear
    values = [str(getattr(row, c.key)) for c in SsoSettings.__table__.columns]
    assert not any(CLIENT_SECRET in v for v in values)
    assert crypto.decrypt(row.client_secret_encrypted, app.config) == CLIENT_SECRET
    [saved] = events(db, "sso.settings_updated")
    assert "client_secret" in saved.details["changed"]
    assert CLIENT_SECRET not in str(saved.details)

    auth.logout()
    assert "Sign in with Acme ID" in text(auth.client.get("/login"))
    assert sign_in(auth.client, idp).status_code == 302
    db.expire_all()
    ada = db.scalar(select(User).where(User.email == "ada@acme.example"))
    assert [g.name for g in ada.groups] == ["Marketing"]
    assert groups["Marketing"].id in [g.id for g in ada.groups]


def test_an_empty_secret_keeps_the_stored_one(app, db, auth, idp):  # noqa: F811
    auth.as_role(Role.ADMIN)
    auth.client.post("/admin/sso", data=settings_form(idp))
    first = stored(db).client_secret_encrypted
    response = auth.client.post("/admin/sso", data=settings_form(
        idp, **{"sso-client_secret": "", "sso-provider_name": "Acme SSO"}))
    assert response.status_code == 302
    row = stored(db)
    assert row.client_secret_encrypted == first
    assert row.provider_name == "Acme SSO"
    assert events(db, "sso.settings_updated")[-1].details["changed"] == ["provider_name"]
    # the page never shows the secret back
    assert CLIENT_SECRET not in auth.client.get("/admin/sso").get_data(as_text=True)


@pytest.mark.parametrize(("changes", "message"), [
    ({"sso-client_secret": ""}, "Enter the issuer, the client ID and the client secret"),
    ({"sso-issuer": "login.acme.example"}, "Enter the issuer as a URL"),
    ({"sso-issuer": "https://login.acme.example/?realm=acme"}, "Enter the issuer as a URL"),
    ({"sso-groups_claim": "groups; drop table"}, "Enter a claim name"),
])
def test_incomplete_or_invalid_settings_are_refused(app, db, auth, idp, changes, message):  # noqa: F811
    auth.as_role(Role.ADMIN)
    response = auth.client.post("/admin/sso", data=settings_form(idp, **changes))
    assert response.status_code == 422
    assert message in text(response)
    assert stored(db) is None
    assert events(db, "sso.settings_updated") == []


def test_production_wants_an_https_issuer(db):
    with pytest.raises(ServiceError) as caught:
        sso_services.save_settings(
            db, SYSTEM, {"ENV": "production", "SECRET_KEY": "k" * 40}, enabled=False,
            provider_name="", issuer="http://login.acme.example", client_id="", client_secret="",
            scopes="", groups_claim="", auto_provision=True, password_login_disabled=False)
    assert caught.value.field == "issuer"


def test_production_stores_no_secret_without_an_encryption_key(db):
    with pytest.raises(ServiceError) as caught:
        sso_services.save_settings(
            db, SYSTEM, {"ENV": "production", "SECRET_KEY": "k" * 40}, enabled=True,
            provider_name="", issuer="https://login.acme.example", client_id="relais",
            client_secret="s3cret", scopes="", groups_claim="", auto_provision=True,
            password_login_disabled=False)
    assert caught.value.field == "client_secret"
    assert "TOKEN_ENCRYPTION_KEY" in caught.value.message


def test_turning_single_sign_on_off_hides_the_button(app, db, auth, idp):  # noqa: F811
    auth.as_role(Role.ADMIN)
    auth.client.post("/admin/sso", data=settings_form(idp))
    auth.client.post("/admin/sso", data=settings_form(idp, **{"sso-enabled": None}))
    assert stored(db).enabled is False
    auth.logout()
    assert "Sign in with" not in text(auth.client.get("/login"))


def test_a_secret_that_cannot_be_decrypted_any_more(app, db, auth, idp):  # noqa: F811
    bind(db)
    other_key = crypto.derive_key("another secret key entirely")
    SsoSettingsFactory(issuer=idp.issuer, client_id=CLIENT_ID, client_secret_encrypted=crypto
                       .encrypt(CLIENT_SECRET, {"TOKEN_ENCRYPTION_KEY": other_key.decode()}))
    auth.as_role(Role.ADMIN)
    html = text(auth.client.get("/admin/sso"))
    assert "cannot be decrypted any more" in html
    assert "turned on but incomplete" in html
    assert not sso_services.load_config(db, app.config).active


# --- testing the discovery -------------------------------------------------------------------


def test_the_discovery_test_shows_what_the_provider_publishes(app, db, auth, idp):  # noqa: F811
    auth.as_role(Role.ADMIN)
    auth.client.post("/admin/sso", data=settings_form(idp))
    response = auth.client.post("/admin/sso/test")
    assert response.status_code == 200
    html = text(response)
    assert "The provider answered." in html
    assert idp.issuer + "/protocol/openid-connect/token" in html
    assert "2 keys (RS256, ES256)" in html
    auth.client.post("/admin/sso/test")
    assert idp.calls_to("/openid-configuration") == 2  # never from the cache


def test_the_discovery_test_explains_a_failure(app, db, auth, idp):  # noqa: F811
    auth.as_role(Role.ADMIN)
    html = text(auth.client.post("/admin/sso/test"))
    assert "Enter the issuer URL first." in html
    auth.client.post("/admin/sso", data=settings_form(idp))
    idp.state.discovery = {"issuer": "https://someone-else.example"}
    html = text(auth.client.post("/admin/sso/test"))
    assert "The test failed." in html
    assert "names the issuer" in html


# --- the group mapping -------------------------------------------------------------------------


def test_mappings_are_added_listed_and_removed(app, db, auth):
    auth.as_role(Role.ADMIN)
    marketing = GroupFactory(name="Marketing")
    response = auth.client.post("/admin/sso/mappings", data={
        "mapping-claim_value": "acme-marketing", "mapping-group_id": marketing.id})
    assert response.status_code == 302
    db.expire_all()
    mapping = db.scalar(select(SsoGroupMapping))
    assert (mapping.claim_value, mapping.group_id) == ("acme-marketing", marketing.id)
    mapping_id = mapping.id
    assert events(db, "sso.mapping_added")[0].details["group"] == "Marketing"
    html = text(auth.client.get("/admin/sso"))
    assert "acme-marketing" in html and "Marketing" in html

    again = auth.client.post("/admin/sso/mappings", data={
        "mapping-claim_value": "acme-marketing", "mapping-group_id": marketing.id})
    assert again.status_code == 422
    assert "This value is already mapped to this group." in text(again)

    delete = f"/admin/sso/mappings/{mapping_id}/delete"
    assert auth.client.post(delete).status_code == 302
    db.expire_all()
    assert db.scalar(select(SsoGroupMapping)) is None
    assert events(db, "sso.mapping_removed")[0].details["claim_value"] == "acme-marketing"
    assert auth.client.post(delete).status_code == 404


@pytest.mark.parametrize(("data", "message"), [
    ({"mapping-claim_value": "", "mapping-group_id": "GROUP"}, "This field is required."),
    ({"mapping-claim_value": "x", "mapping-group_id": "999999"}, "Not a valid choice"),
])
def test_a_mapping_needs_a_value_and_a_group(app, db, auth, data, message):
    auth.as_role(Role.ADMIN)
    group = GroupFactory()
    data = {k: (str(group.id) if v == "GROUP" else v) for k, v in data.items()}
    response = auth.client.post("/admin/sso/mappings", data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert db.scalar(select(SsoGroupMapping)) is None


@pytest.mark.parametrize("app_overrides", [{"PER_PAGE": 2}])
def test_mappings_are_paginated(app, db, auth, app_overrides):
    auth.as_role(Role.ADMIN)
    bind(db)
    group = GroupFactory()
    for value in ("a-first", "b-second", "c-third"):
        SsoGroupMappingFactory(claim_value=value, group_id=group.id)
    first = text(auth.client.get("/admin/sso"))
    assert "a-first" in first and "b-second" in first and "c-third" not in first
    assert "Page 1 of 2" in first
    second = text(auth.client.get("/admin/sso?page=2"))
    assert "c-third" in second and "a-first" not in second


# --- environment variables take precedence -------------------------------------------------


@pytest.mark.parametrize("from_env", [True])
def test_environment_variables_take_precedence(app, db, auth, idp, from_env):  # noqa: F811
    auth.as_role(Role.ADMIN)
    html = text(auth.client.get("/admin/sso"))
    assert ("Some settings come from the server environment and take precedence over this "
            "page: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_ISSUER, OIDC_PROVIDER_NAME.") in html
    assert "Set by OIDC_ISSUER in the server environment." in html
    assert "Because OIDC_ISSUER is set, single sign-on stays on." in html
    assert "Single sign-on is on" in html
    assert 'name="sso-issuer"' not in html  # shown, not editable
    assert CLIENT_SECRET not in html

    response = auth.client.post("/admin/sso", data=settings_form(
        idp, **{"sso-issuer": "https://elsewhere.example", "sso-client_id": "other",
                "sso-auto_provision": None, "sso-groups_claim": "roles"}))
    assert response.status_code == 302
    row = stored(db)
    assert (row.issuer, row.client_id, row.client_secret_encrypted) == ("", "", "")
    assert (row.auto_provision, row.groups_claim) == (False, "roles")
    config = sso_services.load_config(db, app.config)
    assert (config.issuer, config.client_id, config.client_secret) == (
        idp.issuer, CLIENT_ID, CLIENT_SECRET)
    assert config.from_environment == {"issuer", "client_id", "client_secret",
                                       "provider_name"}
    assert config.active


# --- configuration ------------------------------------------------------------------------


def test_the_environment_variables_are_read_and_checked():
    from config import Config, ConfigError

    env = {"SECRET_KEY": "k" * 40, "OIDC_ISSUER": " https://id.acme.example/realms/acme ",
           "OIDC_CLIENT_ID": "relais", "OIDC_CLIENT_SECRET": "s3cret",
           "OIDC_SCOPES": "openid email groups", "OIDC_GROUPS_CLAIM": "roles",
           "OIDC_PROVIDER_NAME": "Acme ID"}
    cfg = Config.from_env(env)
    assert (cfg.OIDC_ISSUER, cfg.OIDC_CLIENT_ID, cfg.OIDC_CLIENT_SECRET, cfg.OIDC_SCOPES,
            cfg.OIDC_GROUPS_CLAIM, cfg.OIDC_PROVIDER_NAME) == (
        "https://id.acme.example/realms/acme", "relais", "s3cret", "openid email groups",
        "roles", "Acme ID")
    production = {**env, "RELAIS_ENV": "production", "BASE_URL": "https://relais.acme.example"}
    assert Config.from_env(production).OIDC_ISSUER.startswith("https://")
    with pytest.raises(ConfigError, match="OIDC_ISSUER must be an https:// URL"):
        Config.from_env({**production, "OIDC_ISSUER": "http://id.acme.example"})


def test_a_stored_secret_without_the_production_key_is_unreadable_not_a_crash(db, app):
    bind(db)
    SsoSettingsFactory(issuer="https://login.acme.example", client_id="relais",
                       client_secret_encrypted=crypto.encrypt("s3cret", app.config))
    config = sso_services.load_config(db, {"ENV": "production", "SECRET_KEY": "k" * 40})
    assert config.secret_unreadable and not config.active
