"""Leaderboards, the service: who is ranked, competition ranks with deterministic ties, the
viewer's own rank anywhere on the board, opt-out, anonymous boards, scopes, periods, the
constant number of statements and the cache with its one invalidation."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from app.accounts.models import Role, UserStatus
from app.db import commit, utcnow
from app.gamification import leaderboards
from app.gamification.leaderboards import BoardPeriod, BoardSpec, Scope, board, initials
from app.gamification.models import Action, Metric, Period
from app.gamification.services import award, period_start
from tests.factories import GroupFactory, UserFactory
from tests.factories_boards import (
    board_settings,
    challenge,
    opt_out,
    progress_row,
    total,
)

TODAY = utcnow().date()
MONTH = BoardSpec()  # this month, company, points


def table(b) -> list[tuple[int, str, int]]:
    return [(r.rank, r.name, r.value) for r in b.rows]


@contextmanager
def statements(engine):
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def people(db, values: dict[str, int], **kwargs):
    """People named after the keys (in this order, so ids increase), with these month
    points."""
    out = {}
    for name, value in values.items():
        out[name] = UserFactory(name=name, **kwargs)
        if value is not None:
            total(db, out[name], value)
    return out


# --- ranking ---


def test_competition_ranks_and_ties_broken_by_the_smaller_user_id(db, app):
    p = people(db, {"Ann Alpha": 10, "Bob Beta": 30, "Cid Gamma": 10, "Dee Delta": 5,
                    "Eve Epsilon": 30})

    result = board(db, MONTH, use_cache=False)

    assert table(result) == [(1, "Bob Beta", 30), (1, "Eve Epsilon", 30), (3, "Ann Alpha", 10),
                             (3, "Cid Gamma", 10), (5, "Dee Delta", 5)]
    assert [r.user_id for r in result.rows] == [p["Bob Beta"].id, p["Eve Epsilon"].id,
                                                p["Ann Alpha"].id, p["Cid Gamma"].id,
                                                p["Dee Delta"].id]
    assert result.viewer is None and not result.anonymous and result.limit == 10


def test_only_active_people_with_something_this_period_are_ranked(db, app):
    p = people(db, {"Active": 7, "Zero": 0, "Negative": -3, "Gone": 9, "Invited": 8,
                    "Erased": 6, "Last month only": None})
    p["Gone"].status = UserStatus.DEACTIVATED
    p["Invited"].status = UserStatus.INVITED
    p["Erased"].erased_at = utcnow()
    total(db, p["Last month only"], 99, start=period_start(Period.MONTH, TODAY)
          - timedelta(days=1))  # a day of last month → last month's row
    db.flush()

    assert table(board(db, MONTH, use_cache=False)) == [(1, "Active", 7)]


def test_the_viewer_sees_their_own_rank_far_below_the_top(db, app):
    p = people(db, {f"P{i:02d}": 100 - i for i in range(12)})
    viewer = p["P08"]

    result = board(db, MONTH, viewer_id=viewer.id, limit=3, use_cache=False)

    assert table(result) == [(1, "P00", 100), (2, "P01", 99), (3, "P02", 98)]
    assert result.viewer_below
    assert (result.viewer.rank, result.viewer.name, result.viewer.value) == (9, "P08", 92)
    assert result.viewer.is_viewer


def test_the_viewer_inside_the_top_is_marked_there_and_not_repeated(db, app):
    p = people(db, {"First": 50, "Second": 40, "Third": 30})

    result = board(db, MONTH, viewer_id=p["Second"].id, use_cache=False)

    assert [r.is_viewer for r in result.rows] == [False, True, False]
    assert result.viewer.rank == 2 and not result.viewer_below


def test_a_viewer_tied_with_people_above_shares_their_rank(db, app):
    p = people(db, {"A": 20, "B": 10, "C": 10, "D": 10, "E": 5})

    result = board(db, MONTH, viewer_id=p["D"].id, limit=2, use_cache=False)

    assert result.viewer.rank == 2 and result.viewer_below
    assert table(result) == [(1, "A", 20), (2, "B", 10)]


def test_hidden_people_above_the_viewer_do_not_push_their_rank_down(db, app):
    p = people(db, {"Gone": 90, "Invited": 80, "Out": 70, "Shown": 60, "Me": 50, "Below": 40})
    p["Gone"].status = UserStatus.DEACTIVATED
    p["Invited"].status = UserStatus.INVITED
    opt_out(db, p["Out"])

    result = board(db, MONTH, viewer_id=p["Me"].id, limit=1, use_cache=False)

    assert table(result) == [(1, "Shown", 60)]
    assert result.viewer.rank == 2 and result.viewer_below


def test_a_viewer_without_anything_this_period_has_no_rank(db, app):
    p = people(db, {"Busy": 3, "Idle": None})
    assert board(db, MONTH, viewer_id=p["Idle"].id, use_cache=False).viewer is None


# --- opt-out and anonymous boards ---


def test_opted_out_people_disappear_from_other_boards_but_see_their_own_row(db, app):
    p = people(db, {"Olga Out": 50, "Bea In": 40, "Carl In": 30})
    opt_out(db, p["Olga Out"])

    for viewer in (None, p["Bea In"].id, p["Carl In"].id):
        assert table(board(db, MONTH, viewer_id=viewer, use_cache=False)) == [
            (1, "Bea In", 40), (2, "Carl In", 30)]

    mine = board(db, MONTH, viewer_id=p["Olga Out"].id, use_cache=False)
    assert table(mine) == [(1, "Olga Out", 50), (2, "Bea In", 40), (3, "Carl In", 30)]
    assert mine.viewer.rank == 1 and mine.rows[0].is_viewer


def test_an_opted_out_viewer_below_the_top_keeps_their_rank(db, app):
    p = people(db, {"A": 50, "B": 40, "C": 30, "Olga Out": 20})
    opt_out(db, p["Olga Out"])

    mine = board(db, MONTH, viewer_id=p["Olga Out"].id, limit=2, use_cache=False)

    assert table(mine) == [(1, "A", 50), (2, "B", 40)]
    assert mine.viewer_below and mine.viewer.rank == 4


def test_an_opted_out_viewer_in_the_middle_shifts_the_ranks_below_for_their_eyes(db, app):
    p = people(db, {"A": 50, "Olga Out": 45, "B": 40, "C": 30})
    opt_out(db, p["Olga Out"])

    mine = board(db, MONTH, viewer_id=p["Olga Out"].id, limit=3, use_cache=False)

    assert table(mine) == [(1, "A", 50), (2, "Olga Out", 45), (3, "B", 40)]
    assert mine.viewer.rank == 2 and not mine.viewer_below


def test_opting_back_in_shows_the_person_again(db, app):
    p = people(db, {"Olga": 50})
    opt_out(db, p["Olga"])
    assert board(db, MONTH, use_cache=False).rows == []
    opt_out(db, p["Olga"], False)
    assert table(board(db, MONTH, use_cache=False)) == [(1, "Olga", 50)]


def test_an_anonymous_board_shows_initials_except_the_viewers_own_name(db, app):
    p = people(db, {"Mia van Manager": 30, "Jean-Luc Picard": 20, "Zoe": 10})
    board_settings(db, anonymous=True)

    result = board(db, MONTH, viewer_id=p["Zoe"].id, use_cache=False)

    assert result.anonymous
    assert table(result) == [(1, "M. M.", 30), (2, "J. P.", 20), (3, "Zoe", 10)]


@pytest.mark.parametrize(("name", "expected"), [
    ("Mia van Manager", "M. M."), ("Zoe", "Z."), ("  élodie   durand ", "É. D."),
    ("Jean-Luc Picard", "J. P."), ("", "?"), ("42", "?")])
def test_initials(name, expected):
    assert initials(name) == expected


def test_the_board_size_comes_from_the_settings(db, app):
    people(db, {f"P{i}": 10 + i for i in range(8)})
    board_settings(db, size=5)
    result = board(db, MONTH, use_cache=False)
    assert len(result.rows) == 5 and result.limit == 5


# --- scopes and periods ---


@pytest.fixture
def company(db):
    """boss → mia (manager) → (ray, rob → rik); otto (manager) → oli. Group G: ray, oli."""
    g = GroupFactory(name="Sales")
    boss = UserFactory(name="Boss", role=Role.ADMIN)
    mia = UserFactory(name="Mia", role=Role.MANAGER, manager=boss)
    ray = UserFactory(name="Ray", manager=mia, groups=[g])
    rob = UserFactory(name="Rob", manager=mia)
    rik = UserFactory(name="Rik", manager=rob)
    otto = UserFactory(name="Otto", role=Role.MANAGER, manager=boss)
    oli = UserFactory(name="Oli", manager=otto, groups=[g])
    for user, value in ((boss, 70), (mia, 60), (ray, 50), (rob, 40), (rik, 30), (otto, 20),
                        (oli, 10)):
        total(db, user, value)
    return dict(group=g, boss=boss, mia=mia, ray=ray, rob=rob, rik=rik, otto=otto, oli=oli)


def test_group_scope_ranks_the_members_only(db, app, company):
    spec = BoardSpec(scope=Scope.GROUP, group_id=company["group"].id)
    assert table(board(db, spec, use_cache=False)) == [(1, "Ray", 50), (2, "Oli", 10)]
    # a member viewer ranks among members; a non-member has no row on it
    assert board(db, spec, viewer_id=company["oli"].id, use_cache=False).viewer.rank == 2
    assert board(db, spec, viewer_id=company["rob"].id, use_cache=False).viewer is None


def test_team_scope_ranks_direct_and_indirect_reports_only(db, app, company):
    spec = BoardSpec(scope=Scope.TEAM, manager_id=company["mia"].id)
    result = board(db, spec, viewer_id=company["mia"].id, use_cache=False)
    assert table(result) == [(1, "Ray", 50), (2, "Rob", 40), (3, "Rik", 30)]
    assert result.viewer is None  # the manager is not one of their own reports
    top = board(db, BoardSpec(scope=Scope.TEAM, manager_id=company["boss"].id),
                use_cache=False)
    assert [r.name for r in top.rows] == ["Mia", "Ray", "Rob", "Rik", "Otto", "Oli"]


def test_a_reporting_cycle_does_not_loop(db, app, company):
    company["boss"].manager = company["rik"]  # boss → … → rik → boss
    db.flush()
    spec = BoardSpec(scope=Scope.TEAM, manager_id=company["mia"].id)
    assert [r.name for r in board(db, spec, use_cache=False).rows] == [
        "Boss", "Mia", "Ray", "Rob", "Rik", "Otto", "Oli"]


@pytest.mark.parametrize("board_period", [BoardPeriod.WEEK, BoardPeriod.MONTH,
                                          BoardPeriod.QUARTER, BoardPeriod.ALL])
@pytest.mark.parametrize("metric", list(Metric))
def test_each_period_and_metric_reads_its_own_rows_and_column(db, app, board_period, metric):
    user = UserFactory(name="Pat")
    periods = [Period.DAY, Period.WEEK, Period.MONTH, Period.QUARTER, Period.ALL]
    for n, period in enumerate(periods, start=1):
        total(db, user, period=period, points=n, shares=10 * n, unique_clicks=100 * n,
              conversions=1000 * n, reach=10000 * n)
    # an older week that must not count for "this week"
    total(db, user, period=Period.WEEK, start=period_start(Period.WEEK, TODAY)
          - timedelta(days=7), points=555, unique_clicks=555, conversions=555, reach=555)
    expected_n = {BoardPeriod.WEEK: 2, BoardPeriod.MONTH: 3, BoardPeriod.QUARTER: 4,
                  BoardPeriod.ALL: 5}[board_period]
    scale = {Metric.POINTS: 1, Metric.UNIQUE_CLICKS: 100, Metric.CONVERSIONS: 1000,
             Metric.REACH: 10000}[metric]

    result = board(db, BoardSpec(period=board_period, metric=metric), use_cache=False,
                   today=TODAY)

    assert table(result) == [(1, "Pat", expected_n * scale)]


def test_a_past_period_is_asked_for_by_its_start(db, app):
    user = UserFactory(name="Pat")
    march = period_start(Period.MONTH, TODAY.replace(month=3, day=15))
    total(db, user, 42, start=march)
    spec = BoardSpec(period=BoardPeriod.MONTH, start=march)
    assert table(board(db, spec, use_cache=False)) == [(1, "Pat", 42)]


def test_a_challenge_board_ranks_its_progress_rows(db, app):
    a, b, c = UserFactory(name="A"), UserFactory(name="B"), UserFactory(name="C")
    ch, other = challenge(db), challenge(db, title="Other")
    progress_row(db, ch, a, 3)
    progress_row(db, ch, b, 7)
    progress_row(db, ch, c, 0)
    progress_row(db, other, c, 50)

    spec = BoardSpec(period=BoardPeriod.CHALLENGE, challenge_id=ch.id)
    result = board(db, spec, viewer_id=a.id, use_cache=False)

    assert table(result) == [(1, "B", 7), (2, "A", 3)]
    assert result.viewer.rank == 2


def test_a_board_spec_needs_its_scope_and_period_arguments():
    with pytest.raises(ValueError):
        BoardSpec(scope=Scope.GROUP)
    with pytest.raises(ValueError):
        BoardSpec(scope=Scope.TEAM)
    with pytest.raises(ValueError):
        BoardSpec(period=BoardPeriod.CHALLENGE)


# --- cost: a constant number of statements ---


def _crowd(db, n: int, group, manager, ch):
    for i in range(n):
        user = UserFactory(name=f"Crowd {i}", manager=manager, groups=[group])
        total(db, user, 1000 - i)
        progress_row(db, ch, user, 1000 - i)
        if i % 7 == 3:
            opt_out(db, user)


@pytest.mark.parametrize("spec_kind", ["company", "group", "team", "challenge"])
def test_a_board_costs_the_same_statements_for_5_and_50_people(db, app, spec_kind):
    counts = []
    for n in (5, 50):
        group = GroupFactory()
        manager = UserFactory(role=Role.MANAGER)
        ch = challenge(db, title=f"Crowd {n}")
        _crowd(db, n, group, manager, ch)
        viewer = UserFactory(manager=manager, groups=[group])
        total(db, viewer, 1)  # last: outside the top for 50 people
        progress_row(db, ch, viewer, 1)
        spec = {"company": BoardSpec(),
                "group": BoardSpec(scope=Scope.GROUP, group_id=group.id),
                "team": BoardSpec(scope=Scope.TEAM, manager_id=manager.id),
                "challenge": BoardSpec(period=BoardPeriod.CHALLENGE, challenge_id=ch.id)
                }[spec_kind]
        viewer_id = viewer.id
        db.expire_all()
        with statements(db.get_bind().engine) as seen:
            result = board(db, spec, viewer_id=viewer_id, use_cache=False)
        assert result.viewer is not None and len(result.rows) == min(10, result.viewer.rank)
        counts.append(len(seen))
    assert counts[0] == counts[1] <= 3, counts  # settings, the top rows, the viewer's row


# --- the cache and its one invalidation ---


@pytest.fixture
def app_overrides():
    return {"LEADERBOARD_CACHE_SECONDS": 60}


def test_the_top_rows_are_cached_until_invalidate(db, app):
    p = people(db, {"Ann": 10, "Bob": 5})
    engine = db.get_bind().engine
    assert table(board(db, MONTH)) == [(1, "Ann", 10), (2, "Bob", 5)]
    total(db, UserFactory(name="Cy"), 50)

    with statements(engine) as seen:
        cached = board(db, MONTH, viewer_id=p["Bob"].id)
    assert table(cached) == [(1, "Ann", 10), (2, "Bob", 5)]  # served from the cache
    assert not any("ORDER BY" in s and "LIMIT" in s for s in seen)
    assert cached.viewer.rank == 3  # the viewer's own rank is never cached

    leaderboards.invalidate()
    assert table(board(db, MONTH)) == [(1, "Cy", 50), (2, "Ann", 10), (3, "Bob", 5)]


def test_an_award_invalidates_the_boards_once_committed(db, app):
    ann = people(db, {"Ann": 10})["Ann"]
    assert table(board(db, MONTH)) == [(1, "Ann", 10)]
    now = utcnow()
    award(db, user_id=ann.id, action=Action.SHARE,
          key="test:share:1", occurred_at=now, shares=1, now=now)
    assert table(board(db, MONTH)) == [(1, "Ann", 10)]  # not committed yet: still cached
    commit(db)
    assert board(db, MONTH).rows[0].value > 10


def test_boards_are_cached_per_parameters(db, app, company):
    by_group = BoardSpec(scope=Scope.GROUP, group_id=company["group"].id)
    by_team = BoardSpec(scope=Scope.TEAM, manager_id=company["mia"].id)
    assert [r.name for r in board(db, by_group).rows] == ["Ray", "Oli"]
    assert [r.name for r in board(db, by_team).rows] == ["Ray", "Rob", "Rik"]
    assert [r.name for r in board(db, MONTH, limit=2).rows] == ["Boss", "Mia"]
    assert len(board(db, MONTH, limit=3).rows) == 3
