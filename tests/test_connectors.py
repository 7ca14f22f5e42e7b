"""Connectors against the fake LinkedIn and X (tests/fake_provider.py) on 127.0.0.1: the
OAuth2 dance through the Flask client, tokens encrypted at rest, posting now or later,
provider failures, automatic token refresh, disconnection, the address rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from app.accounts.models import Role
from app.content.models import ContentItem, ContentStatus
from app.sharing import crypto
from app.sharing.connectors import ConnectorError, configured_connectors, get_connector
from app.sharing.models import ConnectedAccount, Share, ShareMethod, ShareStatus
from tests.factories import UserFactory
from tests.fake_provider import fake, fake_provider_server  # noqa: F401

AUTHORIZE_PATHS = {"linkedin": "/oauth/v2/authorization", "x": "/i/oauth2/authorize"}


@pytest.fixture
def app_overrides(fake):  # noqa: F811
    return fake.config()


def make_item(db, **fields) -> ContentItem:
    n = make_item.n = getattr(make_item, "n", 0) + 1
    fields.setdefault("title", f"Connector item {n}")
    fields.setdefault("status", ContentStatus.PUBLISHED)
    fields.setdefault("published_at", datetime.now(UTC) - timedelta(hours=1))
    item = ContentItem(url=f"https://www.acme.example/news/c{n}", slug=f"connector-item-{n}",
                       **fields)
    db.add(item)
    db.flush()
    return item


def browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def start(client, fake, network):  # noqa: F811
    """GET /connect/<network>: the redirect to the provider's consent page."""
    response = client.get(f"/connect/{network}")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(fake.base_url + AUTHORIZE_PATHS[network] + "?")
    return location


def consent(authorize_url: str) -> str:
    """The person approves at the provider, which sends the browser back with a code."""
    answer = browser().get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def back(client, callback_url: str):
    parts = urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://relais.test"  # BASE_URL
    return client.get(f"{parts.path}?{parts.query}")


def connect(client, fake, network):  # noqa: F811
    return back(client, consent(start(client, fake, network)))


def account_of(db, user, network) -> ConnectedAccount | None:
    db.expire_all()
    return db.scalar(select(ConnectedAccount).where(ConnectedAccount.user_id == user.id,
                                                    ConnectedAccount.network == network))


# --- connecting ----------------------------------------------------------------------------


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_the_oauth_dance_stores_the_account_with_encrypted_tokens(app, db, auth, fake,  # noqa: F811
                                                                   network):
    user = auth.as_role(Role.EMPLOYEE)
    response = connect(auth.client, fake, network)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/profile/social")

    account = account_of(db, user, network)
    expected = fake.state.users[network]
    assert account.external_id == (expected["sub"] if network == "linkedin" else expected["id"])
    assert "Ada Lovelace" in account.display_name
    assert account.followers == expected["followers"]
    assert account.followers_updated_at is not None
    assert account.status == "ok"
    assert account.expires_at > datetime.now(UTC)

    [access] = fake.state.access
    [refresh] = fake.state.refresh
    row = {c.key: str(getattr(account, c.key)) for c in ConnectedAccount.__table__.columns}
    assert not any(access in value or refresh in value for value in row.values())
    assert crypto.decrypt(account.access_token_enc) == access
    assert crypto.decrypt(account.refresh_token_enc) == refresh

    page = auth.client.get("/profile/social").get_data(as_text=True)
    assert "Ada Lovelace" in page
    assert "Disconnect" in page


