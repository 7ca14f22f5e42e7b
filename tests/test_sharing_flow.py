"""The share flow: the share page (network picker, suggested text, counter, appended
hashtags and disclaimer, reach), sharing by intent on each network, locked texts, limits,
refusals from the one decision point, the tracked link and its UTM target, and the queue."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from app.accounts.models import Network, Role, SocialAccount
from app.content.models import ContentItem, ContentStatus, ContentText
from app.content.networks import compose
from app.db import utcnow
from app.sharing import services
from app.sharing.models import ConnectedAccount, Share, ShareMethod, ShareStatus
from app.sharing.networks import intent_url
from tests.factories import GroupFactory, UserFactory

_n = itertools.count(1)

LINKEDIN_TEXT = "We opened a new region <3"
X_TEXT = "New region, closer to you."


def make_item(db, *, status=ContentStatus.PUBLISHED, groups=(), texts=None, **fields):
    n = next(_n)
    fields.setdefault("published_at", utcnow() - timedelta(hours=1)
                      if status == ContentStatus.PUBLISHED else None)
    fields.setdefault("url", f"https://www.acme.example/news/{n}?ref=home")
    item = ContentItem(slug=f"share-item-{n}", title=fields.pop("title", f"Share item {n}"),
                       status=status, **fields)
    item.groups = list(groups)
    texts = {"linkedin": LINKEDIN_TEXT, "x": X_TEXT} if texts is None else texts
    for network, text in texts.items():
        item.texts.append(ContentText(network=network, text=text))
    db.add(item)
    db.flush()
    return item


def shares_of(db, user) -> list[Share]:
    db.expire_all()
    return list(db.scalars(select(Share).where(Share.user_id == user.id).order_by(Share.id)))


def tracked(share: Share) -> str:
    return f"http://relais.test/r/{share.code}"


@pytest.fixture
def me(auth, db):
    user = auth.as_role(Role.EMPLOYEE)
    db.add(SocialAccount(user_id=user.id, network=Network.LINKEDIN, handle="me", followers=1200))
    db.add(SocialAccount(user_id=user.id, network=Network.X, handle="@me", followers=345))
    db.flush()
    return user


# --- the share page ---------------------------------------------------------------------------


def test_the_share_page_shows_the_text_the_counter_and_the_reach(db, client, me):
    item = make_item(db, hashtags="cloud acme", disclaimer="I work at Acme.")
    response = client.get(f"/share/{item.id}?network=linkedin")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # the network picker: every network, the chosen one active
    assert re.findall(r'class="nav-link[^"]*" href="/share/\d+\?network=(\w+)"', html) == [
        "linkedin", "x", "facebook", "email"]
    assert re.search(r'class="nav-link active" href="/share/\d+\?network=linkedin"', html)
    # the suggested text, escaped and editable; hashtags and disclaimer shown read-only
    area = re.search(r"<textarea[^>]*data-share-text[^>]*>(.*?)</textarea>", html, re.S)
    assert area.group(1) == "We opened a new region &lt;3"
    assert "readonly" not in area.group(0)
    assert 'data-limit="3000"' in area.group(0)
    assert "#cloud #acme" in html and "I work at Acme." in html
    assert 'data-testid="share-counter"' in html and "/ 3000" in html
    assert 'data-testid="reach">1,200<' in html
    assert "Open LinkedIn" in html
    assert "/static/js/share.js" in html and "<script>" not in html


def test_on_x_the_counter_counts_links_as_23(db, client, me):
    item = make_item(db)
    html = client.get(f"/share/{item.id}?network=x").get_data(as_text=True)
    area = re.search(r"<textarea[^>]*data-share-text[^>]*>(.*?)</textarea>", html, re.S)
    assert area.group(1) == X_TEXT
    assert 'data-limit="280"' in area.group(0) and 'data-link-weight="23"' in area.group(0)
    assert 'data-wide-double="1"' in area.group(0)
    assert 'data-testid="reach">345<' in html


def test_the_default_network_is_the_first_with_text_and_the_title_stands_in(db, client, me):
    only_x = make_item(db, texts={"x": "Only on X"})
    html = client.get(f"/share/{only_x.id}").get_data(as_text=True)
    assert re.search(r'class="nav-link active" href="/share/\d+\?network=x"', html)
    bare = make_item(db, texts={}, title="Plain title")
    html = client.get(f"/share/{bare.id}?network=nope").get_data(as_text=True)
    assert re.search(r'class="nav-link active" href="/share/\d+\?network=linkedin"', html)
    assert re.search(r"<textarea[^>]*>Plain title</textarea>", html)


def test_a_locked_text_is_read_only_with_a_note(db, client, me):
    item = make_item(db, text_locked=True)
    html = client.get(f"/share/{item.id}").get_data(as_text=True)
    area = re.search(r"<textarea[^>]*data-share-text[^>]*>", html).group(0)
    assert "readonly" in area
    assert 'data-testid="text-locked"' in html and "locked by your communications team" in html


# --- sharing by intent -----------------------------------------------------------------------


@pytest.mark.parametrize("network", ["linkedin", "x", "facebook", "email"])
def test_share_by_intent_on_each_network(db, client, me, network):
    item = make_item(db, hashtags="acme", disclaimer="I work at Acme.")
    edited = "My own words about it"
    response = client.post(f"/share/{item.id}", data={"network": network, "text": edited})
    assert response.status_code == 303
    [share] = shares_of(db, me)
    assert response.headers["Location"] == f"/my/shares/{share.id}"
    assert (share.network, share.method, share.status) == (network, ShareMethod.INTENT,
                                                          ShareStatus.OPENED)
    assert share.text == f"{edited}\n\n#acme\n\nI work at Acme."
    assert share.reach == {"linkedin": 1200, "x": 345}.get(network, 0)
    assert re.fullmatch(r"[A-Za-z0-9_-]{11}", share.code)

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    link = tracked(share)
    opener = intent_url(network, text=share.text, link=link, subject=item.title)
    assert quote(link, safe="") in opener  # the tracked link, never the item's own URL
    assert quote(item.url, safe="") not in opener
    assert f'href="{escape(opener)}"' in html
    if network == "x":
        assert parse_qs(urlsplit(opener).query)["text"] == [share.text]
    if network == "email":
        assert opener.startswith("mailto:?")
        assert 'target="_blank"' not in re.search(r'<a[^>]*data-testid="open-network"[^>]*>',
                                                  html).group(0)
    else:
        assert re.search(r'<a[^>]*target="_blank" rel="noopener" data-testid="open-network"',
                         html)
    # the final text to copy, and the tracked link
    assert f'data-copy="{escape(share.text)}"' in html
    assert f'value="{link}"' in html


def test_a_locked_text_cannot_be_changed_by_the_post(db, client, me):
    item = make_item(db, text_locked=True, disclaimer="Regulated.")
    response = client.post(f"/share/{item.id}", data={"network": "linkedin",
                                                      "text": "Something else entirely"})
    assert response.status_code == 303
    [share] = shares_of(db, me)
    assert share.text == compose("linkedin", LINKEDIN_TEXT, disclaimer="Regulated.")
    assert "Something else" not in share.text


def test_a_text_too_long_for_the_network_is_refused(db, client, me):
    item = make_item(db)
    response = client.post(f"/share/{item.id}", data={"network": "x", "text": "a" * 260})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-testid="text-error"' in html and "too long for X" in html
    assert "a" * 260 in html  # the text is kept for editing
    assert shares_of(db, me) == []
    # the same text fits LinkedIn
    assert client.post(f"/share/{item.id}", data={"network": "linkedin",
                                                  "text": "a" * 260}).status_code == 303


def test_an_unknown_network_is_refused(db, client, me):
    item = make_item(db)
    assert client.post(f"/share/{item.id}", data={"network": "myspace",
                                                  "text": "hi"}).status_code == 422
    assert client.post(f"/share/{item.id}", data={"text": "hi"}).status_code == 422
    assert shares_of(db, me) == []


def _refused(client, item_id: int) -> str:
    response = client.get(f"/share/{item_id}")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert 'data-testid="share-refused"' in html
    post = client.post(f"/share/{item_id}", data={"network": "linkedin", "text": "hi"})
    assert post.status_code == 403
    return re.search(r'data-testid="refusal-reason">([^<]*)<', html).group(1)


def test_items_i_may_not_share_are_refused_with_the_reason(db, client, me):
    other_group = GroupFactory()
    not_mine = make_item(db, groups=[other_group], title="Secret plan")
    expired = make_item(db, expire_at=utcnow() - timedelta(minutes=1))
    draft = make_item(db, status=ContentStatus.DRAFT)
    wrong_language = make_item(db, target_languages="fr")

    assert _refused(client, not_mine.id) == "This item is not meant for you."
    assert _refused(client, wrong_language.id) == "This item is not meant for you."
    assert _refused(client, expired.id) == "This item is no longer available for sharing."
    assert _refused(client, draft.id) == "This item is no longer available for sharing."
    assert "Secret plan" not in client.get(f"/share/{not_mine.id}").get_data(as_text=True)
    assert shares_of(db, me) == []
    assert client.get("/share/999999").status_code == 404
    assert client.post("/share/999999", data={"network": "x"}).status_code == 404


def test_the_refusal_offers_the_way_out_when_the_decision_has_one(db, client, me,
                                                                   monkeypatch):
    item = make_item(db)
    monkeypatch.setattr(services, "may_share", lambda *a, **k: services.Decision(
        False, "Complete the social-media course first.", action_url="/training/7",
        action_label="Take the course"))
    html = client.get(f"/share/{item.id}").get_data(as_text=True)
    assert "Complete the social-media course first." in html
    assert re.search(r'href="/training/7" data-testid="refusal-action">Take the course<', html)


def test_the_tracked_link_targets_the_item_with_utm_parameters(db, client, me):
    item = make_item(db, url="https://www.acme.example/news/region?ref=home&utm_source=old")
    client.post(f"/share/{item.id}", data={"network": "linkedin", "text": "hi"})
    [share] = shares_of(db, me)
    target = services.redirect_target(item.url, network=share.network, campaign=item.slug,
                                      code=share.code)
    parts = urlsplit(target)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.acme.example",
                                                        "/news/region")
    assert parse_qs(parts.query) == {"ref": ["home"], "utm_source": ["linkedin"],
                                     "utm_medium": ["employee_advocacy"],
                                     "utm_campaign": [item.slug], "utm_content": [share.code]}


def test_the_share_result_is_only_for_its_sharer(db, client, auth, me):
    item = make_item(db)
    client.post(f"/share/{item.id}", data={"network": "x", "text": "hi"})
    [share] = shares_of(db, me)
    assert client.get(f"/my/shares/{share.id}").status_code == 200
    auth.login(UserFactory())
    assert client.get(f"/my/shares/{share.id}").status_code == 404
    assert client.get("/my/shares/999999").status_code == 404


def test_a_connected_account_offers_posting_through_it(db, client, me):
    item = make_item(db)
    db.add(ConnectedAccount(user_id=me.id, network="x", external_id="42", display_name="@me",
                            access_token_enc="enc", followers=999))
    db.flush()
    html = client.get(f"/share/{item.id}?network=x").get_data(as_text=True)
    assert 'data-testid="api-share"' in html
    assert 'data-testid="reach">999<' in html  # the connected account's count wins
    html = client.get(f"/share/{item.id}?network=linkedin").get_data(as_text=True)
    assert 'data-testid="api-share"' not in html


# --- the queue --------------------------------------------------------------------------------


def test_the_queue_card_links_to_the_share_page_and_a_shared_item_leaves_the_queue(
        db, client, me):
    item = make_item(db, title="Share me")
    kept = make_item(db, title="Keep me")
    html = client.get("/").get_data(as_text=True)
    assert f'href="/share/{item.id}" data-testid="share"' in html
    assert f'data-item-id="{kept.id}"' in html

    assert client.post(f"/share/{item.id}", data={"network": "x", "text": "hi"}
                       ).status_code == 303
    html = client.get("/").get_data(as_text=True)
    assert f'data-item-id="{item.id}"' not in html
    assert f'data-item-id="{kept.id}"' in html
    # the page of the item stays reachable: sharing again on another network is allowed
    assert client.get(f"/share/{item.id}?network=linkedin").status_code == 200


def test_a_failed_share_keeps_the_item_in_the_queue(db, client, me):
    item = make_item(db)
    db.add(Share(code="failedcode1", user_id=me.id, item_id=item.id, network="x",
                 method=ShareMethod.API, status=ShareStatus.FAILED, text="t",
                 failure_reason="token revoked"))
    db.flush()
    assert f'data-item-id="{item.id}"' in client.get("/").get_data(as_text=True)


def test_sharing_is_recorded_in_the_audit_log(db, client, me):
    from app.audit.models import AuditEvent

    item = make_item(db)
    client.post(f"/share/{item.id}", data={"network": "facebook", "text": "hi"})
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "share.created")) == 1
