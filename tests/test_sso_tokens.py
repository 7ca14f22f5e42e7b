"""The OpenID Connect client's checks (app/accounts/sso_protocol.py) against the fake
provider: the ID token's signature (published keys, RS256/ES256 only, key rotation) and
claims (iss, aud, azp, exp, iat, nonce, at_hash), the discovery document, the caches, and
the SSRF-safe fetcher's address rules."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from app.accounts import sso_protocol as oidc
from app.accounts.models import User
from app.common.fetcher import FetchPolicy
from tests.factories_sso import company, events, sign_in, signed_in_user_id
from tests.fake_idp import CLIENT_ID, fake_idp_server, idp  # noqa: F401


@pytest.fixture
def app_overrides(idp):  # noqa: F811
    return idp.config()


@pytest.fixture
def groups(db):
    return company(db)


def refused(db, client, response) -> str:
    """The failure page was shown, nobody was signed in or created; the recorded reason."""
    assert response.status_code == 200
    assert "did not work" in response.get_data(as_text=True)
    assert signed_in_user_id(client) is None
    db.expire_all()
    assert db.scalar(select(User)) is None
    [failed] = events(db, "auth.sso_failed")
    return failed.details["reason"]


NOW = int(time.time())


@pytest.mark.parametrize(("claims", "reason"), [
    ({"aud": "another-client"}, "bad_claim"),
    ({"aud": ["another-client", "a-third"]}, "bad_claim"),
    ({"aud": [CLIENT_ID, "another-client"], "azp": None}, "bad_claim"),
    ({"azp": "another-client"}, "bad_claim"),
    ({"iss": "https://evil.example/realms/acme"}, "bad_claim"),
    ({"exp": NOW - 3600}, "expired"),
    ({"exp": None}, "bad_claim"),
    ({"iat": NOW + 3600}, "bad_claim"),
    ({"iat": NOW - 3600}, "bad_claim"),
    ({"nonce": "a-nonce-from-another-sign-in"}, "bad_claim"),
    ({"nonce": None}, "bad_claim"),
    ({"sub": None}, "bad_claim"),
    ({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, "bad_claim"),
], ids=["aud", "aud-list", "several-aud-no-azp", "azp", "iss", "expired", "no-exp",
        "iat-future", "iat-old", "nonce", "no-nonce", "no-sub", "at_hash"])
def test_an_id_token_with_wrong_claims_is_refused(app, db, client, idp, groups, claims,  # noqa: F811
                                                  reason):
    idp.state.id_token_claims = claims
    assert refused(db, client, sign_in(client, idp)) == reason


def test_several_audiences_are_accepted_with_our_azp(app, db, client, idp, groups):  # noqa: F811
    idp.state.id_token_claims = {"aud": [CLIENT_ID, "another-client"], "azp": CLIENT_ID}
    assert sign_in(client, idp).status_code == 302


def test_a_small_clock_skew_is_tolerated(app, db, client, idp, groups):  # noqa: F811
    idp.state.id_token_claims = {"iat": int(time.time()) + 60}
    assert sign_in(client, idp).status_code == 302


@pytest.mark.parametrize(("how", "reason"), [
    ("stranger", "bad_signature"),  # a forger's key with a published kid
    ("hs256", "bad_algorithm"),  # HMAC with the client secret
    ("none", "bad_algorithm"),  # unsigned
])
def test_an_id_token_not_signed_by_the_provider_is_refused(app, db, client, idp, groups,  # noqa: F811
                                                           how, reason):
    idp.state.sign_with = how
    assert refused(db, client, sign_in(client, idp)) == reason


def test_a_token_whose_header_names_another_algorithm_than_its_key_is_refused(
        app, db, client, idp, groups):  # noqa: F811
    idp.state.header = {"kid": "ec-1"}  # signed RS256 by the RSA key, pointing at the EC key
    assert refused(db, client, sign_in(client, idp)) == "unknown_key"


def test_an_es256_id_token_is_accepted(app, db, client, idp, groups):  # noqa: F811
    idp.state.sign_with = "ec"
    assert sign_in(client, idp).status_code == 302


def test_rotated_keys_are_fetched_again_once(app, db, client, idp, groups):  # noqa: F811
    assert sign_in(client, idp).status_code == 302
    assert idp.calls_to("/certs") == 1
    client.post("/logout")
    idp.rotate_keys()  # the next token is signed with a kid Relais has not seen
    assert sign_in(client, idp).status_code == 302
    assert idp.calls_to("/certs") == 2
    client.post("/logout")
    assert sign_in(client, idp).status_code == 302
    assert idp.calls_to("/certs") == 2  # known now: from the cache


def test_an_unknown_key_after_a_fresh_fetch_is_refused(app, db, client, idp, groups):  # noqa: F811
    idp.state.header = {"kid": "never-published"}
    assert refused(db, client, sign_in(client, idp)) == "unknown_key"
    assert idp.calls_to("/certs") == 2


def test_discovery_and_keys_are_cached(app, db, client, idp, groups):  # noqa: F811
    for _ in range(3):
        assert sign_in(client, idp).status_code == 302
        client.post("/logout")
    assert idp.calls_to("/openid-configuration") == 1
    assert idp.calls_to("/certs") == 1


@pytest.mark.parametrize(("changes", "reason"), [
    ({"issuer": "https://login.acme.example/realms/acme"}, "issuer_mismatch"),
    ({"code_challenge_methods_supported": ["plain"]}, "unsupported"),
    ({"response_types_supported": ["id_token"]}, "unsupported"),
    ({"id_token_signing_alg_values_supported": ["HS256"]}, "unsupported"),
    ({"token_endpoint_auth_methods_supported": ["private_key_jwt"]}, "unsupported"),
    ({"jwks_uri": None}, "bad_metadata"),
    ({"token_endpoint": "ftp://127.0.0.1/token"}, "bad_metadata"),
])
def test_an_unusable_discovery_document_stops_the_sign_in(app, client, idp, changes, reason):  # noqa: F811
    idp.state.discovery = changes
    response = client.get("/login/sso")
    assert response.status_code == 502
    with pytest.raises(oidc.OidcError) as caught:
        oidc.discover(idp.issuer, oidc.ProtocolSettings.from_config(app.config),
                      use_cache=False)
    assert caught.value.reason == reason


def test_discovery_with_a_trailing_slash_and_client_secret_post(app, idp):  # noqa: F811
    idp.state.discovery = {"token_endpoint_auth_methods_supported": ["client_secret_post"]}
    settings = oidc.ProtocolSettings.from_config(app.config)
    metadata = oidc.discover(idp.issuer + "/", settings)
    assert metadata.issuer == idp.issuer  # the provider's own spelling
    assert metadata.token_auth_method == "client_secret_post"
    assert metadata.algorithms == ("RS256", "ES256")


def test_the_token_request_authenticates_in_the_form_when_asked(app, db, client, idp,  # noqa: F811
                                                                groups):
    idp.state.discovery = {"token_endpoint_auth_methods_supported": ["client_secret_post"]}
    assert sign_in(client, idp).status_code == 302


def test_production_requires_https_provider_urls(idp):  # noqa: F811
    settings = oidc.ProtocolSettings(policy=FetchPolicy(allow_loopback=True),
                                     require_https=True)
    with pytest.raises(oidc.OidcError) as caught:
        oidc.discover(idp.issuer, settings)
    assert caught.value.reason == "insecure_url"
    assert idp.calls_to("/openid-configuration") == 0


# --- the fetcher's address rules --------------------------------------------------------------


def test_loopback_is_refused_without_the_test_setting(idp):  # noqa: F811
    settings = oidc.ProtocolSettings(policy=FetchPolicy())  # production default
    with pytest.raises(oidc.OidcError) as caught:
        oidc.discover(idp.issuer, settings)
    assert caught.value.reason == "fetch_blocked_address"
    assert idp.calls_to("/openid-configuration") == 0


@pytest.mark.parametrize("url", ["http://10.0.0.7/token", "http://169.254.169.254/latest",
                                 "http://[::1]/token", "file:///etc/passwd",
                                 "http://user:pw@127.0.0.1/token"])
def test_the_token_request_obeys_the_address_rules(url):
    settings = oidc.ProtocolSettings(policy=FetchPolicy())
    metadata = oidc.ProviderMetadata(issuer="https://idp.acme.example",
                                     authorization_endpoint="https://idp.acme.example/a",
                                     token_endpoint=url, jwks_uri="https://idp.acme.example/k",
                                     userinfo_endpoint="", algorithms=("RS256",),
                                     token_auth_method="client_secret_basic")
    with pytest.raises(oidc.OidcError) as caught:
        oidc.exchange_code(metadata, settings, client_id="c", client_secret="s", code="x",
                           redirect_uri="https://relais.acme.example/cb", code_verifier="v")
    assert caught.value.reason.startswith("fetch_")


# --- small pieces -------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [
    ("", "openid"),
    ("email profile", "openid email profile"),
    ("profile,openid  email groups email", "openid profile email groups"),
])
def test_scopes_always_start_with_openid(given, expected):
    assert oidc.normalise_scopes(given) == expected


@pytest.mark.parametrize("value", [None, "text", {"state": "x"}, {"state": 1, "nonce": 2},
                                   {"state": "s", "nonce": "n", "code_verifier": "v",
                                    "issuer": "i", "started_at": "yesterday"}])
def test_a_damaged_pending_sign_in_is_ignored(value):
    assert oidc.PendingLogin.from_dict(value) is None


def test_a_pending_sign_in_round_trips():
    pending = oidc.PendingLogin.new("https://idp.acme.example", next_url="/profile")
    assert oidc.PendingLogin.from_dict(pending.as_dict()) == pending
    assert 43 <= len(pending.code_verifier) <= 128
