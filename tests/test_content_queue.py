"""The employee's queue: eligibility (status, expiry, groups, languages, dismissals), the
ranking, the daily cap and "show more", "not for me" and undo, and a constant number of
SQL statements per page."""

from __future__ import annotations

import itertools
import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from app.accounts.models import Role
from app.content import queue as q
from app.content.models import ContentItem, ContentStatus, ContentText, Dismissal
from tests.factories import GroupFactory, TopicFactory, UserFactory

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HX = {"HX-Request": "true"}
_slugs = itertools.count(1)


def make_item(db, *, title=None, status=ContentStatus.PUBLISHED, age=timedelta(hours=1),
              groups=(), topics=(), texts=None, **fields) -> ContentItem:
    """A content item published ``age`` before NOW (a published one unless told)."""
    n = next(_slugs)
    published = NOW - age if status in (ContentStatus.PUBLISHED, ContentStatus.EXPIRED) else None
    fields.setdefault("summary", f"Summary {n}")
    fields.setdefault("published_at", published)
    item = ContentItem(url=f"https://www.acme.example/news/{n}", slug=f"item-{n}",
                       title=title or f"Item {n}", status=status, **fields)
    item.groups = list(groups)
    item.topics = list(topics)
    for network, text in (texts or {}).items():
        item.texts.append(ContentText(network=network, text=text))
    db.add(item)
    db.flush()
    return item


def titles(page: q.QueuePage) -> list[str]:
    return [e.item.title for e in page.entries]


def shown(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="queue-item" data-item-id="(\d+)"', html)]


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


# --- eligibility --------------------------------------------------------------------------


def test_an_employee_sees_items_for_their_group_and_not_another(db, client, auth, travel):
    dept_a, dept_b = GroupFactory(name="Sales"), GroupFactory(name="Legal")
    for_a = make_item(db, title="For sales", groups=[dept_a])
    for_b = make_item(db, title="For legal", groups=[dept_b])
    for_all = make_item(db, title="For everyone")
    alice = UserFactory(groups=[dept_a])
    bob = UserFactory(groups=[dept_b])
    nobody = UserFactory()

    assert set(titles(q.queue_for(db, alice, NOW, limit=10))) == {"For sales", "For everyone"}
    assert set(titles(q.queue_for(db, bob, NOW, limit=10))) == {"For legal", "For everyone"}
    assert titles(q.queue_for(db, nobody, NOW, limit=10)) == ["For everyone"]

    auth.login(alice)
    html = client.get("/").get_data(as_text=True)
    assert "For sales" in html and "For everyone" in html and "For legal" not in html
    assert set(shown(html)) == {for_a.id, for_all.id}
    auth.login(bob)
    assert set(shown(client.get("/").get_data(as_text=True))) == {for_b.id, for_all.id}


def test_an_item_for_several_groups_reaches_members_of_any(db, travel):
    a, b, c = GroupFactory(), GroupFactory(), GroupFactory()
    make_item(db, title="A or B", groups=[a, b])
    assert titles(q.queue_for(db, UserFactory(groups=[b, c]), NOW, limit=5)) == ["A or B"]
    assert titles(q.queue_for(db, UserFactory(groups=[c]), NOW, limit=5)) == []


def test_language_targeting(db, travel):
    make_item(db, title="any", target_languages="")
    make_item(db, title="fr only", target_languages="fr")
    make_item(db, title="en only", target_languages="en")
    make_item(db, title="both", target_languages="en,fr")
    french, english = UserFactory(language="fr"), UserFactory(language="en")
    assert set(titles(q.queue_for(db, french, NOW, limit=10))) == {"any", "fr only", "both"}
    assert set(titles(q.queue_for(db, english, NOW, limit=10))) == {"any", "en only", "both"}


def test_unpublished_and_expired_items_never_show(db, client, auth, travel):
    for status in (ContentStatus.DRAFT, ContentStatus.IN_REVIEW, ContentStatus.ARCHIVED):
        make_item(db, title=f"Nope {status.value}", status=status)
    make_item(db, title="Nope scheduled", status=ContentStatus.SCHEDULED,
              publish_at=NOW + timedelta(hours=1))
    make_item(db, title="Nope expired status", status=ContentStatus.EXPIRED)
    make_item(db, title="Nope past expiry", expire_at=NOW - timedelta(seconds=1))
    make_item(db, title="Nope expiring now", expire_at=NOW)
    make_item(db, title="visible until tomorrow", expire_at=NOW + timedelta(days=1))
    make_item(db, title="visible for ever")
    user = auth.as_role(Role.EMPLOYEE)
    assert set(titles(q.queue_for(db, user, NOW, limit=50))) == {"visible until tomorrow",
                                                                 "visible for ever"}
    html = client.get("/").get_data(as_text=True)
    assert "Nope" not in html
    assert "visible for ever" in html


def test_no_eligible_item_keeps_the_empty_state(db, client, auth, travel):
    make_item(db, title="a draft", status=ContentStatus.DRAFT)
    user = auth.as_role(Role.EMPLOYEE, name="Eve Empty")
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="queue-empty"' in html and "Hello, Eve Empty" in html
    assert "Get ready" in html and 'data-testid="queue-item"' not in html
    assert q.queue_for(db, user, NOW, limit=5).has_more is False


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CURATOR, Role.ADMIN])
def test_managers_curators_and_admins_get_a_queue_too(db, client, auth, role, travel):
    group = GroupFactory()
    item = make_item(db, title="For the group", groups=[group])
    auth.as_role(role, groups=[group])
    html = client.get("/").get_data(as_text=True)
    assert shown(html) == [item.id]
    assert 'data-testid="queue-empty"' not in html