def test_x_authorization_carries_a_pkce_challenge_and_the_state(app, auth, fake):  # noqa: F811
    auth.as_role(Role.EMPLOYEE)
    query = parse_qs(urlsplit(start(auth.client, fake, "x")).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert set(query["scope"][0].split()) == {"tweet.read", "tweet.write", "users.read",
                                              "offline.access"}
    with auth.client.session_transaction() as session:
        pending = session["oauth_connect"]
    assert query["state"] == [pending["state"]]
    assert query["redirect_uri"] == ["http://relais.test/connect/x/callback"]
    assert query["code_challenge"][0] != pending["verifier"]  # only the hash leaves


def test_the_fake_provider_refuses_a_wrong_pkce_verifier(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    callback = consent(start(auth.client, fake, "x"))
    with auth.client.session_transaction() as session:
        pending = session["oauth_connect"]
        pending["verifier"] = "x" * 64
        session["oauth_connect"] = pending
    response = back(auth.client, callback)
    assert response.status_code == 502
    assert "authorization code was invalid" in response.get_data(as_text=True)
    assert account_of(db, user, "x") is None


def test_a_state_mismatch_is_refused(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    callback = consent(start(auth.client, fake, "linkedin"))
    forged = callback.replace("state=", "state=forged")
    response = back(auth.client, forged)
    assert response.status_code == 400
    assert "not valid any more" in response.get_data(as_text=True)
    assert account_of(db, user, "linkedin") is None
    assert fake.calls_to("/oauth/v2/accessToken") == 0  # the code was never exchanged
    # the pending attempt is used up: the genuine answer arriving later is refused too
    assert back(auth.client, callback).status_code == 400


def test_a_callback_without_a_pending_attempt_or_for_another_network_is_refused(
        app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    assert auth.client.get("/connect/x/callback?code=abc&state=abc").status_code == 400
    callback = consent(start(auth.client, fake, "linkedin"))
    response = back(auth.client, callback.replace("/connect/linkedin/", "/connect/x/"))
    assert response.status_code == 400
    assert account_of(db, user, "x") is None


def test_a_refused_consent_connects_nothing(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    fake.fail("authorize", 403, {})
    response = back(auth.client, consent(start(auth.client, fake, "linkedin")))
    assert response.status_code == 302
    assert account_of(db, user, "linkedin") is None
    page = auth.client.get("/profile/social").get_data(as_text=True)
    assert "was cancelled" in page


def test_one_external_account_cannot_be_connected_by_two_people(app, db, auth, fake):  # noqa: F811
    auth.as_role(Role.EMPLOYEE)
    assert connect(auth.client, fake, "x").status_code == 302
    other = auth.as_role(Role.EMPLOYEE)
    response = connect(auth.client, fake, "x")
    assert response.status_code == 409
    assert "already connected by someone else" in response.get_data(as_text=True)
    assert account_of(db, other, "x") is None


def test_reconnecting_renews_the_tokens_of_the_same_account(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "linkedin")
    first = account_of(db, user, "linkedin")
    first_id, first_token = first.id, crypto.decrypt(first.access_token_enc)
    fake.state.users["linkedin"]["followers"] = 400
    connect(auth.client, fake, "linkedin")
    again = account_of(db, user, "linkedin")
    assert again.id == first_id
    assert crypto.decrypt(again.access_token_enc) != first_token
    assert again.followers == 400


def test_followers_stay_unknown_when_linkedin_refuses_the_count(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    fake.fail("followers", 403, {"status": 403, "code": "ACCESS_DENIED",
                                 "message": "Not enough permissions"})
    assert connect(auth.client, fake, "linkedin").status_code == 302
    account = account_of(db, user, "linkedin")
    assert account.followers == 0
    assert account.followers_updated_at is None


def test_unknown_or_unconfigured_networks_are_404(app, auth, fake):  # noqa: F811
    auth.as_role(Role.EMPLOYEE)
    assert auth.client.get("/connect/facebook").status_code == 404
    assert auth.client.get("/connect/sample-token/callback").status_code == 404
    app.config["X_CLIENT_ID"] = ""
    assert auth.client.get("/connect/x").status_code == 404
    assert [c.name for c in configured_connectors()] == ["linkedin"]
    page = auth.client.get("/profile/social").get_data(as_text=True)
    assert "Connect LinkedIn" in page
    assert "Connect X" not in page


def test_without_any_client_id_the_card_is_hidden(app, auth):
    app.config["X_CLIENT_ID"] = app.config["LINKEDIN_CLIENT_ID"] = ""
    auth.as_role(Role.EMPLOYEE)
    page = auth.client.get("/profile/social").get_data(as_text=True)
    assert "Connected accounts" not in page


def test_disconnect_removes_the_account(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "x")
    assert account_of(db, user, "x") is not None
    response = auth.client.post("/connect/x/disconnect")
    assert response.status_code == 302
    assert account_of(db, user, "x") is None
    assert auth.client.post("/connect/x/disconnect").status_code == 404


# --- posting -----------------------------------------------------------------------------


def share_api(client, item, network, **form):
    data = {"network": network, "when": "now", "next": f"/share/{item.id}"}
    data.update(form)
    return client.post(f"/share/{item.id}/api", data=data)


def last_share(db, user) -> Share:
    db.expire_all()
    return db.scalars(select(Share).where(Share.user_id == user.id).order_by(Share.id.desc())
                      ).first()


def test_post_now_on_x_posts_the_text_with_the_tracked_link(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "x")
    item = make_item(db, hashtags="acme")
    response = share_api(auth.client, item, "x", text="Proud of this launch")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/share/{item.id}")

    share = last_share(db, user)
    assert share.method == ShareMethod.API
    assert share.status == ShareStatus.POSTED
    assert share.posted_at is not None
    assert share.reach == 1234
    link = f"http://relais.test/r/{share.code}"
    post = fake.state.posts[share.external_post_id]
    assert post["text"].startswith("Proud of this launch\n\n#acme")
    assert post["text"].endswith(link)
    assert share.connected_account_id == account_of(db, user, "x").id


def test_post_now_on_linkedin_sends_commentary_and_the_article_link(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "linkedin")
    item = make_item(db, title="Our results (Q3)")
    share_api(auth.client, item, "linkedin", text="Great quarter (really) #proud")
    share = last_share(db, user)
    assert share.status == ShareStatus.POSTED, share.failure_reason
    assert share.external_post_id.startswith("urn:li:share:")
    post = fake.state.posts[share.external_post_id]
    link = f"http://relais.test/r/{share.code}"
    assert post["link"] == link
    assert post["title"] == "Our results (Q3)"
    assert link in post["text"]
    assert post["text"].startswith("Great quarter (really) #proud")
    assert r"\(really\) \#proud" in post["raw"]  # little-text escapes on the wire


def test_a_provider_failure_fails_the_share_with_its_reason(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "x")
    item = make_item(db)
    fake.fail("post", 403, {"title": "Forbidden", "status": 403, "type": "about:blank",
                            "detail": "You are not allowed to create a Tweet with duplicate "
                                      "content."})
    response = share_api(auth.client, item, "x", text="Hello")
    assert response.status_code == 302
    share = last_share(db, user)
    assert share.status == ShareStatus.FAILED
    assert share.external_post_id is None
    assert "X answered 403" in share.failure_reason
    assert "duplicate content" in share.failure_reason
    page = auth.client.get("/profile/social").get_data(as_text=True)  # the flash is shown
    assert "duplicate content" in page


def test_an_unreachable_provider_fails_the_share(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "x")
    app.config["X_API_BASE"] = "http://127.0.0.1:9"  # discard port: nothing listens
    share_api(auth.client, make_item(db), "x", text="Hello")
    share = last_share(db, user)
    assert share.status == ShareStatus.FAILED
    assert share.failure_reason == "The network could not be reached."


def test_an_expired_token_is_refreshed_before_posting(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "x")
    account = account_of(db, user, "x")
    old_access = crypto.decrypt(account.access_token_enc)
    old_refresh = crypto.decrypt(account.refresh_token_enc)
    account.expires_at = datetime.now(UTC) - timedelta(minutes=5)
    db.flush()
    fake.expire_access_tokens("x")

    share_api(auth.client, make_item(db), "x", text="Hello")
    share = last_share(db, user)
    assert share.status == ShareStatus.POSTED, share.failure_reason
    account = account_of(db, user, "x")
    assert crypto.decrypt(account.access_token_enc) != old_access
    assert crypto.decrypt(account.refresh_token_enc) != old_refresh  # X rotates it
    assert account.expires_at > datetime.now(UTC) + timedelta(hours=1)
    assert fake.calls_to("/2/oauth2/token") == 2  # the code, then one refresh


def test_a_token_revoked_early_is_refreshed_once_and_the_post_retried(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "linkedin")
    fake.expire_access_tokens("linkedin")  # our expires_at still says it is valid
    share_api(auth.client, make_item(db), "linkedin", text="Hello")
    share = last_share(db, user)
    assert share.status == ShareStatus.POSTED, share.failure_reason
    assert fake.calls_to("/rest/posts") == 2
    account = account_of(db, user, "linkedin")
    assert account.status == "ok"


def test_a_failed_refresh_fails_the_share_and_flags_the_account(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "x")
    account = account_of(db, user, "x")
    account.expires_at = datetime.now(UTC) - timedelta(minutes=5)
    db.flush()
    fake.state.refresh.clear()  # revoked at the provider
    share_api(auth.client, make_item(db), "x", text="Hello")
    share = last_share(db, user)
    assert share.status == ShareStatus.FAILED
    assert "Invalid refresh token" in share.failure_reason
    assert account_of(db, user, "x").status.startswith("refresh failed")
    page = auth.client.get("/profile/social").get_data(as_text=True)
    assert "Reconnect" in page


def test_scheduling_stores_the_time_in_utc_from_the_persons_zone(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE, timezone="Europe/Paris")
    connect(auth.client, fake, "x")
    local = (datetime.now(UTC) + timedelta(days=2)).astimezone().replace(tzinfo=None)
    when = datetime(local.year, local.month, local.day, 9, 30)
    share_api(auth.client, make_item(db), "x", text="Later", when="later",
              scheduled_at=when.strftime("%Y-%m-%dT%H:%M"))
    share = last_share(db, user)
    assert share.status == ShareStatus.SCHEDULED
    from zoneinfo import ZoneInfo

    assert share.scheduled_for == when.replace(tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)
    assert fake.state.posts == {}


def test_scheduling_in_the_past_is_refused(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "x")
    share_api(auth.client, make_item(db), "x", text="Later", when="later",
              scheduled_at="2020-01-01T09:00")
    assert last_share(db, user) is None


def test_posting_needs_a_connected_account_and_a_shareable_item(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    item = make_item(db)
    share_api(auth.client, item, "x", text="Hello")
    assert last_share(db, user) is None
    connect(auth.client, fake, "x")
    draft = make_item(db, status=ContentStatus.DRAFT)
    share_api(auth.client, draft, "x", text="Hello")
    assert last_share(db, user) is None
    assert auth.client.post("/share/999999/api", data={"network": "x"}).status_code == 404
    assert fake.state.posts == {}


def test_disconnecting_fails_the_shares_still_scheduled(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "x")
    when = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    share_api(auth.client, make_item(db), "x", text="Later", when="later", scheduled_at=when)
    auth.client.post("/connect/x/disconnect")
    share = last_share(db, user)
    assert share.status == ShareStatus.FAILED
    assert "disconnected" in share.failure_reason


def test_the_share_page_partial_offers_posting_through_the_account(app, db, auth, fake):  # noqa: F811
    auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "x")
    item = make_item(db)
    page = auth.client.get(f"/share/{item.id}?network=x").get_data(as_text=True)
    assert f'action="/share/{item.id}/api"' in page
    assert 'name="csrf_token"' in page
    assert 'type="datetime-local"' in page


# --- keys and addresses ----------------------------------------------------------------------


def test_a_changed_key_asks_to_reconnect(app, db, auth, fake):  # noqa: F811
    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "x")
    app.config["TOKEN_ENCRYPTION_KEY"] = "A" * 43 + "="
    share_api(auth.client, make_item(db), "x", text="Hello")
    share = last_share(db, user)
    assert share.status == ShareStatus.FAILED
    assert "connect it again" in share.failure_reason


def test_tokens_are_encrypted_with_the_configured_key_or_a_derived_one(app):
    derived = crypto.encrypt("secret-token", {"SECRET_KEY": "k" * 40})
    assert "secret-token" not in derived
    assert crypto.decrypt(derived, {"SECRET_KEY": "k" * 40}) == "secret-token"
    with pytest.raises(crypto.TokenDecryptError):
        crypto.decrypt(derived, {"SECRET_KEY": "other" * 10})
    assert crypto.derive_key("k" * 40) != crypto.derive_key("l" * 40)
    key = "B" * 43 + "="
    configured = crypto.encrypt("secret-token", {"SECRET_KEY": "k" * 40,
                                                 "TOKEN_ENCRYPTION_KEY": key})
    with pytest.raises(crypto.TokenDecryptError):
        crypto.decrypt(configured, {"SECRET_KEY": "k" * 40})
    with pytest.raises(RuntimeError):
        crypto.encrypt("x", {"SECRET_KEY": "k" * 40, "ENV": "production"})
    assert crypto.encrypt("", {"SECRET_KEY": "k"}) == ""


def test_production_needs_a_valid_token_key_when_a_connector_is_configured():
    from config import Config, ConfigError

    env = {"RELAIS_ENV": "production", "SECRET_KEY": "s" * 40,
           "BASE_URL": "https://relais.example", "X_CLIENT_ID": "abc"}
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEY"):
        Config.from_env(env)
    with pytest.raises(ConfigError, match="Fernet key"):
        Config.from_env({**env, "TOKEN_ENCRYPTION_KEY": "short"})
    cfg = Config.from_env({**env, "TOKEN_ENCRYPTION_KEY": "C" * 43 + "="})
    assert cfg.X_CLIENT_ID == "abc"
    assert cfg.X_API_BASE == "https://api.x.com"


@pytest.mark.parametrize("base", ["http://10.0.0.5", "http://169.254.169.254",
                                  "http://[::1]:8080", "ftp://api.example"])
def test_configured_endpoints_must_be_public_addresses(app, base):
    config = {**app.config, "X_API_BASE": base, "FETCH_ALLOW_LOOPBACK": False}
    connector = get_connector("x", config)
    with pytest.raises(ConnectorError) as caught:
        connector.fetch_profile("token")
    assert caught.value.code == "refused"


def test_loopback_is_refused_unless_the_tests_allow_it(app, fake):  # noqa: F811
    connector = get_connector("x", {**app.config, "FETCH_ALLOW_LOOPBACK": False})
    with pytest.raises(ConnectorError) as caught:
        connector.refresh("some-refresh-token")
    assert caught.value.code == "refused"
    assert fake.state.calls == []


def test_share_intent_and_limits_come_from_the_networks(app):
    x = get_connector("x")
    assert x.char_limit == 280
    assert x.share_intent("Hi", "https://r.example/abc").startswith("https://x.com/intent/post?")
    assert get_connector("linkedin").char_limit == 3000
    assert get_connector("facebook") is None


def test_a_second_user_cannot_act_on_someone_elses_connection(app, db, auth, fake):  # noqa: F811
    owner = UserFactory()
    auth.login(owner)
    connect(auth.client, fake, "x")
    auth.as_role(Role.EMPLOYEE)
    assert auth.client.post("/connect/x/disconnect").status_code == 404
    assert account_of(db, owner, "x") is not None
