"""Property tests of the tally (hypothesis): whatever the events and however they are split
into runs, the incremental rollups equal a rebuild from the raw events, and both equal the
rules written out in plain Python below (an independent oracle of ``UserDay``)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.analytics import tally
from app.analytics.models import UserDay
from app.sharing.models import ShareStatus
from tests import factories_analytics as f

NETWORKS = ("linkedin", "x", "email")
STATUSES = (ShareStatus.OPENED, ShareStatus.POSTED, ShareStatus.SCHEDULED,
            ShareStatus.FAILED)
VISITORS = ("v0", "v1")
#: events happen over three days around midnights (the unique-click window crosses them)
START = f.T0.replace(hour=18)
MINUTES = 3 * 24 * 60

share_st = st.fixed_dictionaries({
    "user": st.integers(0, 2), "item": st.integers(0, 2), "network": st.sampled_from(NETWORKS),
    "status": st.sampled_from(STATUSES), "minute": st.integers(0, MINUTES),
    "posted_after": st.none() | st.integers(0, 36 * 60), "reach": st.integers(0, 500)})
#: a flag that is mostly off (bot and self clicks: most clicks should count)
RARELY = st.sampled_from((False, False, False, False, True))
#: click times: anywhere, or within a few hours of a midnight (where the 24 h window of a
#: late click reaches into the next day's bucket)
MIDNIGHTS = (6 * 60, 30 * 60, 54 * 60)
minute_st = st.integers(0, MINUTES) | st.builds(
    lambda midnight, offset: midnight + offset, st.sampled_from(MIDNIGHTS),
    st.integers(-240, 240))
click_st = st.fixed_dictionaries({
    "share": st.integers(0, 5), "minute": minute_st,
    "visitor": st.sampled_from(VISITORS), "bot": RARELY, "self": RARELY})
conversion_st = st.fixed_dictionaries({
    "share": st.integers(0, 5), "minute": st.integers(0, MINUTES),
    "value": st.none() | st.decimals("0.01", "999.99", places=2)})
snapshot_st = st.fixed_dictionaries({
    "share": st.integers(0, 5), "hour": st.integers(0, 72), "likes": st.integers(0, 40),
    "comments": st.integers(0, 5)})
points_st = st.fixed_dictionaries({
    "user": st.integers(0, 2), "minute": st.integers(0, MINUTES),
    "points": st.integers(-20, 50)})

events_st = st.fixed_dictionaries({
    "shares": st.lists(share_st, min_size=1, max_size=4),
    "clicks": st.lists(click_st, max_size=25),
    "conversions": st.lists(conversion_st, max_size=4),
    "snapshots": st.lists(snapshot_st, max_size=6, unique_by=lambda s: (s["share"], s["hour"])),
    "points": st.lists(points_st, max_size=5),
})


def at(minutes: int):
    return START + timedelta(minutes=minutes)


# --- the oracle: the rules of docs/analytics.md, in Python ----------------------------------


def expected_user_days(shares, clicks, conversions, snapshots, ledger) -> dict:
    rows: dict = defaultdict(lambda: defaultdict(int))

    def add(day, user, network, **values):
        for key, value in values.items():
            rows[(day, user, network)][key] += value

    for s in shares.values():
        if s.status in (ShareStatus.OPENED, ShareStatus.POSTED):
            when = s.posted_at or s.created_at
            add(when.date(), s.user_id, s.network, shares=1, reach=s.reach)
    counted = sorted((c for c in clicks if not c.is_bot and not c.is_self),
                     key=lambda c: (c.at, c.id))
    for c in clicks:
        s = shares[c.share_id]
        if c.is_bot:
            add(c.at.date(), s.user_id, s.network, bot_clicks=1)
        if c.is_bot or c.is_self:
            continue
        earlier = [e for e in counted if e.share_id == c.share_id
                   and e.visitor_hash == c.visitor_hash and (e.at, e.id) < (c.at, c.id)
                   and e.at > c.at - timedelta(hours=24)]
        add(c.at.date(), s.user_id, s.network, human_clicks=1, unique_clicks=int(not earlier))
    for v in conversions:
        s = shares[v.share_id]
        add(v.occurred_at.date(), s.user_id, s.network, conversions=1,
            conversion_value=v.value or Decimal(0))
    by_share = defaultdict(list)
    for snap in snapshots:
        by_share[snap.share_id].append(snap)
    for share_id, snaps in by_share.items():
        snaps.sort(key=lambda x: (x.taken_at, x.id))
        s = shares[share_id]
        for day in sorted({x.taken_at.date() for x in snaps}):
            last = [x for x in snaps if x.taken_at.date() == day][-1]
            before = [x for x in snaps if x.taken_at.date() < day]
            base = (before[-1].likes + before[-1].comments + before[-1].reshares) if before else 0
            add(day, s.user_id, s.network,
                engagements=last.likes + last.comments + last.reshares - base)
    for entry in ledger:
        add(entry.occurred_at.date(), entry.user_id, "", points=entry.points)
    names = ("shares", "reach", "human_clicks", "unique_clicks", "bot_clicks", "engagements",
             "conversions", "conversion_value", "points")
    result = {}
    for key, values in rows.items():
        row = tuple(values.get(name, 0) for name in names)
        if any(row):
            result[key] = tuple(Decimal(v).quantize(Decimal("0.01")) if i == 7 else v
                                for i, v in enumerate(row))
    return result


def stored_user_days(db) -> dict:
    db.expire_all()
    return {(r.day, r.user_id, r.network): (
        r.shares, r.reach, r.human_clicks, r.unique_clicks, r.bot_clicks, r.engagements,
        r.conversions, Decimal(r.conversion_value).quantize(Decimal("0.01")), r.points)
        for r in db.scalars(select(UserDay))}


# --- the property ----------------------------------------------------------------------------


class InOrder(random.Random):
    """Writes the events as listed (explicit examples)."""

    def shuffle(self, x):
        pass


def _events(**lists):
    return {"shares": [], "clicks": [], "conversions": [], "snapshots": [], "points": [],
            **lists}


_SHARE = {"user": 0, "item": 1, "network": "linkedin", "status": ShareStatus.OPENED,
          "minute": 0, "posted_after": None, "reach": 10}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# a click written after a later one of the same visitor (the next day, within 24 h): the
# later click is no longer unique, although its day had no new event
@example(events=_events(shares=[_SHARE], clicks=[
    {"share": 0, "minute": 30 * 60 + 60, "visitor": "v0", "bot": False, "self": False},
    {"share": 0, "minute": 30 * 60 - 60, "visitor": "v0", "bot": False, "self": False}]),
    order=InOrder(), cuts=[1])
# a snapshot written after the next day's: the next day's increase changes
@example(events=_events(shares=[_SHARE], snapshots=[
    {"share": 0, "hour": 30, "likes": 10, "comments": 0},
    {"share": 0, "hour": 10, "likes": 4, "comments": 1}]), order=InOrder(), cuts=[1])
@given(events=events_st, order=st.randoms(use_true_random=False),
       cuts=st.lists(st.integers(0, 60), max_size=8))
def test_incremental_runs_in_any_batches_equal_the_rebuild_and_the_rules(db, events, order,
                                                                         cuts):
    savepoint = db.begin_nested()
    try:
        people = [f.person(db) for _ in range(3)]
        groups = [f.group(db), f.group(db)]
        f.join(db, people[0], groups[0])
        f.join(db, people[1], groups[0])
        f.join(db, people[1], groups[1])
        topics = [f.topic(db), f.topic(db)]
        items = [f.item(db, topics=[topics[0]]), f.item(db, topics=topics), f.item(db)]

        # every event becomes a closure; they are written in a random order (ids follow
        # the insertion, times do not) and the tally runs after each random cut
        shares, clicks, conversions, snapshots, ledger = {}, [], [], [], []
        share_list = []
        for spec in events["shares"]:
            posted = (at(spec["minute"] + spec["posted_after"])
                      if spec["posted_after"] is not None
                      and spec["status"] == ShareStatus.POSTED else None)
            row = f.share(db, people[spec["user"]], items[spec["item"]],
                          at=at(spec["minute"]), network=spec["network"],
                          status=spec["status"], reach=spec["reach"], posted_at=posted)
            shares[row.id] = row
            share_list.append(row)

        writes = []
        for spec in events["clicks"]:
            target = share_list[spec["share"] % len(share_list)]
            writes.append(lambda s=spec, t=target: clicks.append(f.click(
                db, t, at(s["minute"]), s["visitor"], bot=s["bot"], self_=s["self"])))
        for spec in events["conversions"]:
            target = share_list[spec["share"] % len(share_list)]
            writes.append(lambda s=spec, t=target: conversions.append(f.conversion(
                db, t, at(s["minute"]), None if s["value"] is None else str(s["value"]))))
        seen = set()
        for spec in events["snapshots"]:
            target = share_list[spec["share"] % len(share_list)]
            if (target.id, spec["hour"]) in seen:
                continue
            seen.add((target.id, spec["hour"]))
            writes.append(lambda s=spec, t=target: snapshots.append(f.snapshot(
                db, t, START + timedelta(hours=s["hour"]), likes=s["likes"],
                comments=s["comments"])))
        for spec in events["points"]:
            writes.append(lambda s=spec: ledger.append(f.points(
                db, people[s["user"]], at(s["minute"]), s["points"])))
        order.shuffle(writes)

        now = START + timedelta(days=4)
        options = tally.TallyOptions(overlap=timedelta(0))
        tally.tally(db, now, options)  # the shares alone
        marks = sorted({c % (len(writes) + 1) for c in cuts}) + [len(writes)]
        done = 0
        for mark in marks:
            for write in writes[done:mark]:
                write()
            done = max(done, mark)
            now += timedelta(minutes=5)
            tally.tally(db, now, options)

        assert stored_user_days(db) == expected_user_days(shares, clicks, conversions,
                                                          snapshots, ledger)
        tally.snapshot_rollups(db)
        tally.rebuild(db, now)
        assert tally.compare_with_snapshot(db) == {}
        tally.drop_snapshot(db)
    finally:
        savepoint.rollback()
