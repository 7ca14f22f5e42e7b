"""Single sign-on through the fake identity provider (tests/fake_idp.py, on 127.0.0.1),
configured by environment variables: just-in-time provisioning into the mapped groups,
linking existing accounts by verified email, refusals (domain, deactivated, unverified),
group synchronisation at every sign-in, the state, the new session, ``next``."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import AccountToken, Role, TokenPurpose, User, UserStatus
from app.accounts.sso_models import SsoIdentity
from app.accounts.tokens import issue_token
from tests.factories import UserFactory
from tests.factories_sso import (
    SsoIdentityFactory,
    SsoSettingsFactory,
    approve,
    authorize_query,
    back,
    bind,
    company,
    events,
    sign_in,
    signed_in_user_id,
    start,
)
from tests.fake_idp import CLIENT_ID, fake_idp_server, idp  # noqa: F401

ADA = "ada@acme.example"


@pytest.fixture
def app_overrides(idp):  # noqa: F811
    return idp.config()


@pytest.fixture
def groups(db):
    return company(db)


def user_by_email(db, email: str) -> User | None:
    db.expire_all()
    return db.scalar(select(User).where(User.email == email))


def group_names(user: User) -> set[str]:
    return {g.name for g in user.groups}


def page(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


# --- the sign-in page and the authorization request -------------------------------------


def test_the_sign_in_page_offers_the_provider(client, idp):  # noqa: F811
    html = page(client.get("/login"))
    assert "Sign in with Acme ID" in html
    assert 'href="/login/sso"' in html
    # a "next" on the sign-in page is handed on to single sign-on
    assert 'href="/login/sso?next=/profile"' in page(client.get("/login?next=/profile"))


def test_the_authorization_request_has_pkce_state_nonce_and_our_redirect_uri(
        app, client, idp):  # noqa: F811
    query = authorize_query(start(client, idp))
    with client.session_transaction() as session:
        pending = session["sso_pending"]
    assert query["client_id"] == CLIENT_ID
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == "http://relais.test/login/sso/callback"
    assert query["scope"].split() == ["openid", "email", "profile"]
    assert query["state"] == pending["state"]
    assert query["nonce"] == pending["nonce"]
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert pending["code_verifier"] not in query.values()  # only its hash leaves
    assert len({pending["state"], pending["nonce"], pending["code_verifier"]}) == 3


def test_someone_signed_in_already_goes_to_the_portal(app, auth, idp):  # noqa: F811
    auth.as_role(Role.EMPLOYEE)
    response = auth.client.get("/login/sso")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert idp.calls_to("/openid-configuration") == 0


# --- just-in-time provisioning (the issue's "done when") ----------------------------------


def test_an_employee_is_provisioned_into_the_mapped_group(app, db, client, idp, groups):  # noqa: F811
    with client.session_transaction() as session:
        session["left_over"] = "from before the sign-in"
    response = sign_in(client, idp)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

    user = user_by_email(db, ADA)
    assert user is not None
    assert (user.name, user.role, user.status) == ("Ada Lovelace", Role.EMPLOYEE,
                                                   UserStatus.ACTIVE)
    assert user.password_hash is None
    assert group_names(user) == {"Marketing"}
    assert user.last_login_at is not None
    identity = db.scalar(select(SsoIdentity).where(SsoIdentity.user_id == user.id))
    assert (identity.issuer, identity.subject) == (idp.issuer, idp.state.person["sub"])
    assert identity.last_login_at is not None

    # a brand-new session, signed in as the new person
    assert signed_in_user_id(client) == user.id
    with client.session_transaction() as session:
        assert "left_over" not in session
        assert "sso_pending" not in session
    home = page(client.get("/"))
    assert "Ada Lovelace" in home
    assert "Welcome, Ada Lovelace!" in home

    [provisioned] = events(db, "user.sso_provisioned")
    assert provisioned.target_id == user.id
    assert provisioned.details["email"] == ADA
    assert [e.target_id for e in events(db, "user.sso_linked")] == [user.id]
    [login] = events(db, "auth.login_sso")
    assert login.target_id == user.id and login.details["issuer"] == idp.issuer
    assert [e.details for e in events(db, "user.sso_groups_synced")] == [
        {"added": [groups["Marketing"].id], "removed": []}]


def test_the_french_locale_claim_gives_a_french_account(app, db, client, idp, groups):  # noqa: F811
    idp.state.person.update(locale="fr-FR", name="", given_name="Émilie",
                            family_name="du Châtelet")
    assert sign_in(client, idp).status_code == 302
    user = user_by_email(db, ADA)
    assert (user.name, user.language) == ("Émilie du Châtelet", "fr")


def test_a_domain_that_is_not_allowed_is_refused_and_recorded(app, db, client, idp, groups):  # noqa: F811
    idp.state.person["email"] = "grace@navy.example"
    response = sign_in(client, idp)
    # 200 on purpose: the refusal is recorded
    assert response.status_code == 200
    html = page(response)
    assert 'data-testid="sso-refused"' in html
    assert "navy.example is not one of them" in html
    assert user_by_email(db, "grace@navy.example") is None
    assert signed_in_user_id(client) is None
    [refused] = events(db, "auth.sso_refused")
    assert refused.details == {"reason": "domain_not_allowed", "email": "grace@navy.example",
                               "domain": "navy.example"}
    assert db.scalar(select(SsoIdentity)) is None


def test_an_unverified_address_gets_no_account(app, db, client, idp, groups):  # noqa: F811
    idp.state.person["email_verified"] = False
    response = sign_in(client, idp)
    assert "has not verified your email address" in page(response)
    assert user_by_email(db, ADA) is None
    assert events(db, "auth.sso_refused")[0].details["reason"] == "email_not_verified"


def test_no_account_is_created_when_automatic_creation_is_off(app, db, client, idp, groups):  # noqa: F811
    bind(db)
    SsoSettingsFactory(auto_provision=False)  # the admin's setting; the rest is from env
    response = sign_in(client, idp)
    assert "No Relais account uses ada@acme.example" in page(response)
    assert user_by_email(db, ADA) is None
    assert events(db, "auth.sso_refused")[0].details["reason"] == "no_account"


def test_a_provider_that_sends_no_email_cannot_sign_in_a_new_person(app, db, client, idp,  # noqa: F811
                                                                    groups):
    del idp.state.person["email"]
    response = sign_in(client, idp)
    assert "did not tell Relais your email address" in page(response)
    assert db.scalar(select(SsoIdentity)) is None


# --- existing accounts ---------------------------------------------------------------------


def test_an_existing_person_is_linked_by_verified_email(app, db, client, idp, groups):  # noqa: F811
    person = UserFactory(email=ADA, name="Ada L.", role=Role.CURATOR)
    person.groups = [groups["Paris"]]
    db.flush()
    password_hash = person.password_hash
    assert sign_in(client, idp).status_code == 302

    user = user_by_email(db, ADA)
    assert user.id == person.id
    assert (user.name, user.role, user.password_hash) == ("Ada L.", Role.CURATOR,
                                                          password_hash)
    assert group_names(user) == {"Paris", "Marketing"}  # Paris is in no mapping: kept
    assert db.scalar(select(SsoIdentity.subject).where(SsoIdentity.user_id == user.id)) == \
        idp.state.person["sub"]
    assert events(db, "user.sso_provisioned") == []
    assert [e.target_id for e in events(db, "user.sso_linked")] == [user.id]
    assert signed_in_user_id(client) == user.id


def test_an_existing_person_is_not_linked_without_a_verified_email(app, db, client, idp,  # noqa: F811
                                                                   groups):
    person = UserFactory(email=ADA)
    for unverified in (False, None, "false"):
        idp.state.person["email_verified"] = unverified
        if unverified is None:
            del idp.state.person["email_verified"]
        response = sign_in(client, idp)
        assert response.status_code == 200
        assert "cannot be linked to your Relais account" in page(response)
    assert db.scalar(select(SsoIdentity)) is None
    assert signed_in_user_id(client) is None
    assert [e.target_id for e in events(db, "auth.sso_refused")] == [person.id] * 3


def test_a_verified_email_given_as_a_string_is_accepted(app, db, client, idp, groups):  # noqa: F811
    person = UserFactory(email=ADA)
    idp.state.person["email_verified"] = "true"
    assert sign_in(client, idp).status_code == 302
    assert signed_in_user_id(client) == person.id


def test_an_invited_person_joins_through_single_sign_on(app, db, client, idp, groups):  # noqa: F811
    person = UserFactory(email=ADA, status=UserStatus.INVITED, password_hash=None)
    issue_token(db, person, TokenPurpose.INVITE, timedelta(hours=72))
    assert sign_in(client, idp).status_code == 302
    user = user_by_email(db, ADA)
    assert user.status == UserStatus.ACTIVE
    token = db.scalar(select(AccountToken).where(AccountToken.user_id == person.id))
    assert token.revoked_at is not None  # the invitation link is of no more use
    assert events(db, "user.invitation_accepted")[0].details == {"via": "sso"}


@pytest.mark.parametrize("linked", [False, True], ids=["by-email", "by-identity"])
def test_a_deactivated_person_is_refused(app, db, client, idp, groups, linked):  # noqa: F811
    person = UserFactory(email=ADA, status=UserStatus.DEACTIVATED)
    if linked:
        bind(db)
        SsoIdentityFactory(user_id=person.id, issuer=idp.issuer,
                           subject=idp.state.person["sub"])
    response = sign_in(client, idp)
    assert response.status_code == 200
    assert "Your Relais account is deactivated" in page(response)
    assert signed_in_user_id(client) is None
    assert events(db, "auth.sso_refused")[0].details["reason"] == "deactivated"
    assert events(db, "auth.login_sso") == []
    identities = db.scalars(select(SsoIdentity)).all()
    assert len(identities) == (1 if linked else 0)  # no link made for a refused person


def test_a_person_linked_to_another_subject_is_not_relinked(app, db, client, idp, groups):  # noqa: F811
    person = UserFactory(email=ADA)
    bind(db)
    SsoIdentityFactory(user_id=person.id, issuer=idp.issuer, subject="someone-else")
    response = sign_in(client, idp)
    assert "already linked to another Acme ID account" in page(response)
    assert events(db, "auth.sso_refused")[0].details["reason"] == "subject_mismatch"
    assert signed_in_user_id(client) is None


def test_the_subject_decides_even_when_the_email_changed(app, db, client, idp, groups):  # noqa: F811
    assert sign_in(client, idp).status_code == 302
    first = user_by_email(db, ADA)
    client.post("/logout")
    idp.state.person["email"] = "ada.lovelace@acme.example"
    assert sign_in(client, idp).status_code == 302
    assert signed_in_user_id(client) == first.id
    assert user_by_email(db, "ada.lovelace@acme.example") is None
    assert len(db.scalars(select(User)).all()) == 1


# --- groups at every sign-in -----------------------------------------------------------------


def test_mapped_groups_follow_the_claim_and_other_groups_stay(app, db, client, idp, groups):  # noqa: F811
    assert sign_in(client, idp).status_code == 302
    user = user_by_email(db, ADA)
    user.groups = [*user.groups, groups["Paris"]]  # an admin adds a group no mapping names
    db.flush()
    client.post("/logout")

    idp.state.person["groups"] = ["acme-sales", "acme-unmapped"]
    assert sign_in(client, idp).status_code == 302
    user = user_by_email(db, ADA)
    assert group_names(user) == {"Sales", "Paris"}
    synced = events(db, "user.sso_groups_synced")[-1]
    assert synced.details == {"added": [groups["Sales"].id],
                              "removed": [groups["Marketing"].id]}

    client.post("/logout")
    idp.state.person["groups"] = []
    assert sign_in(client, idp).status_code == 302
    assert group_names(user_by_email(db, ADA)) == {"Paris"}


def test_unchanged_groups_record_nothing(app, db, client, idp, groups):  # noqa: F811
    sign_in(client, idp)
    client.post("/logout")
    sign_in(client, idp)
    assert len(events(db, "user.sso_groups_synced")) == 1
    assert len(events(db, "auth.login_sso")) == 2


def test_a_claim_that_is_not_released_changes_no_group(app, db, client, idp, groups):  # noqa: F811
    sign_in(client, idp)
    client.post("/logout")
    idp.state.groups_in = "nowhere"
    sign_in(client, idp)
    assert group_names(user_by_email(db, ADA)) == {"Marketing"}
    # the ID token lacked the claim: userinfo was asked, and did not have it either
    assert idp.calls_to("/userinfo") == 1


def test_groups_released_only_by_userinfo_are_used(app, db, client, idp, groups):  # noqa: F811
    idp.state.groups_in = "userinfo"
    idp.state.person["groups"] = ["acme-sales"]
    assert sign_in(client, idp).status_code == 302
    assert group_names(user_by_email(db, ADA)) == {"Sales"}
    assert idp.calls_to("/userinfo") == 1


def test_userinfo_about_another_subject_is_refused(app, db, client, idp, groups):  # noqa: F811
    idp.state.groups_in = "userinfo"
    idp.state.userinfo_sub = "someone-else"
    response = sign_in(client, idp)
    assert "did not work" in page(response)
    assert events(db, "auth.sso_failed")[0].details["reason"] == "userinfo_subject"
    assert user_by_email(db, ADA) is None


@pytest.mark.parametrize("claim", ["realm_access.roles", "https://acme.example/groups"])
def test_a_nested_or_namespaced_groups_claim(app, db, client, idp, groups, claim):  # noqa: F811
    bind(db)
    SsoSettingsFactory(groups_claim=claim)
    if claim == "realm_access.roles":
        idp.state.id_token_claims = {"realm_access": {"roles": ["acme-sales"]}}
    else:
        idp.state.id_token_claims = {claim: ["acme-sales"]}
    assert sign_in(client, idp).status_code == 302
    assert group_names(user_by_email(db, ADA)) == {"Sales"}


# --- state, cancellation, next ------------------------------------------------------------


def test_a_callback_that_did_not_start_here_is_refused(app, db, client, idp, groups):  # noqa: F811
    response = client.get("/login/sso/callback?code=abc&state=abc")
    assert response.status_code == 400
    assert "not valid any more" in page(response)
    assert idp.calls_to("/token") == 0


def test_a_forged_state_is_refused_and_uses_up_the_attempt(app, db, client, idp, groups):  # noqa: F811
    callback = approve(start(client, idp))
    assert back(client, callback.replace("state=", "state=forged")).status_code == 400
    assert idp.calls_to("/token") == 0  # the code was never exchanged
    assert back(client, callback).status_code == 400
    assert user_by_email(db, ADA) is None


def test_the_callback_works_once(app, db, client, idp, groups):  # noqa: F811
    callback = approve(start(client, idp))
    assert back(client, callback).status_code == 302
    client.post("/logout")
    assert back(client, callback).status_code == 400
    assert len(events(db, "auth.login_sso")) == 1


def test_an_attempt_left_open_too_long_expires(app, db, client, idp, groups):  # noqa: F811
    callback = approve(start(client, idp))
    with client.session_transaction() as session:
        pending = session["sso_pending"]
        pending["started_at"] = int(time.time()) - 11 * 60
        session["sso_pending"] = pending
    assert back(client, callback).status_code == 400
    assert signed_in_user_id(client) is None


def test_a_cancelled_sign_in_goes_back_to_the_sign_in_page(app, db, client, idp, groups):  # noqa: F811
    idp.fail("authorize")
    response = sign_in(client, idp)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Signing in with Acme ID was cancelled." in page(client.get("/login"))
    assert events(db, "auth.sso_failed")[0].details == {"reason": "provider_error",
                                                        "error": "access_denied"}
    assert idp.calls_to("/token") == 0


def test_a_failing_token_endpoint_shows_a_clear_page(app, db, client, idp, groups):  # noqa: F811
    idp.fail("token")
    response = sign_in(client, idp)
    assert response.status_code == 200
    assert "Signing in with Acme ID did not work" in page(response)
    assert events(db, "auth.sso_failed")[0].details["reason"] == "token_refused"
    assert signed_in_user_id(client) is None


def test_an_unreachable_provider_is_said_so(app, db, client, idp):  # noqa: F811
    idp.fail("discovery")
    response = client.get("/login/sso")
    assert response.status_code == 502
    assert "Acme ID cannot be reached right now" in page(response)


@pytest.mark.parametrize(("query", "expected"), [
    ("?next=/profile", "/profile"),
    ("?next=//evil.example/x", "/"),
    ("?next=https://evil.example/", "/"),
])
def test_next_is_followed_only_within_relais(app, client, idp, groups, query, expected):  # noqa: F811
    response = sign_in(client, idp, query)
    assert response.headers["Location"] == expected


def test_signing_in_replaces_someone_else_signed_in_on_the_browser(app, db, auth, idp,  # noqa: F811
                                                                   groups):
    # an attempt started before someone else signed in on this browser ends with the
    # provider's person signed in, in a new session, never mixed with the other one
    callback = approve(start(auth.client, idp))
    other = auth.as_role(Role.EMPLOYEE)
    auth.login(other)
    with auth.client.session_transaction() as session:
        assert "sso_pending" in session
    assert back(auth.client, callback).status_code == 302
    assert signed_in_user_id(auth.client) == user_by_email(db, ADA).id
