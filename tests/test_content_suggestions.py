"""Employee suggestions: the /suggest form, "My suggestions" and the outcome email."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from app.accounts.models import Role
from app.common.actor import Actor
from app.content import services
from app.content.models import ContentEvent, ContentItem, ContentOrigin, ContentStatus
from app.db import commit
from tests.factories import UserFactory

URL = "https://blog.acme.example/2026/our-new-office"


def _items(db) -> list[ContentItem]:
    return list(db.scalars(select(ContentItem).order_by(ContentItem.id)))


def _suggest_as(db, user, url=URL, comment="Worth it", title=""):
    return services.suggest(db, Actor(user.id), user, url=url, comment=comment, title=title)


def test_the_suggest_page_and_the_nav_entry(client, auth):
    auth.as_role(Role.EMPLOYEE)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/suggest"' in html and "Suggest a link" in html
    html = client.get("/suggest").get_data(as_text=True)
    assert 'data-testid="suggest-form"' in html and "My suggestions" in html
    assert "You have not suggested anything yet." in html


def test_a_suggestion_goes_to_review_with_its_suggester(db, client, auth):
    user = auth.as_role(Role.EMPLOYEE, language="fr")
    response = client.post("/suggest", data={"url": f"  {URL} ", "comment": " Our office! ",
                                             "title": ""})
    assert response.status_code == 302 and response.headers["Location"].endswith("/suggest")
    [item] = _items(db)
    assert item.status == ContentStatus.IN_REVIEW
    assert item.origin == ContentOrigin.SUGGESTION
    assert item.suggested_by_id == user.id and item.created_by_id == user.id
    assert item.url == URL and item.suggestion_comment == "Our office!"
    assert item.title == "blog.acme.example" and item.language == "fr"
    actions = list(db.scalars(select(ContentEvent.action).where(ContentEvent.item_id == item.id)
                              .order_by(ContentEvent.id)))
    assert actions == ["created", "submit"]
    html = client.get("/suggest").get_data(as_text=True)
    # the suggester reads French: the page speaks their language
    from flask_babel import force_locale, gettext

    with force_locale("fr"):
        thanks = gettext("Thanks! Your suggestion goes to the communications team for review.")
        in_review = gettext("in review")
    assert not thanks.startswith("Thanks!") and str(escape(thanks)) in html
    assert re.search(rf'data-testid="suggestion-status">{re.escape(str(escape(in_review)))}<',
                     html)
    assert "Our office!" in html


def test_the_title_is_optional_and_kept_when_given(db, client, auth):
    auth.as_role(Role.EMPLOYEE)
    client.post("/suggest", data={"url": URL, "comment": "c", "title": "Our new office"})
    assert _items(db)[0].title == "Our new office"


@pytest.mark.parametrize("data, message", [
    ({"url": URL, "comment": ""}, "This field is required."),
    ({"url": URL, "comment": "   "}, "This field is required."),
    ({"url": "", "comment": "nice"}, "This field is required."),
    ({"url": "not a link", "comment": "nice"}, "starting with https://"),
    ({"url": "javascript:alert(1)", "comment": "nice"}, "starting with https://"),
    ({"url": "ftp://files.acme.example/x", "comment": "nice"}, "starting with https://"),
    ({"url": URL, "comment": "x" * 2001}, "2000"),
])
def test_an_invalid_suggestion_is_refused_with_422(db, client, auth, data, message):
    auth.as_role(Role.EMPLOYEE)
    response = client.post("/suggest", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _items(db) == []
    assert db.scalar(select(func.count()).select_from(ContentEvent)) == 0


def test_my_suggestions_lists_only_my_own_with_their_outcome(db, client, auth):
    me = UserFactory()
    other = UserFactory()
    curator = UserFactory(role=Role.CURATOR)
    waiting = _suggest_as(db, me, url="https://a.acme.example/waiting", title="Waiting one")
    accepted = _suggest_as(db, me, url="https://a.acme.example/yes", title="Accepted one")
    declined = _suggest_as(db, me, url="https://a.acme.example/no", title="Declined one")
    _suggest_as(db, other, title="Somebody else's")
    services.approve(db, Actor(curator.id), curator, accepted)
    services.reject(db, Actor(curator.id), curator, declined, note="Off topic for us, sorry")
    auth.login(me)
    html = client.get("/suggest").get_data(as_text=True)
    assert "Somebody else" not in html
    rows = re.findall(r'data-testid="my-suggestion" data-item-id="(\d+)"', html)
    assert [int(r) for r in rows] == [declined.id, accepted.id, waiting.id]  # newest first
    statuses = re.findall(r'data-testid="suggestion-status">([^<]+)<', html)
    assert statuses == ["not accepted", "accepted", "in review"]
    assert html.count('data-testid="curator-note"') == 1
    assert "Off topic for us, sorry" in html

    auth.login(other)
    html = client.get("/suggest").get_data(as_text=True)
    assert "Somebody else" in html and "Waiting one" not in html


def test_a_scheduled_suggestion_counts_as_accepted(db, client, auth):
    from datetime import timedelta

    from app.db import utcnow

    me, curator = UserFactory(), UserFactory(role=Role.CURATOR)
    item = _suggest_as(db, me)
    item.publish_at = utcnow() + timedelta(days=2)
    services.approve(db, Actor(curator.id), curator, item)
    assert item.status == ContentStatus.SCHEDULED
    auth.login(me)
    html = client.get("/suggest").get_data(as_text=True)
    assert re.findall(r'data-testid="suggestion-status">([^<]+)<', html) == ["accepted"]


def test_the_latest_rejection_note_is_shown(db, client, auth):
    me, curator = UserFactory(), UserFactory(role=Role.CURATOR)
    item = _suggest_as(db, me)
    services.reject(db, Actor(curator.id), curator, item, note="First note")
    services.reopen(db, Actor(curator.id), item)
    services.submit_for_review(db, Actor(curator.id), item)
    services.reject(db, Actor(curator.id), curator, item, note="Second note")
    auth.login(me)
    html = client.get("/suggest").get_data(as_text=True)
    assert "Second note" in html and "First note" not in html


def test_an_approval_emails_the_suggester(db, app, mail, mailer):
    me = UserFactory(email="sam.suggest@acme.example", name="Sam Suggest")
    curator = UserFactory(role=Role.CURATOR)
    item = _suggest_as(db, me, title="Our new office")
    with app.test_request_context():  # a curator approves it from a page
        services.approve(db, Actor(curator.id), curator, item, mailer=mailer)
    assert item.status == ContentStatus.PUBLISHED
    commit(db)
    message = mail.wait_for("sam.suggest@acme.example")
    assert message["Subject"] == "Your suggestion was accepted"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Sam Suggest," in text and "Our new office" in text and URL in text


def test_a_rejection_emails_the_suggester_with_the_note(db, app, mail, mailer):
    me = UserFactory(email="rita.reject@acme.example")
    curator = UserFactory(role=Role.CURATOR)
    item = _suggest_as(db, me)
    with app.test_request_context():
        services.reject(db, Actor(curator.id), curator, item, note="Not this one",
                        mailer=mailer)
    commit(db)
    text = mail.wait_for("rita.reject@acme.example").get_body(
        preferencelist=("plain",)).get_content()
    assert "Not this one" in text


def test_the_suggester_cannot_approve_their_own_link(db):
    curator = UserFactory(role=Role.CURATOR)
    item = _suggest_as(db, curator)
    from app.common.errors import ServiceError

    with pytest.raises(ServiceError):
        services.approve(db, Actor(curator.id), curator, item)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CURATOR, Role.ADMIN])
def test_every_role_may_suggest(db, client, auth, role):
    user = auth.as_role(role)
    assert client.post("/suggest", data={"url": URL, "comment": "c"}).status_code == 302
    assert _items(db)[0].suggested_by_id == user.id


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.post("/suggest", data={"url": URL, "comment": "c"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