# --- ranking -----------------------------------------------------------------------------------


def test_ranking_featured_then_topics_then_freshness(db, travel):
    ai, cloud, sport = TopicFactory(name="AI"), TopicFactory(name="Cloud"), TopicFactory()
    user = UserFactory(topics=[ai, cloud], language="en")
    make_item(db, title="fresh", age=timedelta(minutes=5))
    make_item(db, title="older", age=timedelta(days=2))
    make_item(db, title="topic match", age=timedelta(days=1), topics=[ai])
    make_item(db, title="two topics", age=timedelta(days=1), topics=[ai, cloud])
    make_item(db, title="other topic", age=timedelta(hours=1), topics=[sport])
    make_item(db, title="featured", age=timedelta(days=2), featured=True)
    make_item(db, title="urgent", age=timedelta(days=2), priority=2)
    assert titles(q.queue_for(db, user, NOW, limit=10)) == [
        "featured", "two topics", "urgent", "topic match", "fresh", "other topic", "older"]
    # at the same age, featured beats the largest topic match
    same = dict(priority=0, same_language=True, group_count=0, age_days=1)
    assert q.score(featured=True, topic_matches=0, **same) > q.score(
        featured=False, topic_matches=9, **same)


def test_ranking_language_and_group_specificity(db, travel):
    sales, paris = GroupFactory(), GroupFactory()
    user = UserFactory(language="fr", groups=[sales, paris])
    make_item(db, title="english", language="en")
    make_item(db, title="french, a day old", language="fr", age=timedelta(days=1))
    make_item(db, title="for sales", language="en", groups=[sales])
    make_item(db, title="for sales or paris", language="en", groups=[sales, paris])
    assert titles(q.queue_for(db, user, NOW, limit=10)) == [
        "for sales", "french, a day old", "for sales or paris", "english"]


def test_equal_scores_break_ties_by_publication_then_id(db, travel):
    same_time = NOW - timedelta(hours=3)
    first = make_item(db, title="a", published_at=same_time)
    second = make_item(db, title="b", published_at=same_time)
    newer = make_item(db, title="c", published_at=NOW - timedelta(hours=1), featured=False)
    user = UserFactory()
    page = q.queue_for(db, user, NOW, limit=10)
    assert [e.item.id for e in page.entries] == [newer.id, second.id, first.id]
    again = q.queue_for(db, user, NOW, limit=10)
    assert [e.item.id for e in again.entries] == [e.item.id for e in page.entries]


def test_freshness_halves_every_three_days():
    base = dict(featured=False, priority=0, topic_matches=0, same_language=False,
                group_count=0)
    fresh = q.score(age_days=0, **base)
    assert q.score(age_days=3, **base) == pytest.approx(fresh / 2)
    assert q.score(age_days=6, **base) == pytest.approx(fresh / 4)


@given(featured=st.booleans(), priority=st.integers(0, 2), topics=st.integers(0, 5),
       language=st.booleans(), groups=st.integers(0, 5),
       age=st.floats(0, 365, allow_nan=False), later=st.floats(0.001, 365, allow_nan=False))
def test_score_never_rises_with_age_and_every_signal_helps(featured, priority, topics, language,
                                                            groups, age, later):
    kw = dict(featured=featured, priority=priority, topic_matches=topics,
              same_language=language, group_count=groups)
    value = q.score(age_days=age, **kw)
    assert q.score(age_days=age + later, **kw) <= value
    assert q.score(age_days=age, **{**kw, "featured": True}) >= value
    assert q.score(age_days=age, **{**kw, "priority": min(2, priority + 1)}) >= value
    assert q.score(age_days=age, **{**kw, "topic_matches": topics + 1}) >= value
    assert q.score(age_days=age, **{**kw, "same_language": True}) >= value


