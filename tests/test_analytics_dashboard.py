"""The dashboards' queries (app/analytics/dashboard.py) against numbers worked out by hand
on a small scene (tests/factories_analytics.py ``dashboard_scene``), the period presets,
the constant statement count, and on PostgreSQL that no plan touches the raw tables."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from app.analytics import dashboard as dash
from app.analytics.dashboard import Dimension, Granularity, Period, PeriodError, Scope
from tests import factories_analytics as f
from tests.factories_analytics import T0

D0 = T0.date()
PERIOD = Period(D0 - timedelta(days=29), D0)


@pytest.fixture
def scene(db):
    return f.dashboard_scene(db)


@contextlib.contextmanager
def statements(db):
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


# --- period ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "start", "end"), [
    ("7d", date(2026, 5, 9), date(2026, 5, 15)),
    ("30d", date(2026, 4, 16), date(2026, 5, 15)),
    ("90d", date(2026, 2, 15), date(2026, 5, 15)),
    ("month", date(2026, 5, 1), date(2026, 5, 15)),
    ("last_month", date(2026, 4, 1), date(2026, 4, 30)),
    ("quarter", date(2026, 4, 1), date(2026, 5, 15)),
    ("year", date(2026, 1, 1), date(2026, 5, 15)),
])
def test_presets_end_today(name, start, end):
    period = Period.preset(name, date(2026, 5, 15))
    assert (period.start, period.end, period.name) == (start, end, name)


def test_last_month_in_january_is_december():
    assert Period.preset("last_month", date(2026, 1, 10)) == Period(date(2025, 12, 1),
                                                                   date(2025, 12, 31))


def test_custom_periods_are_validated():
    assert Period.custom(date(2026, 1, 1), date(2026, 1, 1)).days == 1
    with pytest.raises(PeriodError):
        Period.custom(date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(PeriodError):
        Period.custom(date(2024, 1, 1), date(2026, 1, 2))  # more than 731 days
    with pytest.raises(PeriodError):
        Period.custom(None, date(2026, 1, 1))
    with pytest.raises(PeriodError):
        Period.preset("decade", date(2026, 1, 1))
    assert Period(date(2026, 1, 11), date(2026, 1, 20)).previous() == Period(
        date(2026, 1, 1), date(2026, 1, 10))


def test_granularity_follows_the_span():
    assert dash.granularity(Period(date(2026, 1, 1), date(2026, 3, 3))) is Granularity.DAY
    assert dash.granularity(Period(date(2026, 1, 1), date(2026, 3, 31))) is Granularity.WEEK
    assert dash.granularity(Period(date(2026, 1, 1), date(2026, 12, 31))) is Granularity.MONTH


# --- the figures ---------------------------------------------------------------------------------


def test_company_summary(db, scene):
    s = dash.summary(db, PERIOD, Scope.company())
    assert (s.shares, s.reach, s.human_clicks, s.unique_clicks, s.bot_clicks) == (
        8, 4400, 13, 12, 1)
    assert (s.conversions, s.conversion_value, s.points, s.engagements) == (
        3, Decimal("200.00"), 15, 0)
    # Mia, Ana, Ben, Cid, Dan, Eve are enrolled; four of them shared
    assert (s.enrolled, s.active, s.active_enrolled) == (6, 4, 4)
    assert s.participation == pytest.approx(4 / 6)
    assert s.clicks_per_share == pytest.approx(12 / 8)
    # LinkedIn 3,600 × 30 / 1000 + 5 × 5 = 133; X 500 × 6 / 1000 + 2 × 0.6 = 4.2;
    # Facebook 300 × 12 / 1000 + 5 × 1 = 8.6
    assert s.emv == Decimal("145.80")
    assert s.currency == "EUR"


def test_a_deactivated_sharer_counts_as_active_but_not_in_the_participation(db, scene):
    from app.accounts.models import UserStatus

    scene.dan.status = UserStatus.DEACTIVATED
    db.flush()
    s = dash.summary(db, PERIOD, Scope.company())
    assert (s.enrolled, s.active, s.active_enrolled) == (5, 4, 3)
    assert s.participation == pytest.approx(3 / 5)


def test_team_and_group_and_person_scopes(db, scene):
    team = dash.summary(db, PERIOD, Scope.team(scene.mia.id))  # Ana, Ben and (via Ben) Cid
    assert (team.shares, team.unique_clicks, team.conversions, team.points) == (7, 7, 3, 10)
    assert (team.enrolled, team.active) == (3, 3)
    sales = dash.summary(db, PERIOD, Scope.group(scene.sales.id))  # Ana, Ben, Eve
    assert (sales.shares, sales.unique_clicks, sales.enrolled, sales.active) == (4, 6, 3, 2)
    me = dash.summary(db, PERIOD, Scope.person(scene.dan.id))
    assert (me.shares, me.unique_clicks, me.points, me.enrolled, me.active) == (1, 5, 5, 1, 1)
    from sqlalchemy import select

    from app.accounts.models import User
    by_query = dash.summary(db, PERIOD, Scope.people(
        select(User.id).where(User.name.in_(["Ana Alpha", "Dan Delta"]))))
    assert (by_query.shares, by_query.unique_clicks) == (4, 9)


def test_a_period_without_data_is_empty(db, scene):
    before = Period(D0 - timedelta(days=60), D0 - timedelta(days=31))
    s = dash.summary(db, before, Scope.company())
    assert s.is_empty and s.shares == 0 and s.emv == Decimal("0.00") and s.enrolled == 6
    assert s.clicks_per_share is None
    c = dash.concentration(db, before, Scope.company())
    assert c.ambassadors == 0 and c.curve == [] and c.tops[0].unique_clicks is None
    assert dash.top_ambassadors(db, before, Scope.company()) == []
    assert dash.influence_by_topic(db, before, Scope.company()) == []


def test_trend_fills_the_days_and_adds_up_weeks(db, scene):
    days = dash.trend(db, PERIOD, Scope.company())
    assert days.granularity is Granularity.DAY and len(days.points) == 30
    assert days.points[-1].start == D0 and days.points[-1].totals.unique_clicks == 12
    assert sum(p.totals.shares for p in days.points) == 8
    weeks = dash.trend(db, PERIOD, Scope.company(), Granularity.WEEK)
    # 2026-03-02 is a Monday: the last week point starts that day; the first starts at
    # the period's start (a Sunday), clipped
    assert weeks.points[0].start == PERIOD.start
    assert weeks.points[-1].start == D0 and weeks.points[-1].totals.points == 15
    months = dash.trend(db, PERIOD, Scope.company(), Granularity.MONTH)
    assert [p.start for p in months.points] == [PERIOD.start, date(2026, 3, 1)]


def test_by_network(db, scene):
    rows = dash.by_network(db, PERIOD, Scope.company())
    assert [(r.network, r.active, r.totals.shares, r.totals.unique_clicks) for r in rows] == [
        ("linkedin", 2, 6, 5), ("x", 1, 1, 2), ("facebook", 1, 1, 5)]
    assert [r.totals.emv for r in rows] == [Decimal("133.00"), Decimal("4.20"),
                                           Decimal("8.60")]
    assert rows[0].label == "LinkedIn"


def test_by_group(db, scene):
    rows = dash.by_group(db, PERIOD, Scope.company())
    # both groups have 6 unique clicks; Tech has more conversions
    assert [(r.name, r.members, r.active, r.totals.shares, r.totals.unique_clicks,
             r.totals.conversions) for r in rows] == [
        ("Tech", 2, 2, 4, 6, 2), ("Sales", 3, 2, 4, 6, 1)]
    assert rows[1].participation == pytest.approx(2 / 3)
    team = dash.by_group(db, PERIOD, Scope.team(scene.mia.id))
    assert [(r.name, r.members, r.active, r.totals.unique_clicks) for r in team] == [
        ("Sales", 2, 2, 6), ("Tech", 1, 1, 1)]
    only = dash.by_group(db, PERIOD, Scope.group(scene.sales.id))
    assert [r.name for r in only] == ["Sales"]


def test_top_content_and_ambassadors(db, scene):
    content = dash.top_content(db, PERIOD, Scope.company())
    assert [(r.title, r.totals.shares, r.totals.unique_clicks, r.totals.conversions)
            for r in content] == [("Item one", 4, 9, 1), ("Item two", 1, 2, 0),
                                  ("Item three", 3, 1, 2)]
    team_content = dash.top_content(db, PERIOD, Scope.team(scene.mia.id), limit=2)
    assert [(r.title, r.totals.unique_clicks) for r in team_content] == [
        ("Item one", 4), ("Item two", 2)]
    people = dash.top_ambassadors(db, PERIOD, Scope.company())
    assert [(r.name, r.totals.unique_clicks, r.totals.points) for r in people] == [
        ("Dan Delta", 5, 5), ("Ana Alpha", 4, 10), ("Ben Beta", 2, 0), ("Cid Gamma", 1, 0)]
    assert people[1].totals.emv == Decimal("110.00")  # 3,000 × 30 / 1000 + 4 × 5
    team = dash.top_ambassadors(db, PERIOD, Scope.team(scene.mia.id))
    assert "Dan Delta" not in [r.name for r in team]


def test_concentration(db, scene):
    c = dash.concentration(db, PERIOD, Scope.company())
    # unique clicks: Dan 5, Ana 4, Ben 2, Cid 1 (12); conversions: Cid 2, Ana 1 (3)
    assert (c.ambassadors, c.unique_clicks, c.conversions) == (4, 12, 3)
    # with 4 people, the top 1 %, 5 % and 20 % are one person
    assert [(t.percent, t.people) for t in c.tops] == [(1, 1), (5, 1), (20, 1)]
    assert all(t.unique_clicks == pytest.approx(5 / 12) for t in c.tops)
    assert all(t.conversions == pytest.approx(2 / 3) for t in c.tops)
    assert [p.people for p in c.curve] == [0, 0.25, 0.5, 0.75, 1]
    assert [p.unique_clicks for p in c.curve] == pytest.approx([0, 5 / 12, 9 / 12, 11 / 12, 1])
    assert [p.conversions for p in c.curve] == pytest.approx([0, 2 / 3, 1, 1, 1])


def test_concentration_of_many_people_is_sampled_per_percent(db):
    """150 people, person k brings k unique clicks: the curve has 101 points and the top
    20 % (30 people: 121..150) bring their exact share, from rows fetched by one
    statement."""
    some = f.item(db)
    everyone = [f.person(db) for _ in range(150)]
    for k, someone in enumerate(everyone, start=1):
        target = f.share(db, someone, some, reach=1)
        for v in range(k):
            f.click(db, target, T0 + f.HOUR, f"p{k}v{v}")
    from app.analytics import tally

    tally.tally(db, T0 + f.DAY)
    with statements(db) as seen:
        c = dash.concentration(db, PERIOD, Scope.company())
    assert len(seen) == 1
    total = 150 * 151 // 2
    assert (c.ambassadors, c.unique_clicks) == (150, total)
    assert len(c.curve) == 101 and c.curve[0].people == 0 and c.curve[-1].unique_clicks == 1
    top20 = sum(range(121, 151))
    assert c.tops[2].people == 30 and c.tops[2].unique_clicks == pytest.approx(top20 / total)
    assert c.tops[0].people == 2 and c.tops[0].unique_clicks == pytest.approx(299 / total)
    # 50 % of the people (75: 76..150)
    assert c.curve[50].people == 0.5
    assert c.curve[50].unique_clicks == pytest.approx(sum(range(76, 151)) / total)
    assert c.tops[0].conversions is None  # no conversions at all


def test_influence_by_topic(db, scene):
    topics = dash.influence_by_topic(db, PERIOD, Scope.company())
    # AI: Ana 3 shares 4 clicks, Cid 3 shares 1 click 2 conversions, Dan 1 share (below
    # the threshold of 3 shares, though 5 clicks per share); Cloud: Cid, Ben 1 share
    assert [(t.topic, t.shares, t.unique_clicks) for t in topics] == [("AI", 7, 10),
                                                                        ("Cloud", 4, 3)]
    assert [(p.name, p.shares, p.unique_clicks, p.conversions) for p in topics[0].people] == [
        ("Ana Alpha", 3, 4, 1), ("Cid Gamma", 3, 1, 2)]
    assert topics[0].people[0].clicks_per_share == pytest.approx(4 / 3)
    assert topics[0].people[1].conversions_per_share == pytest.approx(2 / 3)
    assert [p.name for p in topics[1].people] == ["Cid Gamma"]
    lower = dash.influence_by_topic(db, PERIOD, Scope.company(), min_shares=1, per_topic=1)
    assert [(t.topic, [p.name for p in t.people]) for t in lower] == [
        ("AI", ["Dan Delta"]), ("Cloud", ["Ben Beta"])]
    team = dash.influence_by_topic(db, PERIOD, Scope.team(scene.mia.id), min_shares=1)
    assert "Dan Delta" not in [p.name for t in team for p in t.people]


@pytest.mark.parametrize("dimension", list(Dimension))
def test_breakdown_pages_add_up_to_the_summary(db, scene, dimension):
    total = dash.summary(db, PERIOD, Scope.company())
    rows, offset = [], 0
    while True:
        page = dash.breakdown(db, dimension, PERIOD, Scope.company(), limit=1, offset=offset)
        rows += page.rows
        if not page.rows:
            break
        offset += 1
    assert page.total == len(rows)
    keys = [r.key for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    if dimension is not Dimension.GROUP:  # a person may be in several groups
        assert sum(r.totals.unique_clicks for r in rows) == total.unique_clicks
        assert sum(r.totals.conversion_value for r in rows) == total.conversion_value
        assert sum(r.totals.emv for r in rows) == total.emv


def test_breakdown_labels_and_scope(db, scene):
    people = dash.breakdown(db, "user", PERIOD, Scope.team(scene.mia.id), limit=10)
    assert [r.label for r in people.rows] == ["Ana Alpha", "Ben Beta", "Cid Gamma"]
    assert people.total == 3
    items = dash.breakdown(db, "item", PERIOD, Scope.company())
    assert [(r.label, r.totals.shares) for r in items.rows] == [
        ("Item one", 4), ("Item two", 1), ("Item three", 3)]
    days = dash.breakdown(db, "day", PERIOD, Scope.company())
    assert [(r.key, r.label, r.totals.points) for r in days.rows] == [(D0, "", 15)]
    groups = dash.breakdown(db, "group", PERIOD, Scope.team(scene.mia.id))
    assert [(r.label, r.totals.shares) for r in groups.rows] == [("Sales", 4), ("Tech", 3)]
    with pytest.raises(ValueError):
        dash.breakdown(db, "topic", PERIOD, Scope.company())


# --- cost --------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["company", "team", "group"])
def test_a_dashboard_costs_the_same_statements_with_3_or_30_people(db, scope):
    s = f.dashboard_scene(db)
    chosen = {"company": Scope.company(), "team": Scope.team(s.mia.id),
              "group": Scope.group(s.sales.id)}[scope]
    counts, sizes = [], []
    for extra in (0, 27):
        f.add_sharers(db, s, extra)
        db.expire_all()
        with statements(db) as seen:
            page = dash.dashboard(db, PERIOD, chosen)
        counts.append(len(seen))
        sizes.append(len(page.ambassadors) + page.concentration.ambassadors)
    assert sizes[1] > sizes[0]  # the second page really shows more people
    assert counts[0] == counts[1] <= 10


@pytest.mark.parametrize("scope", ["company", "team", "group"])
def test_no_dashboard_plan_reads_the_raw_tables(db, database_url, scope):
    """EXPLAIN every dashboard statement on PostgreSQL: only rollups (and people, groups,
    items, topics) appear in the plans, never the clicks or shares tables."""
    if not database_url.startswith("postgresql"):
        pytest.skip("EXPLAIN plans are checked on PostgreSQL")
    s = f.dashboard_scene(db)
    chosen = {"company": Scope.company(), "team": Scope.team(s.mia.id),
              "group": Scope.group(s.sales.id)}[scope]
    sent: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        dash.dashboard(db, PERIOD, chosen)
        dash.breakdown(db, "item", PERIOD, chosen)
        dash.breakdown(db, "group", PERIOD, chosen)
        dash.breakdown(db, "user", PERIOD, chosen)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    selects = [(sql, params) for sql, params in sent
               if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) >= 12
    for statement, parameters in selects:
        plan = db.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement,
                                               parameters).scalar_one()
        tables = {node["Relation Name"] for node in walk(plan[0]) if "Relation Name" in node}
        assert tables, statement
        assert not tables & {"clicks", "shares"}, (statement, tables)


def walk(plan):
    stack = [plan]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.get("Plans", []))
        if "Plan" in node:
            stack.append(node["Plan"])
