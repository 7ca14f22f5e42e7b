"""The award pipeline (job "gamification.award"): each stored event pays once — shares,
unique human clicks, conversions, accepted suggestions, weekly streaks — bots, HEAD and
self clicks earn nothing, caps hold, a second run changes nothing, two awards of the same
key at once pay once, and badges/levels follow (monthly top ranks once a month is over)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.common.actor import Actor
from app.content import services as content
from app.db import Database
from app.gamification import counting, services
from app.gamification.models import (
    Action,
    BadgeCriterion,
    GamificationProfile,
    LedgerEntry,
    Period,
    PeriodTotal,
    UserBadge,
)
from app.jobs import REGISTRY
from app.jobs.models import JobStatus
from app.jobs.runner import run_job
from app.jobs.watermark import get_watermark
from app.sharing.models import Click, ShareStatus
from tests import factories_gamification as g
from tests.factories import UserFactory
from tests.test_redirect import CHROME, visit

T = g.T


def state(db) -> dict:
    """Everything the award writes, as plain values."""
    db.expire_all()
    return {
        "ledger": sorted((e.user_id, e.action.value, e.points, e.idempotency_key, e.reason)
                         for e in db.scalars(select(LedgerEntry))),
        "totals": sorted((t.user_id, t.period.value, t.period_start, t.points, t.shares,
                          t.unique_clicks, t.conversions, t.reach)
                         for t in db.scalars(select(PeriodTotal))),
        "badges": sorted((b.user_id, b.badge_id) for b in db.scalars(select(UserBadge))),
        "levels": sorted((p.user_id, p.level) for p in db.scalars(select(GamificationProfile))),
    }


def award(db, now=T + timedelta(days=1)) -> dict:
    return counting.award_pending(db, now)


def points(db, user) -> int:
    return services.points_balance(db, user.id)


def test_the_job_is_declared_every_five_minutes():
    spec = REGISTRY["gamification.award"]
    assert spec.trigger == {"trigger": "interval", "minutes": 5}
    assert spec.scheduler_options()["coalesce"] is True
    assert spec.scheduler_options()["max_instances"] == 1
    assert spec.misfire_grace_time > 0 and spec.description


def test_running_the_job_twice_changes_nothing(app, db):
    alice, bob, curator = UserFactory(), UserFactory(), UserFactory(role="curator")
    g.badge(db, BadgeCriterion.SHARES, 1)
    s1 = g.share(db, alice, reach=500)
    s2 = g.share(db, bob, on=g.item(db, featured=True), network="x", reach=80)
    for visitor in ("v1", "v2", "v3"):
        g.click(db, s1, visitor)
    g.click(db, s1, "v1", s1.created_at + timedelta(hours=2))  # the same visitor again
    g.click(db, s2, "bot", bot=True)
    g.conversion(db, s1)
    g.accepted_suggestion(db, bob, curator)

    first = run_job(app, "gamification.award")
    assert first.status == JobStatus.OK, first.error
    assert {k: first.summary[k] for k in ("entries", "points", "shares", "unique_clicks",
                                           "conversions", "suggestions", "badges")} == {
        "entries": 7, "points": 5 + 8 + 3 + 25 + 15, "shares": 2, "unique_clicks": 3,
        "conversions": 1, "suggestions": 1, "badges": 2}
    after_first = state(db)
    assert (points(db, alice), points(db, bob)) == (5 + 3 + 25, 8 + 15)

    second = run_job(app, "gamification.award")
    assert second.status == JobStatus.OK, second.error
    assert second.summary["entries"] == 0 and second.summary["points"] == 0
    assert second.summary["badges"] == 0
    assert state(db) == after_first


def test_bot_self_and_repeat_clicks_earn_nothing(db):
    alice = UserFactory()
    share = g.share(db, alice)
    g.click(db, share, "crawler", bot=True)
    g.click(db, share, "alice-herself", self_=True)
    first = g.click(db, share, "human")
    g.click(db, share, "human", first.at + timedelta(hours=2))  # a repeat: nothing
    summary = award(db)
    assert summary["unique_clicks"] == 1
    clicks = [e for e in g.ledger(db, alice) if e.action == Action.UNIQUE_CLICK]
    assert [(e.points, e.idempotency_key) for e in clicks] == [(1, f"uclick:{first.id}")]
    assert g.all_time(db, alice).unique_clicks == 1


def test_unique_clicks_follow_the_one_definition_of_sharing(db):
    """Points, boards, My shares and the analytics rollups count the same unique clicks:
    a visitor's first human click on a share within 24 hours (app.sharing.queries)."""
    from sqlalchemy import func, select

    from app.sharing.models import Click
    from app.sharing.queries import counted, unique_click

    alice = UserFactory()
    share = g.share(db, alice)
    first = g.click(db, share, "human")
    g.click(db, share, "human", first.at + timedelta(hours=23))
    g.click(db, share, "human", first.at + timedelta(days=3))  # a visit days later counts
    g.click(db, share, "other", first.at + timedelta(minutes=1))
    award(db)
    expected = db.scalar(select(func.count()).select_from(Click).where(
        Click.share_id == share.id, counted(Click), unique_click(Click)))
    assert expected == 3
    assert g.all_time(db, alice).unique_clicks == expected
    assert len([e for e in g.ledger(db, alice) if e.action == Action.UNIQUE_CLICK]) == expected


