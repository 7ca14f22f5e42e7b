"""Property tests (hypothesis) of the ledger: for any sequence of events, in any batching,
with any caps — the PeriodTotal rows equal the sums of the ledger per person and period,
no cap is ever exceeded, every key pays once, and replaying the events changes nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.common.actor import Actor
from app.gamification import services
from app.gamification.models import Action, LedgerEntry, Period, PeriodTotal
from tests.factories import UserFactory

START = datetime(2026, 3, 27, tzinfo=UTC)  # a Friday: weeks, months and a quarter cross
ACTIONS = [Action.SHARE, Action.SHARE_FEATURED, Action.UNIQUE_CLICK, Action.CONVERSION,
           Action.QUIZ_PASSED]
DELTAS = {Action.SHARE: "shares", Action.SHARE_FEATURED: "shares",
          Action.UNIQUE_CLICK: "unique_clicks", Action.CONVERSION: "conversions"}

event = st.tuples(
    st.integers(0, 2),  # who
    st.sampled_from(ACTIONS),
    st.integers(0, 12 * 24 * 60),  # minutes after START (12 days)
    st.integers(0, 40),  # key number: small, so that keys repeat
    st.integers(0, 2_000),  # reach
)
caps = st.tuples(st.integers(1, 9), st.one_of(st.none(), st.integers(0, 30)), st.booleans())


def _events(users, raw) -> list[services.PointEvent]:
    result = []
    for who, action, minutes, number, reach in raw:
        delta = DELTAS.get(action)
        result.append(services.PointEvent(
            user_id=users[who].id, action=action, key=f"{action.value}:{who}:{number}",
            occurred_at=START + timedelta(minutes=minutes),
            shares=int(delta == "shares"), unique_clicks=int(delta == "unique_clicks"),
            conversions=int(delta == "conversions"),
            reach=reach if delta == "shares" else 0))
    return result


def _snapshot(db):
    return (sorted((e.idempotency_key, e.points, e.reason)
                   for e in db.scalars(select(LedgerEntry))),
            sorted((t.user_id, t.period.value, t.period_start, t.points, t.shares,
                    t.unique_clicks, t.conversions, t.reach)
                   for t in db.scalars(select(PeriodTotal))))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(raw=st.lists(event, max_size=60), cut=st.lists(st.integers(0, 60), max_size=3),
       share_rule=caps, click_rule=caps,
       corrections=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 40)), max_size=3))
def test_totals_equal_the_ledger_caps_hold_and_replays_change_nothing(
        db, raw, cut, share_rule, click_rule, corrections):
    nested = db.begin_nested()
    try:
        admin = UserFactory()
        actor = Actor(user_id=admin.id)
        for action, (points, cap, active) in ((Action.SHARE, share_rule),
                                              (Action.UNIQUE_CLICK, click_rule)):
            services.save_rule(db, actor, action, points=points, daily_cap=cap,
                               active=active)
        users = [UserFactory() for _ in range(3)]
        events = _events(users, raw)
        # the same events in one batch or cut into several (the job's rounds), plus the
        # single award() of the contract for one of them
        bounds = sorted({0, len(events), *[min(c, len(events)) for c in cut]})
        for low, high in zip(bounds, bounds[1:], strict=False):
            services.award_many(db, events[low:high])
        for who, points in corrections:
            services.correct(db, user_id=users[who].id, points=points, reason="bonus",
                             actor=actor, now=START + timedelta(days=3))
        if events:
            e = events[0]
            assert services.award(db, user_id=e.user_id, action=e.action, key=e.key,
                                  occurred_at=e.occurred_at) is None

        entries = list(db.scalars(select(LedgerEntry)
                                  .where(LedgerEntry.user_id.in_([u.id for u in users]))))
        # every key pays once: as many entries as distinct keys (+ the corrections)
        assert len(entries) == len({e.key for e in events}) + len(corrections)
        # the totals are the sums of the ledger, per person and period
        expected: dict = defaultdict(lambda: [0, 0, 0, 0, 0])
        first_event = {}
        for e in sorted(events, key=lambda e: (e.occurred_at, e.key)):
            first_event.setdefault(e.key, e)
        for entry in entries:
            source = first_event.get(entry.idempotency_key)
            values = (entry.points, source.shares if source else 0,
                      source.unique_clicks if source else 0,
                      source.conversions if source else 0, source.reach if source else 0)
            for period, start in services.period_starts(entry.occurred_at).items():
                row = expected[(entry.user_id, period, start)]
                for i, value in enumerate(values):
                    row[i] += value
        actual = {(t.user_id, t.period, t.period_start):
                  [t.points, t.shares, t.unique_clicks, t.conversions, t.reach]
                  for t in db.scalars(select(PeriodTotal).where(
                      PeriodTotal.user_id.in_([u.id for u in users])))}
        assert actual == dict(expected)
        # no cap is ever exceeded
        rules = services.rules(db)
        per_day: dict = defaultdict(int)
        for entry in entries:
            if entry.action != Action.CORRECTION:
                per_day[(entry.user_id, entry.action, entry.occurred_at.date())] += \
                    entry.points
                assert 0 <= entry.points <= rules[entry.action].points
        for (_uid, action, _day), paid in per_day.items():
            rule = rules[action]
            if not rule.active:
                assert paid == 0
            elif rule.daily_cap is not None:
                assert paid <= rule.daily_cap
        # all-time totals per person equal the whole ledger
        for user in users:
            assert services.points_balance(db, user.id) == sum(
                e.points for e in entries if e.user_id == user.id)
        # replaying every event changes nothing
        before = _snapshot(db)
        assert services.award_many(db, events) == []
        assert _snapshot(db) == before
        assert Period.ALL in {t.period for t in db.scalars(select(PeriodTotal))} or not entries
    finally:
        nested.rollback()
        # SQLite reuses the rolled-back rowids: forget the rows loaded in this example,
        # or the next one would read their stale state from the identity map
        db.expire_all()
        db.expunge_all()
