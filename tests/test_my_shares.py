"""My shares: the person's own shares, newest first, with human clicks (no bots, no self
clicks), unique clicks (a visitor counts once per sliding 24 h), conversions and totals;
a constant number of SQL statements whatever the number of shares."""

from __future__ import annotations

import itertools
import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from app.accounts.models import Role
from app.content.models import ContentItem, ContentStatus
from app.sharing.models import Click, Conversion, Share, ShareMethod, ShareStatus
from app.sharing.queries import my_shares
from tests.factories import UserFactory

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
_n = itertools.count(1)


def make_item(db, title=None) -> ContentItem:
    n = next(_n)
    item = ContentItem(url=f"https://www.acme.example/mine/{n}", slug=f"mine-{n}",
                       title=title or f"Mine {n}", status=ContentStatus.PUBLISHED,
                       published_at=T - timedelta(days=1))
    db.add(item)
    db.flush()
    return item


def make_share(db, user, *, item=None, network="linkedin", at=T, reach=100,
               status=ShareStatus.OPENED, method=ShareMethod.INTENT, **fields) -> Share:
    n = next(_n)
    share = Share(code=f"code{n:07d}", user_id=user.id, item_id=(item or make_item(db)).id,
                  network=network, method=method, status=status, text=f"text {n}",
                  reach=reach, created_at=at, **fields)
    db.add(share)
    db.flush()
    return share


def click(db, share, visitor, at, *, bot=False, self_=False) -> None:
    db.add(Click(share_id=share.id, at=at, visitor_hash=visitor, is_bot=bot, is_self=self_))


def convert(db, share, value=None) -> None:
    db.add(Conversion(event_id=f"evt-{next(_n)}", share_id=share.id, type="lead",
                      value=value, currency="EUR" if value is not None else "",
                      occurred_at=T))


def cells(html: str, share_id: int) -> dict[str, str]:
    row = re.search(rf'<tr data-testid="share-row" data-share-id="{share_id}">(.*?)</tr>',
                    html, re.S).group(1)
    return dict(re.findall(r'data-testid="(reach|human|unique|conversions|value|status|'
                           r'failure-reason)">([^<]*)<', row))


