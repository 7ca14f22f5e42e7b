"""My impact (/me/impact): one person's figures from the rollups over a period, checked
against a scene worked out by hand; how each network compares with the person's own
average; level and badges; the CSV exports; nobody else's data; a constant number of
statements; every role."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest

from app.accounts.models import Role
from app.analytics import impact, tally
from app.analytics.dashboard import NetworkRow, Period, Totals
from app.gamification.models import ALL_TIME_START, BadgeCriterion, UserBadge
from app.gamification.models import Period as GPeriod
from tests import factories_analytics as f
from tests.factories_analytics import DAY, HOUR, T0
from tests.factories_boards import total
from tests.factories_gamification import badge
from tests.test_my_shares import count_statements

URL = "/me/impact"
#: the scene's three days: Saturday 28 February to Monday 2 March 2026
PERIOD = {"period": "custom", "from": "2026-02-28", "to": "2026-03-02"}
QUERY = "?period=custom&from=2026-02-28&to=2026-03-02"


def kpis(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="kpi-(\w+)">\s*<div class="card-body p-2">\s*'
                           r'<div[^>]*>[^<]*</div>\s*<div[^>]*data-testid="kpi-value">([^<]*)<',
                           html))


def network_cells(html: str, network: str) -> dict[str, str]:
    row = re.search(rf'<tr data-testid="network-row" data-network="{network}">(.*?)</tr>',
                    html, re.S).group(1)
    return dict(re.findall(r'data-testid="([\w-]+)">([^<]*)<', row))


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def scene(db, auth):
    """Me: three LinkedIn shares and three X shares over three days, with every kind of
    click, an engagement snapshot, two conversions and points; someone else with a big
    share that must never show. Tallied.

    Sat 28 Feb: LinkedIn l1 (reach 1,000): v1, v2, v3 unique, v1 again 1 h later (human
    only), a robot; a 100.00 conversion.
    Sun 1 Mar: LinkedIn l2 (500): v4, v5; X x1 (200): v7, and my own click; a 50.00
    conversion on x1; 4 likes on l1; 5 points.
    Mon 2 Mar: LinkedIn l3 (500): v6; X x2 and x3 (200 each): nothing; 10 points.
    """
    me = auth.as_role(Role.EMPLOYEE, name="Mo Mine")
    content = f.item(db, title="Our news")
    l1 = f.share(db, me, content, at=T0 - 2 * DAY, reach=1000)
    l2 = f.share(db, me, content, at=T0 - DAY, reach=500)
    l3 = f.share(db, me, content, at=T0, reach=500)
    x1 = f.share(db, me, content, at=T0 - DAY, network="x", reach=200)
    f.share(db, me, content, at=T0, network="x", reach=200)
    f.share(db, me, content, at=T0, network="x", reach=200)
    for visitor in ("v1", "v2", "v3"):
        f.click(db, l1, T0 - 2 * DAY + HOUR, visitor)
    f.click(db, l1, T0 - 2 * DAY + 2 * HOUR, "v1")
    f.click(db, l1, T0 - 2 * DAY + HOUR, "crawler", bot=True)
    f.click(db, l2, T0 - DAY + HOUR, "v4")
    f.click(db, l2, T0 - DAY + HOUR, "v5")
    f.click(db, l3, T0 + HOUR, "v6")
    f.click(db, x1, T0 - DAY + HOUR, "v7")
    f.click(db, x1, T0 - DAY + HOUR, "me", self_=True)
    f.conversion(db, l1, T0 - 2 * DAY + 3 * HOUR, "100.00")
    f.conversion(db, x1, T0 - DAY + 2 * HOUR, "50.00")
    f.snapshot(db, l1, T0 - DAY + HOUR, likes=4)
    f.points(db, me, T0 - DAY, 5)
    f.points(db, me, T0, 10)

    other = f.person(db, name="Olga Other")
    theirs = f.share(db, other, f.item(db, title="Their news"), at=T0, reach=99_999)
    for n in range(9):
        f.click(db, theirs, T0 + HOUR, f"o{n}")
    f.conversion(db, theirs, T0 + HOUR, "5000.00")
    f.points(db, other, T0, 777)
    db.add(UserBadge(user_id=other.id, badge_id=badge(db, BadgeCriterion.SHARES, 1,
                                                       name="Their badge").id))
    tally.tally(db, T0 + DAY)
    return me, other


# --- the figures -------------------------------------------------------------------------------


def test_the_figures_of_the_period_equal_the_scene(db, scene):
    me, _other = scene
    data = impact.my_impact(db, me.id, Period(date(2026, 2, 28), date(2026, 3, 2)))
    s = data.summary
    assert (s.shares, s.reach, s.human_clicks, s.unique_clicks, s.bot_clicks) == (
        6, 2600, 8, 7, 1)
    assert (s.engagements, s.conversions, s.conversion_value, s.points) == (
        4, 2, Decimal("150.00"), 15)
    # LinkedIn 2,000 × 30 / 1000 + 6 × 5 + 4 × 1 = 94; X 600 × 6 / 1000 + 1 × 0.60 = 4.20
    assert s.emv == Decimal("98.20")
    assert [(p.start, p.totals.shares, p.totals.unique_clicks, p.totals.human_clicks)
            for p in data.trend.points] == [
        (date(2026, 2, 28), 1, 3, 4), (date(2026, 3, 1), 2, 3, 3), (date(2026, 3, 2), 3, 1, 1)]
    assert data.trend.granularity.value == "day"
    assert data.ever_shared is True


def test_each_network_against_my_average(db, scene):
    me, _other = scene
    c = impact.my_impact(db, me.id, Period(date(2026, 2, 28), date(2026, 3, 2))).comparison
    by = {n.network: n for n in c.networks}
    # my average: 7 unique clicks / 6 shares; LinkedIn 6 / 3 = 2, X 1 / 3
    assert c.average_clicks == pytest.approx(7 / 6)
    assert by["linkedin"].clicks_per_share == pytest.approx(2)
    assert by["linkedin"].clicks_ratio == pytest.approx(2 / (7 / 6))  # 1.71…
    assert by["x"].clicks_ratio == pytest.approx((1 / 3) / (7 / 6))  # 0.29…
    # one conversion on each: both at my average
    assert by["linkedin"].conversions_ratio == pytest.approx(1)
    assert by["x"].conversions_ratio == pytest.approx(1)
    assert c.best_clicks.network == "linkedin" and c.best_conversions is None
    assert c.sentences() == ["You are most effective on LinkedIn: each share there brings "
                             "1.7× your average unique clicks per share."]


def _rows(**networks) -> list[NetworkRow]:
    return [NetworkRow(key, 1, Totals(shares=s, unique_clicks=u, conversions=v))
            for key, (s, u, v) in networks.items()]


def test_the_comparison_rules():
    # one network only: nothing to compare
    one = impact.compare_networks(_rows(linkedin=(5, 10, 1)))
    assert one.best_clicks is None and one.networks[0].clicks_ratio == pytest.approx(1)
    assert "on LinkedIn only" in one.sentences()[0]
    # a network above the average but with too few shares is not named; the ratio shows
    lucky = impact.compare_networks(_rows(linkedin=(5, 5, 0), x=(1, 7, 0)))
    assert lucky.best_clicks is None
    assert lucky.networks[1].clicks_ratio == pytest.approx(7 / 2)
    assert "stands out" in lucky.sentences()[0]
    few = impact.compare_networks(_rows(linkedin=(2, 5, 0), x=(1, 7, 0)))
    assert f"at least {impact.MIN_SHARES_TO_RANK} times" in few.sentences()[0]
    # conversions: the best network is named too
    both = impact.compare_networks(_rows(linkedin=(4, 8, 0), x=(4, 2, 2)))
    assert both.best_clicks.network == "linkedin" and both.best_conversions.network == "x"
    assert both.sentences()[1] == ("For conversions, X works best: 2.0× your average "
                                   "conversions per share.")
    # clicks in the period on a network without a share in it: no rate, outside the average
    late = impact.compare_networks(_rows(linkedin=(3, 3, 0), facebook=(0, 9, 0), x=(3, 0, 0)))
    assert late.average_clicks == pytest.approx(0.5)
    assert late.networks[1].clicks_per_share is None and late.networks[1].clicks_ratio is None
    # no click at all: no ratio, a sentence that says why
    quiet = impact.compare_networks(_rows(linkedin=(3, 0, 0), x=(3, 0, 0)))
    assert quiet.networks[0].clicks_ratio is None
    assert quiet.sentences()[0].startswith("No unique click in this period yet")
    assert impact.compare_networks([]).sentences() == []


# --- the page ----------------------------------------------------------------------------------


def test_the_page_shows_my_numbers(db, client, scene):
    me, _other = scene
    html = client.get(URL + QUERY).get_data(as_text=True)
    assert kpis(html) == {"shares": "6", "reach": "2,600", "human_clicks": "8",
                          "unique_clicks": "7", "conversions": "2", "engagements": "4",
                          "emv": "€98.20", "points": "15"}
    assert "value €150.00" in html
    assert "(1.17 unique clicks and 0.33 conversions per share)" in html  # my average
    assert network_cells(html, "linkedin") == {
        "shares": "3", "reach": "2,000", "unique": "6", "clicks-per-share": "2.00",
        "clicks-ratio": "1.7×", "conversions": "1", "conversions-per-share": "0.33",
        "conversions-ratio": "1.0×", "emv": "€94.00"}
    assert network_cells(html, "x")["clicks-ratio"] == "0.3×"
    assert "You are most effective on LinkedIn" in html
    # the trend chart, with its table and CSV link
    assert 'data-chart="line"' in html and 'data-testid="chart-table-trend"' in html
    assert "/me/impact/export/trend.csv?period=custom&amp;from=2026-02-28&amp;to=2026-03-02" \
        in html
    assert 'src="/static/js/charts.js"' in html
    # the period picker keeps the dates
    assert 'value="2026-02-28"' in html and 'value="2026-03-02"' in html
    assert 'data-testid="no-shares"' not in html


def test_level_next_level_and_badges(db, client, scene):
    me, _other = scene
    total(db, me, period=GPeriod.ALL, start=ALL_TIME_START, points=200, shares=12,
          unique_clicks=15, conversions=0)
    mine = badge(db, BadgeCriterion.SHARES, 1, name="First share", emoji="🚀")
    db.add(UserBadge(user_id=me.id, badge_id=mine.id))
    db.flush()
    html = client.get(URL + QUERY).get_data(as_text=True)
    assert re.search(r'data-testid="level">Level 3 · Share &amp;(amp;)? connect<', html)
    assert "200 points in all" in html
    assert "To reach level 4, Niche &amp; esteem:" in html
    assert 'data-testid="requirement" data-met="no"' in html  # 500 points, 100 clicks…
    assert f'data-badge="{mine.key}"' in html and "First share" in html


def test_another_persons_data_never_shows(db, client, auth, scene):
    me, other = scene
    html = client.get(URL + QUERY).get_data(as_text=True)
    assert "99,999" not in html and "5,000" not in html and "777" not in html
    assert "Their badge" not in html and "Olga Other" not in html
    assert 'data-network="facebook"' not in html
    trend = rows_of(client.get(f"{URL}/export/trend.csv{QUERY}"))
    assert sum(int(r[4]) for r in trend[1:]) == 7  # unique clicks: mine only
    # and the other way round: they see theirs, never mine
    auth.login(other)
    html = client.get(URL + QUERY).get_data(as_text=True)
    assert kpis(html)["unique_clicks"] == "9" and kpis(html)["shares"] == "1"
    assert kpis(html)["points"] == "777" and 'data-network="x"' not in html


def test_a_period_without_data_and_a_wrong_period(db, client, scene):
    html = client.get(URL + "?period=custom&from=2026-01-01&to=2026-01-31").get_data(
        as_text=True)
    assert 'data-testid="no-data"' in html and 'data-testid="no-shares"' not in html
    assert kpis(html)["shares"] == "0"
    assert 'data-testid="no-networks"' in html
    response = client.get(URL + "?period=custom&from=2026-03-02&to=2026-02-01")
    assert response.status_code == 200
    assert 'data-testid="period-error"' in response.get_data(as_text=True)
    assert client.get(f"{URL}/export/trend.csv?period=custom&from=2026-03-02&to=2026-02-01"
                      ).status_code == 400


def test_someone_who_never_shared_is_invited_to_the_queue(db, client, auth):
    auth.as_role(Role.EMPLOYEE)
    html = client.get(URL).get_data(as_text=True)
    assert 'data-testid="no-shares"' in html and 'href="/" data-testid="to-queue"' in html
    assert 'data-testid="level-card"' in html  # the level still shows
    assert 'data-testid="kpis"' not in html and "data-chart" not in html
    assert 'data-testid="my-impact-link"' in html  # the user menu entry
    assert 'data-testid="link-my-impact"' in client.get("/me/points").get_data(as_text=True)


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_of_the_trend_and_the_networks(db, client, scene):
    response = client.get(f"{URL}/export/trend.csv{QUERY}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="my-impact-trend-2026-02-28-2026-03-02.csv"' in \
        response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0][:5] == ["Period start", "Shares", "Potential reach", "Human clicks",
                           "Unique clicks"]
    assert [r[:5] for r in rows[1:]] == [["2026-02-28", "1", "1000", "4", "3"],
                                         ["2026-03-01", "2", "700", "3", "3"],
                                         ["2026-03-02", "3", "900", "1", "1"]]
    points = rows[0].index("Points")
    assert [r[points] for r in rows[1:]] == ["0", "5", "10"]

    rows = rows_of(client.get(f"{URL}/export/networks.csv{QUERY}"))
    header = rows[0]
    assert "Points" not in header  # points belong to no network
    linkedin = dict(zip(header, rows[1], strict=True))
    assert linkedin["Network"] == "LinkedIn" and linkedin["Unique clicks"] == "6"
    assert linkedin["Unique clicks per share"] == "2.0000"
    assert linkedin["Unique clicks per share ÷ your average"] == "1.7143"
    assert linkedin["Earned media value"] == "94.00"
    assert dict(zip(header, rows[2], strict=True))["Network"] == "X"
    assert client.get(f"{URL}/export/people.csv{QUERY}").status_code == 404


def test_csv_cells_are_formula_safe(db, client, auth):
    """A figure starting with "-" (likes removed: a negative day of engagements) or a
    network key that looks like a formula is neutralised."""
    me = auth.as_role(Role.EMPLOYEE)
    content = f.item(db)
    s = f.share(db, me, content, at=T0 - DAY, network="=1+2")
    f.snapshot(db, s, T0 - DAY + HOUR, likes=5)
    f.snapshot(db, s, T0 + HOUR, likes=2)
    tally.tally(db, T0 + DAY)
    rows = rows_of(client.get(f"{URL}/export/trend.csv{QUERY}"))
    engagements = rows[0].index("Engagements")
    assert [r[engagements] for r in rows[1:]] == ["0", "5", "'-3"]
    rows = rows_of(client.get(f"{URL}/export/networks.csv{QUERY}"))
    assert rows[1][0] == "'=1+2"


# --- cost and access ---------------------------------------------------------------------------


def _history(db, user, days: int, badges: int) -> None:
    networks = ("linkedin", "x", "facebook", "email")
    content = f.item(db)
    for n in range(days):
        s = f.share(db, user, content, at=T0 - n * DAY, network=networks[n % len(networks)])
        f.click(db, s, T0 - n * DAY + HOUR, f"v{n}")
        f.conversion(db, s, T0 - n * DAY + HOUR, "10.00")
        f.points(db, user, T0 - n * DAY, 3)
    for n in range(badges):
        db.add(UserBadge(user_id=user.id, badge_id=badge(db, BadgeCriterion.SHARES, n + 1).id))
    db.flush()


def test_the_same_number_of_statements_for_a_small_and_a_long_history(db, client, auth, app):
    few, many = f.person(db), f.person(db)
    _history(db, few, 1, 1)
    _history(db, many, 30, 12)
    tally.tally(db, T0 + DAY)
    counts = []
    query = "?period=custom&from=2026-01-01&to=2026-03-02"
    for user, n in ((few, 1), (many, 30)):
        auth.login(user)
        with count_statements(app) as statements:
            response = client.get(URL + query)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert kpis(html)["shares"] == str(n)
        assert len(re.findall('data-testid="network-row"', html)) == min(n, 4)
        counts.append(len(statements))
        # the rollups only: never the raw events
        raw = [q for q in statements if re.search(
            r"\b(FROM|JOIN)\s+(clicks|shares|conversions|engagement_snapshots)\b", q, re.I)]
        assert not raw, raw
    assert counts[0] == counts[1]


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER, Role.CURATOR, Role.ADMIN])
def test_every_role_has_its_own_impact(db, client, auth, role):
    auth.as_role(role)
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}/export/trend.csv").status_code == 200
    assert client.get(f"{URL}/export/networks.csv").status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    for url in (URL, f"{URL}/export/trend.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