def test_the_candidate_set_is_bounded(db, monkeypatch, travel):
    monkeypatch.setattr(q, "CANDIDATE_LIMIT", 3)
    for i in range(5):
        make_item(db, title=f"n{i}", age=timedelta(hours=10 - i))
    page = q.queue_for(db, UserFactory(), NOW, limit=10)
    assert titles(page) == ["n4", "n3", "n2"] and not page.has_more


# --- the page: cap, show more, cards --------------------------------------------------------


def test_daily_cap_and_show_more(db, client, auth, app, travel):
    assert app.config["QUEUE_DAILY_CAP"] == 5
    items = [make_item(db, title=f"Item #{i}", age=timedelta(hours=i)) for i in range(12)]
    auth.as_role(Role.EMPLOYEE)
    html = client.get("/").get_data(as_text=True)
    assert shown(html) == [i.id for i in items[:5]]
    assert 'data-testid="queue-more"' in html
    assert 'href="/?more=1"' in html and "/queue/more?offset=5" in html

    batch = client.get("/queue/more?offset=5", headers=HX).get_data(as_text=True)
    assert shown(batch) == [i.id for i in items[5:10]]
    assert "/queue/more?offset=10" in batch and 'href="/?more=2"' in batch
    last = client.get("/queue/more?offset=10", headers=HX).get_data(as_text=True)
    assert shown(last) == [i.id for i in items[10:]]
    assert 'data-testid="queue-more"' not in last

    # without JavaScript: the link shows one more batch each time
    assert shown(client.get("/?more=1").get_data(as_text=True)) == [i.id for i in items[:10]]
    full = client.get("/?more=2").get_data(as_text=True)
    assert shown(full) == [i.id for i in items] and 'data-testid="queue-more"' not in full
    response = client.get("/queue/more?offset=5")
    assert response.status_code == 302 and response.headers["Location"].endswith("/?more=1")
    # nonsense values are clamped, never an error
    assert client.get("/?more=-4").status_code == 200
    assert client.get("/?more=99999999").status_code == 200
    assert client.get("/queue/more?offset=-3", headers=HX).status_code == 200
    assert shown(client.get("/queue/more?offset=zz", headers=HX).get_data(as_text=True)) \
        == [i.id for i in items[:5]]


def test_exactly_the_cap_shows_no_more_button(db, client, auth, travel):
    for i in range(5):
        make_item(db, age=timedelta(hours=i))
    auth.as_role(Role.EMPLOYEE)
    html = client.get("/").get_data(as_text=True)
    assert len(shown(html)) == 5 and 'data-testid="queue-more"' not in html


def test_a_card_shows_preview_texts_and_the_copy_button(db, client, auth, travel):
    topic = TopicFactory(name="Cloud")
    item = make_item(db, title="Our new region", summary="Faster & closer.",
                     image_url="https://cdn.acme.example/region.png", topics=[topic],
                     featured=True, priority=1, hashtags="cloud acme",
                     disclaimer="I work at Acme.",
                     texts={"linkedin": "We opened a region <3", "x": "New region!"})
    auth.as_role(Role.EMPLOYEE)
    html = client.get("/").get_data(as_text=True)
    assert "Our new region" in html and "Faster &amp; closer." in html
    assert 'src="https://cdn.acme.example/region.png"' in html
    assert ">acme.example<" in html  # the source domain, without www.
    assert "Cloud" in html and 'data-testid="badge-featured"' in html
    assert "High priority" in html
    # the networks with text only, in order; the text is escaped
    assert re.findall(r'data-network="(\w*)"', html) == ["linkedin", "x"]
    assert "We opened a region &lt;3" in html and "<3" not in html
    assert "#cloud #acme" in html and "I work at Acme." in html
    # copy: text + hashtags + disclaimer + the item's link
    full = "We opened a region &lt;3\n\n#cloud #acme\n\nI work at Acme.\n\n" + item.url
    assert f'data-copy="{full}"' in html
    assert f'href="/share/{item.id}" data-testid="share"' in html
    assert "Sharing arrives soon" not in html
    assert "/static/js/queue.js" in html and "<script>" not in html


def test_without_network_texts_the_title_is_the_text(db, client, auth, travel):
    item = make_item(db, title="Just a title")
    auth.as_role(Role.EMPLOYEE)
    html = client.get("/").get_data(as_text=True)
    assert re.findall(r'data-network="(\w*)"', html) == [""]
    assert f'data-copy="Just a title\n\n{item.url}"' in html


# --- not for me, and undo -------------------------------------------------------------------


