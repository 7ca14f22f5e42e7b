"""The signed-in person's own account through HTTP: profile, language switch, social
accounts (only one's own) and the data export (GDPR)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.accounts.models import Network, Role, SocialAccount
from tests import factories


@pytest.fixture
def me(auth, db):
    return auth.login(factories.UserFactory(email="mia@acme.test", name="Mia Wallace",
                                            language="en", timezone="UTC"))


def fresh(db, obj):
    db.expire_all()
    return obj


# --- profile ---------------------------------------------------------------------------


def test_profile_page_shows_the_current_values(client, db, me):
    topic = factories.TopicFactory(name="Cloud")
    me.topics = [topic]
    db.flush()
    response = client.get("/profile")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="Mia Wallace"' in html
    assert "mia@acme.test" in html
    assert f'<option selected value="{topic.id}">Cloud</option>' in html


def test_profile_update_saves_name_language_timezone_and_topics(client, db, me):
    cloud, security, ai = (factories.TopicFactory(name=n) for n in ("Cloud", "Security", "AI"))
    response = client.post("/profile", data={
        "name": "  Mia W.  ", "language": "fr", "timezone": "Europe/Paris",
        "topic_ids": [str(cloud.id), str(ai.id)]})
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    fresh(db, me)
    assert me.name == "Mia W."
    assert me.language == "fr"
    assert me.timezone == "Europe/Paris"
    assert sorted(t.name for t in me.topics) == ["AI", "Cloud"]
    with client.session_transaction() as session:
        assert session["lang"] == "fr"
    # the next page speaks French
    page = client.get("/profile")
    assert '<html lang="fr">' in page.get_data(as_text=True)

    # topics can be emptied again
    assert client.post("/profile", data={"name": "Mia W.", "language": "en",
                                         "timezone": "Europe/Paris"}).status_code == 302
    assert fresh(db, me).topics == []
    assert security.id  # untouched topics still exist


@pytest.mark.parametrize("field, value", [
    ("timezone", "Mars/Olympus_Mons"),
    ("timezone", ""),
    ("language", "de"),
    ("name", ""),
])
def test_invalid_profile_values_are_refused(client, db, me, field, value):
    data = {"name": "Mia", "language": "en", "timezone": "Europe/Paris"}
    data[field] = value
    response = client.post("/profile", data=data)
    assert response.status_code == 422
    assert "is-invalid" in response.get_data(as_text=True)
    fresh(db, me)
    assert (me.name, me.language, me.timezone) == ("Mia Wallace", "en", "UTC")


def test_unknown_topic_is_refused(client, db, me):
    response = client.post("/profile", data={"name": "Mia", "language": "en",
                                             "timezone": "UTC", "topic_ids": ["999999"]})
    assert response.status_code == 422
    assert fresh(db, me).topics == []


def test_profile_needs_sign_in(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    response = client.post("/profile", data={"name": "x", "language": "en", "timezone": "UTC"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- language switch -------------------------------------------------------------------


def test_language_switch_anonymous_sets_the_session_language(client):
    response = client.post("/language", data={"lang": "fr", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    with client.session_transaction() as session:
        assert session["lang"] == "fr"
    page = client.get("/login")
    assert '<html lang="fr">' in page.get_data(as_text=True)


def test_language_switch_signed_in_saves_the_users_language(client, db, me):
    response = client.post("/language", data={"lang": "fr", "next": "/profile"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    assert fresh(db, me).language == "fr"
    with client.session_transaction() as session:
        assert session["lang"] == "fr"
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages_and_foreign_next(client, db, me):
    response = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert fresh(db, me).language == "en"
    with client.session_transaction() as session:
        assert "lang" not in session


def test_language_switch_is_post_only(client):
    assert client.get("/language?lang=fr").status_code == 405


# --- social accounts -------------------------------------------------------------------


def my_accounts(db, user):
    db.expire_all()
    return list(db.scalars(select(SocialAccount).where(SocialAccount.user_id == user.id)
                           .order_by(SocialAccount.network)))


def test_social_account_add_update_and_delete(client, db, me):
    response = client.post("/profile/social", data={
        "network": "linkedin", "handle": "mia-wallace",
        "profile_url": "https://www.linkedin.com/in/mia-wallace", "followers": "512"})
    assert response.status_code == 302
    (account,) = my_accounts(db, me)
    account_id = account.id
    assert (account.network, account.handle, account.followers) == (Network.LINKEDIN,
                                                                    "mia-wallace", 512)
    page = client.get("/profile/social").get_data(as_text=True)
    assert "mia-wallace" in page and "512" in page

    # the same network again updates the account
    client.post("/profile/social", data={"network": "linkedin", "handle": "mia-w",
                                         "profile_url": "", "followers": "600"})
    (updated,) = my_accounts(db, me)
    assert updated.id == account_id
    assert (updated.handle, updated.profile_url, updated.followers) == ("mia-w", "", 600)

    client.post("/profile/social", data={"network": "mastodon", "handle": "@mia@fosstodon.org",
                                         "followers": "40"})
    assert [a.network for a in my_accounts(db, me)] == [Network.LINKEDIN, Network.MASTODON]

    response = client.post(f"/profile/social/{account_id}/delete")
    assert response.status_code == 302
    assert [a.network for a in my_accounts(db, me)] == [Network.MASTODON]
    # deleting it twice: it is gone
    assert client.post(f"/profile/social/{account_id}/delete").status_code == 404


@pytest.mark.parametrize("data, error", [
    ({"network": "x", "handle": "", "followers": "1"}, "This field is required."),
    ({"network": "x", "handle": "mia", "profile_url": "javascript:alert(1)", "followers": "1"},
     "The profile link must start with https://"),
    ({"network": "x", "handle": "mia", "followers": "-5"}, "Number must be between"),
    ({"network": "myspace", "handle": "mia", "followers": "1"}, "Not a valid choice"),
])
def test_invalid_social_account_is_refused(client, db, me, data, error):
    response = client.post("/profile/social", data=data)
    assert response.status_code == 422
    assert error in response.get_data(as_text=True)
    assert my_accounts(db, me) == []


def test_cannot_delete_someone_elses_social_account(client, db, me):
    other = factories.UserFactory(email="vincent@acme.test")
    theirs = SocialAccount(user_id=other.id, network=Network.X, handle="vincent")
    db.add(theirs)
    db.flush()
    response = client.post(f"/profile/social/{theirs.id}/delete")
    assert response.status_code == 404
    assert [a.id for a in my_accounts(db, other)] == [theirs.id]
    assert "vincent" not in client.get("/profile/social").get_data(as_text=True)


def test_delete_is_post_only(client, db, me):
    account = SocialAccount(user_id=me.id, network=Network.X, handle="mia")
    db.add(account)
    db.flush()
    assert client.get(f"/profile/social/{account.id}/delete").status_code == 405
    assert len(my_accounts(db, me)) == 1


# --- data export -----------------------------------------------------------------------


def test_data_export_is_a_json_download_of_my_data(client, db, auth):
    from app.accounts.models import GroupKind, PolicyAcceptance

    manager = factories.UserFactory(role=Role.MANAGER, name="Marsellus")
    me = factories.UserFactory(email="mia@acme.test", name="Mia Wallace", manager=manager)
    me.groups = [factories.GroupFactory(name="Marketing", kind=GroupKind.DEPARTMENT)]
    me.topics = [factories.TopicFactory(name="Cloud")]
    policy = factories.PolicyFactory()
    db.add(PolicyAcceptance(user_id=me.id, policy_version_id=policy.id))
    me.accepted_policy_version = policy.version
    db.add(SocialAccount(user_id=me.id, network=Network.LINKEDIN, handle="mia-wallace",
                         followers=12))
    other = factories.UserFactory(email="butch@acme.test", name="Butch")
    db.add(SocialAccount(user_id=other.id, network=Network.X, handle="butch"))
    db.flush()
    # a real sign-in, so that the activity log has something of mine
    response = client.post("/login", data={"email": "mia@acme.test",
                                            "password": factories.PASSWORD})
    assert response.status_code == 302

    response = client.get("/profile/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="relais-my-data-' in disposition and disposition.endswith('.json"')

    data = json.loads(response.get_data(as_text=True))
    for key in ("account", "groups", "topics", "social_accounts", "policy_acceptances",
                "activity_log"):
        assert key in data
    assert data["format"] == "relais-export-1"
    assert data["account"]["email"] == "mia@acme.test"
    assert data["account"]["name"] == "Mia Wallace"
    assert data["account"]["manager"] == {"id": manager.id, "name": "Marsellus"}
    assert "password_hash" not in json.dumps(data)
    assert data["groups"] == [{"kind": "department", "name": "Marketing"}]
    assert data["topics"] == ["Cloud"]
    assert [(a["network"], a["handle"], a["followers"]) for a in data["social_accounts"]] == [
        ("linkedin", "mia-wallace", 12)]
    assert [a["version"] for a in data["policy_acceptances"]] == [policy.version]
    assert "auth.login" in [e["action"] for e in data["activity_log"]]
    # nobody else's data
    text = response.get_data(as_text=True)
    assert "butch" not in text.lower()


def test_data_export_needs_sign_in(client):
    response = client.get("/profile/export.json")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