def test_through_the_redirector_head_bots_and_the_sharer_earn_nothing(app, client, auth, db):
    alice = UserFactory()
    share = g.share(db, alice)
    assert visit(client, share.code, method="HEAD").status_code == 302
    assert visit(client, share.code, ua="LinkedInBot/1.0 (compatible; Mozilla/5.0)"
                 ).status_code == 302
    auth.login(alice)
    assert visit(client, share.code).status_code == 302  # her own click
    auth.logout()
    assert visit(client, share.code, ip="198.51.100.7").status_code == 302
    assert visit(client, share.code, ip="198.51.100.7").status_code == 302  # again
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Click)
                     .where(Click.share_id == share.id)) == 4  # HEAD is not even stored
    award(db, datetime.now(UTC))
    assert points(db, alice) == 5 + 1  # the share, and one unique human visitor
    assert g.all_time(db, alice).unique_clicks == 1
    assert CHROME  # the human visits use a browser's user agent


def test_unique_clicks_are_capped_per_day_and_still_counted(db):
    alice = UserFactory()
    share = g.share(db, alice)
    for i in range(60):
        g.click(db, share, f"visitor-{i}", share.created_at + timedelta(minutes=i))
    g.click(db, share, "tomorrow", share.created_at + timedelta(days=1))
    award(db)
    day = {t.period_start: (t.points, t.unique_clicks)
           for t in g.totals(db, alice, Period.DAY)}
    assert day == {T.date(): (5 + 50, 60), T.date() + timedelta(days=1): (1, 1)}
    capped = [e for e in g.ledger(db, alice) if e.reason == services.REASON_CAPPED]
    assert len(capped) == 10 and all(e.points == 0 for e in capped)


def test_shares_pay_once_per_item_and_network_and_are_capped(db):
    alice = UserFactory()
    news = g.item(db)
    g.share(db, alice, on=news)
    g.share(db, alice, on=news, at=T + timedelta(minutes=5))  # the same again: spam
    g.share(db, alice, on=news, network="x", at=T + timedelta(minutes=6))
    for i in range(6):
        g.share(db, alice, at=T + timedelta(minutes=10 + i))
    summary = award(db)
    assert summary["shares"] == 8
    total = g.all_time(db, alice)
    assert (total.shares, total.points) == (8, 25)  # 5 a share, 25 a day


def test_a_featured_share_pays_the_featured_rule(db):
    alice = UserFactory()
    g.share(db, alice, on=g.item(db, featured=True))
    award(db)
    [entry] = g.ledger(db, alice)
    assert (entry.action, entry.points) == (Action.SHARE_FEATURED, 8)


def test_scheduled_shares_pay_once_posted_and_failed_ones_never(db):
    alice = UserFactory()
    later = g.share(db, alice, status=ShareStatus.SCHEDULED,
                    scheduled_for=T + timedelta(days=2))
    g.share(db, alice, status=ShareStatus.FAILED)
    award(db)
    assert g.ledger(db, alice) == []
    assert get_watermark(db, counting.JOB_ID)["pending_shares"] == [later.id]
    later.status, later.posted_at = ShareStatus.POSTED, T + timedelta(days=2)
    db.flush()
    award(db, T + timedelta(days=3))
    [entry] = g.ledger(db, alice)
    assert entry.occurred_at == T + timedelta(days=2) and entry.source_id == later.id
    assert get_watermark(db, counting.JOB_ID)["pending_shares"] == []


def test_conversions_pay_the_sharer(db):
    alice = UserFactory()
    share = g.share(db, alice)
    g.conversion(db, share, value=1200)
    g.conversion(db, share)
    award(db)
    total = g.all_time(db, alice)
    assert (total.conversions, total.points) == (2, 5 + 50)