def test_dismiss_removes_the_item_and_undo_restores_it(db, client, auth, travel):
    keep = make_item(db, title="keep", age=timedelta(hours=2))
    drop = make_item(db, title="drop")
    user = auth.as_role(Role.EMPLOYEE)
    assert shown(client.get("/").get_data(as_text=True)) == [drop.id, keep.id]

    response = client.post(f"/queue/{drop.id}/dismiss", headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'id="queue-item-{drop.id}"' in body and 'data-testid="undo-dismiss"' in body
    assert f"/queue/{drop.id}/undismiss" in body
    assert db.scalar(select(func.count()).select_from(Dismissal)
                     .where(Dismissal.user_id == user.id)) == 1
    assert shown(client.get("/").get_data(as_text=True)) == [keep.id]
    # twice is harmless
    assert client.post(f"/queue/{drop.id}/dismiss", headers=HX).status_code == 200

    response = client.post(f"/queue/{drop.id}/undismiss", headers=HX)
    assert response.status_code == 200
    assert shown(response.get_data(as_text=True)) == [drop.id]
    assert shown(client.get("/").get_data(as_text=True)) == [drop.id, keep.id]


def test_dismiss_without_javascript_redirects_with_an_undo(db, client, auth, travel):
    item = make_item(db, title="drop")
    auth.as_role(Role.EMPLOYEE)
    response = client.post(f"/queue/{item.id}/dismiss")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/?dismissed={item.id}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Removed from your queue." in html and f"/queue/{item.id}/undismiss" in html
    assert shown(html) == [] and 'data-testid="queue-empty"' in html
    response = client.post(f"/queue/{item.id}/undismiss")
    assert response.status_code == 302
    assert shown(client.get("/").get_data(as_text=True)) == [item.id]


def test_dismissals_are_per_person(db, client, auth, travel):
    item = make_item(db)
    other = UserFactory()
    auth.as_role(Role.EMPLOYEE)
    client.post(f"/queue/{item.id}/dismiss", headers=HX)
    assert titles(q.queue_for(db, other, NOW, limit=5)) == [item.title]


def test_only_items_of_ones_own_queue_can_be_dismissed(db, client, auth, travel):
    draft = make_item(db, status=ContentStatus.DRAFT)
    elsewhere = make_item(db, groups=[GroupFactory()])
    expired = make_item(db, expire_at=NOW - timedelta(minutes=1))
    auth.as_role(Role.EMPLOYEE)
    for item in (draft, elsewhere, expired):
        assert client.post(f"/queue/{item.id}/dismiss", headers=HX).status_code == 404
    assert client.post("/queue/999999/dismiss").status_code == 404
    assert client.post("/queue/999999/undismiss").status_code == 404
    assert db.scalar(select(func.count()).select_from(Dismissal)) == 0


def test_undo_of_an_item_that_left_the_queue_puts_nothing_back(db, client, auth, travel):
    item = make_item(db)
    auth.as_role(Role.EMPLOYEE)
    client.post(f"/queue/{item.id}/dismiss", headers=HX)
    item.status = ContentStatus.ARCHIVED
    db.flush()
    response = client.post(f"/queue/{item.id}/undismiss", headers=HX)
    assert response.status_code == 200 and response.get_data(as_text=True) == ""


def test_dismiss_needs_the_csrf_token(csrf_app, db):
    from tests.conftest import Auth

    with time_machine.travel(NOW, tick=False):
        item = make_item(db)
        client = csrf_app.test_client()
        Auth(client, db).as_role(Role.EMPLOYEE)
        assert client.post(f"/queue/{item.id}/dismiss", headers=HX).status_code == 400
        html = client.get("/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        response = client.post(f"/queue/{item.id}/dismiss",
                               headers={**HX, "X-CSRFToken": token})
        assert response.status_code == 200


# --- a constant number of SQL statements --------------------------------------------------


@contextmanager
def count_statements(app):
    statements: list[str] = []
    engine = app.extensions["relais_db"].engine

    def _count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def _fill(db, n: int, groups, topics) -> None:
    for i in range(n):
        make_item(db, age=timedelta(minutes=i), groups=groups[: i % 3], topics=topics[: i % 4],
                  featured=i % 5 == 0, image_url="https://cdn.acme.example/i.png",
                  hashtags="acme", texts={"linkedin": f"text {i}", "x": f"x {i}"})


def _statements_for(app, client, url: str) -> tuple[int, str]:
    with count_statements(app) as statements:
        response = client.get(url, headers=HX if "/queue/" in url else {})
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/", "/?more=9", "/queue/more?offset=2"])
def test_the_queue_page_issues_a_constant_number_of_statements(db, client, auth, app, url,
                                                                 travel):
    groups = [GroupFactory(), GroupFactory()]
    topics = [TopicFactory(), TopicFactory(), TopicFactory()]
    auth.as_role(Role.EMPLOYEE, groups=groups, topics=topics[:2])
    _fill(db, 3, groups, topics)
    _statements_for(app, client, url)  # warm any per-process cache first
    few, html_few = _statements_for(app, client, url)
    _fill(db, 27, groups, topics)
    many, html_many = _statements_for(app, client, url)
    assert len(shown(html_many)) > len(shown(html_few))
    assert few == many, f"{few} statements for 3 items, {many} for 30"