def totals(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="total-(\w+)">([^<]*)<', html))


@pytest.fixture
def scene(db, auth):
    """Two shares of mine with every kind of click, and someone else's share."""
    me = auth.as_role(Role.EMPLOYEE)
    a = make_share(db, me, item=make_item(db, "Alpha"), reach=1000, at=T)
    b = make_share(db, me, item=make_item(db, "Beta"), network="x", reach=50,
                   at=T + timedelta(hours=1))
    # share A
    click(db, a, "crawler", T, bot=True)              # link preview: never counted
    click(db, a, "me", T + timedelta(minutes=5), self_=True)  # my own click: never counted
    click(db, a, "v1", T)                             # unique
    click(db, a, "v1", T + timedelta(hours=1))        # repeat within 24 h: human only
    click(db, a, "v1", T + timedelta(hours=26))       # 25 h after the last one: unique again
    click(db, a, "v2", T + timedelta(hours=2))        # another visitor: unique
    click(db, a, "v3", T, bot=True)                   # a bot with v3's hash…
    click(db, a, "v3", T + timedelta(hours=1))        # …does not hide v3's own first click
    click(db, a, "v4", T)                             # unique
    click(db, a, "v4", T + timedelta(hours=23, minutes=59, seconds=59))  # inside 24 h
    # share B: v1 again, but another share counts on its own
    click(db, b, "v1", T + timedelta(hours=3))
    click(db, b, "v1", T + timedelta(hours=3))        # the same instant: counts once
    convert(db, a, Decimal("100.50"))
    convert(db, a)
    convert(db, b, Decimal("20"))
    # someone else's share with clicks and a conversion
    other = UserFactory()
    theirs = make_share(db, other, item=make_item(db, "Not mine at all"), reach=99999)
    click(db, theirs, "v9", T)
    convert(db, theirs, Decimal("5000"))
    db.flush()
    return me, a, b, theirs


def test_the_numbers_per_share_and_in_total(db, client, scene):
    me, a, b, _theirs = scene
    page, total = my_shares(db, me.id, 1, 25)
    rows = {row.share.id: row for row in page.items}
    assert [row.share.id for row in page.items] == [b.id, a.id]  # newest first
    assert (rows[a.id].human_clicks, rows[a.id].unique_clicks) == (7, 5)
    assert (rows[b.id].human_clicks, rows[b.id].unique_clicks) == (2, 1)
    assert (rows[a.id].conversions, rows[a.id].conversion_value) == (2, Decimal("100.50"))
    assert (rows[b.id].conversions, rows[b.id].conversion_value) == (1, Decimal("20"))
    assert (total.shares, total.reach, total.human_clicks, total.unique_clicks) == (
        2, 1050, 9, 6)
    assert (total.conversions, total.conversion_value) == (3, Decimal("120.50"))

    html = client.get("/my/shares").get_data(as_text=True)
    assert cells(html, a.id) == {"status": "opened", "reach": "1,000", "human": "7",
                                 "unique": "5", "conversions": "2", "value": "100.5"}
    assert cells(html, b.id)["human"] == "2" and cells(html, b.id)["unique"] == "1"
    assert totals(html) == {"shares": "2", "reach": "1,050", "human": "9", "unique": "6",
                            "conversions": "3", "value": "value 120.5"}
    assert f'value="http://relais.test/r/{a.code}"' in html
    assert f'data-copy="http://relais.test/r/{a.code}"' in html
    assert html.index("Beta") < html.index("Alpha")


def test_another_persons_shares_never_appear(db, client, auth, scene):
    me, a, _b, theirs = scene
    html = client.get("/my/shares").get_data(as_text=True)
    assert "Not mine at all" not in html and theirs.code not in html
    assert f'data-share-id="{theirs.id}"' not in html
    assert client.get(f"/my/shares/{theirs.id}").status_code == 404
    # and the other way round
    auth.login(theirs.user)
    html = client.get("/my/shares").get_data(as_text=True)
    assert "Not mine at all" in html and "Alpha" not in html and a.code not in html
    assert totals(html)["human"] == "1"


def test_status_reason_and_dates_in_my_time_zone(db, client, auth):
    me = auth.as_role(Role.EMPLOYEE, timezone="Europe/Paris")
    make_share(db, me, item=make_item(db, "Failed one"), status=ShareStatus.FAILED,
               method=ShareMethod.API, failure_reason="The token was revoked.",
               at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    make_share(db, me, item=make_item(db, "Later one"), status=ShareStatus.SCHEDULED,
               method=ShareMethod.API, scheduled_for=datetime(2026, 7, 3, 8, 0, tzinfo=UTC),
               reach=10)
    posted = make_share(db, me, status=ShareStatus.POSTED, method=ShareMethod.API, reach=7)
    html = client.get("/my/shares").get_data(as_text=True)
    assert 'data-testid="failure-reason">The token was revoked.<' in html
    assert ">failed<" in html and ">scheduled<" in html and ">posted<" in html
    assert "7/1/26, 2:00\u202fPM" in html or "7/1/26, 2:00 PM" in html  # 12:00 UTC in Paris
    assert "7/3/26, 10:00" in html  # the scheduled time, in Paris too
    # shares and reach count the opened and posted shares only
    assert totals(html)["shares"] == "1" and totals(html)["reach"] == "7"
    assert f"/my/shares/{posted.id}" not in html  # "open again" is for intents only


def test_the_empty_state_links_to_the_portal(db, client, auth):
    auth.as_role(Role.EMPLOYEE)
    html = client.get("/my/shares").get_data(as_text=True)
    assert 'data-testid="no-shares"' in html and 'href="/"' in html
    assert 'data-testid="my-shares-link"' in html  # the user menu entry


def test_pages_of_shares(db, client, auth, app):
    me = auth.as_role(Role.EMPLOYEE)
    shares = [make_share(db, me, at=T + timedelta(minutes=i)) for i in range(27)]
    app.config["PER_PAGE"] = 25
    first = client.get("/my/shares").get_data(as_text=True)
    second = client.get("/my/shares?page=2").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'data-share-id="(\d+)"', first + second)]
    assert ids == [s.id for s in reversed(shares)]
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert client.get("/my/shares?page=0").status_code == 200
    assert re.findall(r'data-share-id="(\d+)"', client.get("/my/shares?page=9").get_data(
        as_text=True)) == []


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


def _fill(db, user, n: int) -> None:
    for i in range(n):
        share = make_share(db, user, at=T + timedelta(minutes=i), reach=i)
        click(db, share, f"v{i}", T)
        click(db, share, f"v{i}", T + timedelta(hours=1))
        click(db, share, "bot", T, bot=True)
        convert(db, share, Decimal(i))
    db.flush()


def test_my_shares_costs_the_same_statements_for_2_and_20_shares(db, client, auth, app):
    few, many = UserFactory(), UserFactory()
    _fill(db, few, 2)
    _fill(db, many, 20)
    counts = []
    for user, n in ((few, 2), (many, 20)):
        auth.login(user)
        with count_statements(app) as statements:
            response = client.get("/my/shares")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert len(re.findall(r'data-testid="share-row"', html)) == n
        assert totals(html)["unique"] == str(n) and totals(html)["human"] == str(2 * n)
        counts.append(len(statements))
    assert counts[0] == counts[1]