def test_an_accepted_suggestion_pays_the_suggester_once(db):
    bob, curator = UserFactory(), UserFactory(role="curator")
    item = g.accepted_suggestion(db, bob, curator)
    content.expire(db, None, item)
    content.reopen(db, Actor(user_id=curator.id), item)
    content.publish(db, Actor(user_id=curator.id), curator, item)  # accepted a second time
    pending = UserFactory()
    content.suggest(db, Actor(user_id=pending.id), pending, url="https://acme.example/wait",
                    comment="Later")
    award(db)
    [entry] = [e for e in g.ledger(db) if e.action == Action.SUGGESTION_ACCEPTED]
    assert (entry.user_id, entry.points, entry.idempotency_key) == (
        bob.id, 15, f"suggestion:{item.id}")
    assert g.ledger(db, pending) == []
    assert g.ledger(db, curator) == []


def test_weekly_streak_once_per_week_even_when_shares_come_late(db):
    alice = UserFactory()
    monday = datetime(2026, 5, 11, 9, tzinfo=UTC)
    g.share(db, alice, at=monday - timedelta(days=7))  # week 19
    g.share(db, alice, at=monday + timedelta(days=1))  # week 20
    g.share(db, alice, at=monday + timedelta(days=2))  # week 20 again
    award(db, monday + timedelta(days=3))
    streaks = [e for e in g.ledger(db, alice) if e.action == Action.WEEKLY_STREAK]
    assert [(e.idempotency_key, e.points, e.occurred_at, e.source_id) for e in streaks] == [
        (f"streak:{alice.id}:2026-20", 10, monday + timedelta(days=1), 202620)]
    # a share of week 22 arrives, then (late) one of week 21: both weeks become streaks
    g.share(db, alice, at=monday + timedelta(days=15))
    award(db, monday + timedelta(days=16))
    g.share(db, alice, at=monday + timedelta(days=8))
    award(db, monday + timedelta(days=16))
    keys = sorted(e.idempotency_key for e in g.ledger(db, alice)
                  if e.action == Action.WEEKLY_STREAK)
    assert keys == [f"streak:{alice.id}:2026-{w}" for w in (20, 21, 22)]


def test_rows_that_commit_late_are_picked_up_by_the_overlap(db):
    """On PostgreSQL an id is taken at insert, not at commit: a click with a smaller id
    than the last one read can appear later. The re-read window catches it."""
    alice = UserFactory()
    share = g.share(db, alice)
    first = g.click(db, share, "early")
    late = g.click(db, share, "late")
    g.click(db, share, "later")
    late_id = late.id
    db.delete(late)  # "not committed yet" when the job runs
    db.flush()
    award(db)
    assert g.all_time(db, alice).unique_clicks == 2
    assert get_watermark(db, counting.JOB_ID)["clicks"] > late_id
    db.add(Click(id=late_id, share_id=share.id, at=first.at, visitor_hash="late",
                 is_bot=False, is_self=False))
    db.flush()
    award(db)
    assert g.all_time(db, alice).unique_clicks == 3


def test_batches_are_bounded_and_the_next_run_takes_the_rest(db, monkeypatch):
    monkeypatch.setitem(counting.BATCH, "clicks", 4)
    monkeypatch.setitem(counting.OVERLAP, "clicks", 1)
    alice = UserFactory()
    share = g.share(db, alice)
    for i in range(10):
        g.click(db, share, f"v{i}")
    first = counting.award_pending(db, T + timedelta(days=1), max_rounds=1)
    assert first["unique_clicks"] == 4 and first["more"] is True
    rest = counting.award_pending(db, T + timedelta(days=1))
    assert rest["unique_clicks"] == 6 and rest["more"] is False
    assert g.all_time(db, alice).unique_clicks == 10


def test_badges_created_later_are_awarded_on_the_next_run(db):
    alice = UserFactory()
    g.share(db, alice)
    award(db)
    assert db.scalar(select(func.count()).select_from(UserBadge)) == 0
    badge = g.badge(db, BadgeCriterion.SHARES, 1)
    summary = award(db)
    assert summary["reevaluated"] == 1 and summary["badges"] == 1
    assert db.scalar(select(UserBadge.badge_id).where(UserBadge.user_id == alice.id)) == \
        badge.id
    assert award(db)["reevaluated"] == 0


