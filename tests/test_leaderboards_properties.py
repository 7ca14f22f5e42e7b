"""Property: random events paid through the real award → every board (period × metric)
shows, for each person, exactly the sum of what the ledger paid them in that period (points)
and of the counted events' measures, in rank order, and each viewer's rank agrees with the
board. Opt-outs and repeated events (same key: paid once) are part of the draw."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.gamification.leaderboards import PERIOD_ROWS, BoardPeriod, BoardSpec, board
from app.gamification.models import Action, LedgerEntry, Metric
from app.gamification.services import award, period_start
from tests.factories import UserFactory
from tests.factories_boards import opt_out

TODAY = datetime.now(UTC).date()
PEOPLE = 5
#: what each action counts besides its points
MEASURES = {Action.SHARE: "shares", Action.UNIQUE_CLICK: "unique_clicks",
            Action.CONVERSION: "conversions", Action.SUGGESTION_ACCEPTED: None}

events = st.lists(st.tuples(
    st.integers(0, PEOPLE - 1),  # who
    st.sampled_from(list(MEASURES)),  # what
    st.integers(0, 130),  # days before today
    st.integers(0, 86_399),  # second of that day
    st.integers(0, 5_000),  # reach of a share
    st.integers(0, 12),  # the event's key: a repeat pays nothing
), max_size=40)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(drawn=events, hidden=st.sets(st.integers(0, PEOPLE - 1), max_size=2))
def test_boards_equal_the_ledger_sums(db, app, drawn, hidden):
    savepoint = db.begin_nested()  # each example starts from the same empty ledger
    try:
        users = [UserFactory(name=f"Person {i}") for i in range(PEOPLE)]
        _check(db, users, drawn, hidden)
    finally:
        savepoint.rollback()
        # SQLite reuses the rolled-back rowids: forget the rows loaded in this example,
        # or the next one would read their stale state from the identity map
        db.expire_all()
        db.expunge_all()


def _check(db, users, drawn, hidden):
    expected: dict[tuple[BoardPeriod, Metric], dict[int, int]] = defaultdict(
        lambda: defaultdict(int))
    counted = []
    for who, action, days_ago, second, reach, key in drawn:
        user = users[who]
        day = TODAY - timedelta(days=days_ago)
        at = datetime.combine(day, time.min, tzinfo=UTC) + timedelta(seconds=second)
        measure = MEASURES[action]
        deltas = {measure: 1} if measure else {}
        if action is Action.SHARE:
            deltas["reach"] = reach
        entry = award(db, user_id=user.id, action=action, key=f"p:{user.id}:{action}:{key}",
                      occurred_at=at, now=at, **deltas)
        if entry is not None:
            counted.append((user.id, day, deltas))
    for i in hidden:
        opt_out(db, users[i])

    # the ledger is the truth for points; the paid events for the other measures
    for user_id, occurred_at, points in db.execute(select(
            LedgerEntry.user_id, LedgerEntry.occurred_at, LedgerEntry.points)):
        for bp in PERIOD_ROWS:
            if _in_current(bp, occurred_at.date()):
                expected[(bp, Metric.POINTS)][user_id] += points
    for user_id, day, deltas in counted:
        for bp in PERIOD_ROWS:
            if _in_current(bp, day):
                for name, value in deltas.items():
                    if name in Metric._value2member_map_:
                        expected[(bp, Metric(name))][user_id] += value

    hidden_ids = {users[i].id for i in hidden}
    for bp in PERIOD_ROWS:
        for metric in Metric:
            want = expected[(bp, metric)]
            spec = BoardSpec(period=bp, metric=metric)
            seen = board(db, spec, today=TODAY, limit=PEOPLE, use_cache=False)
            visible = sorted(((v, uid) for uid, v in want.items()
                              if v > 0 and uid not in hidden_ids), key=lambda e: (-e[0], e[1]))
            assert [(r.user_id, r.value) for r in seen.rows] == [(u, v) for v, u in visible]
            for row in seen.rows:  # competition ranks: 1 + how many are strictly above
                assert row.rank == 1 + sum(1 for v, _u in visible if v > row.value)
            for user in users:
                mine = board(db, spec, today=TODAY, viewer_id=user.id, limit=PEOPLE,
                             use_cache=False)
                value = want.get(user.id, 0)
                if value <= 0:
                    assert mine.viewer is None
                    continue
                assert mine.viewer.value == value
                assert mine.viewer.rank == 1 + sum(1 for v, _u in visible if v > value)
                assert [r.user_id for r in mine.rows if r.is_viewer] == [user.id]


def _in_current(bp: BoardPeriod, day) -> bool:
    period = PERIOD_ROWS[bp]
    return period_start(period, day) == period_start(period, TODAY)