def test_monthly_top_badges_for_the_closed_month_with_ties_by_id(db):
    top = g.badge(db, BadgeCriterion.MONTHLY_TOP, 2)
    people = [UserFactory() for _ in range(4)]
    hidden, gone = UserFactory(), UserFactory(status="deactivated")
    month = date(2026, 5, 1)
    for person, pts in [*zip(people, (30, 50, 50, 10), strict=True), (hidden, 500),
                        (gone, 400)]:
        db.add(PeriodTotal(user_id=person.id, period=Period.MONTH, period_start=month,
                           points=pts, shares=0, unique_clicks=0, conversions=0, reach=0))
    db.flush()
    services.set_opt_out(db, hidden.id, True)
    assert award(db, datetime(2026, 5, 31, 23, tzinfo=UTC))["badges"] == 0  # May is open
    summary = award(db, datetime(2026, 6, 1, 0, 5, tzinfo=UTC))
    assert summary["badges"] == 2
    winners = set(db.scalars(select(UserBadge.user_id).where(UserBadge.badge_id == top.id)))
    # 50 and 50 (a tie, both within the top 2); the opted-out and the deactivated person
    # are not ranked
    assert winners == {people[1].id, people[2].id}
    assert award(db, datetime(2026, 6, 2, tzinfo=UTC))["badges"] == 0


def test_monthly_top_ties_at_the_edge_go_to_the_smaller_id(db):
    top = g.badge(db, BadgeCriterion.MONTHLY_TOP, 1)
    first, second = UserFactory(), UserFactory()
    for person in (second, first):
        db.add(PeriodTotal(user_id=person.id, period=Period.MONTH,
                           period_start=date(2026, 5, 1), points=70, shares=0,
                           unique_clicks=0, conversions=0, reach=0))
    db.flush()
    award(db, datetime(2026, 6, 1, 0, 5, tzinfo=UTC))
    assert list(db.scalars(select(UserBadge.user_id).where(UserBadge.badge_id == top.id))) \
        == [min(first.id, second.id)]


def test_the_job_pays_levels_with_a_notice(app, db):
    alice = UserFactory()
    share = g.share(db, alice)
    g.conversion(db, share)  # 5 + 25 ≥ 25 points: level 2
    award(db)
    assert db.get(GamificationProfile, alice.id).level == 2


# --- two awards of the same key at once -------------------------------------------------------


@pytest.fixture
def committed(engine, database_url):
    """A person committed for real (outside the test's rolled-back transaction), removed
    with everything the award wrote afterwards."""
    database = Database(database_url, engine=engine)
    with database.unit_of_work() as session:
        user = UserFactory.build(email="race@acme.example")
        session.add(user)
        session.flush()
        user_id = user.id
    yield database, user_id
    with engine.begin() as conn:
        conn.execute(delete(LedgerEntry).where(LedgerEntry.user_id == user_id))
        conn.execute(delete(PeriodTotal).where(PeriodTotal.user_id == user_id))
        from app.accounts.models import User

        conn.execute(delete(User).where(User.id == user_id))


def test_two_concurrent_awards_of_the_same_key_pay_once(app, committed):
    """Two real connections in two threads: the second INSERT waits for the first
    transaction, then does nothing (ON CONFLICT DO NOTHING on the unique key)."""
    database, user_id = committed
    first_inserted = threading.Event()
    results: dict[str, object] = {}
    waited: dict[str, float] = {}
    errors: list[BaseException] = []

    def run(name: str, wait: threading.Event | None):
        try:
            with app.app_context():
                if wait is not None:
                    wait.wait(5)
                started = time.monotonic()
                with database.unit_of_work() as session:
                    entry = services.award(session, user_id=user_id,
                                           action=Action.CONVERSION, key="conversion:race",
                                           occurred_at=T, conversions=1)
                    results[name] = entry.id if entry else None
                    waited[name] = time.monotonic() - started
                    if name == "first":
                        first_inserted.set()
                        threading.Event().wait(0.3)  # hold the row before committing
        except BaseException as exc:  # reported below
            errors.append(exc)
            first_inserted.set()

    threads = [threading.Thread(target=run, args=("first", None)),
               threading.Thread(target=run, args=("second", first_inserted))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    assert results["first"] is not None and results["second"] is None
    # the second award really ran while the first transaction held the key: it waited
    # for the commit (PostgreSQL: on the unique index; SQLite: on the writers' lock)
    assert waited["second"] >= 0.2
    with Session(database.engine) as session:
        assert session.scalar(select(func.count()).select_from(LedgerEntry)
                              .where(LedgerEntry.user_id == user_id)) == 1
        total = session.scalar(select(PeriodTotal).where(
            PeriodTotal.user_id == user_id, PeriodTotal.period == Period.ALL))
        assert (total.points, total.conversions) == (25, 1)
