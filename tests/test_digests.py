"""Digests of new content and inactivity nudges (jobs "notifications.digests" and
"notifications.nudges"): daily vs weekly, nothing when nothing is new, a rerun sends nothing
more, the queue's audience rules (groups, languages, dismissed, shared), featured first, a
constant number of statements per batch; the nudge rules. Real mail through the outbox job."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.accounts.models import UserStatus
from app.content import queue as q
from app.content.models import ContentItem, ContentStatus, Dismissal
from app.jobs import REGISTRY
from app.jobs.models import JobStatus
from app.jobs.runner import run_job
from app.notifications import digests, nudges, preferences
from app.notifications.models import DigestFrequency, NotificationPreferences, OutboxMessage
from app.sharing.models import ShareStatus
from tests.factories import GroupFactory, TopicFactory, UserFactory
from tests.factories_gamification import share
from tests.test_content_queue import count_statements

#: a Monday, after DIGEST_HOUR_UTC (7)
MONDAY = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)
LONG_AGO = MONDAY - timedelta(days=200)
_n = itertools.count(1)


def person(db, email: str, *, digest: DigestFrequency | None = None, language: str = "en",
           created_at: datetime = LONG_AGO, **fields):
    user = UserFactory(email=email, language=language, created_at=created_at, **fields)
    if digest is not None:
        preferences.save(db, user.id, digest=digest, badges=True, challenges=True,
                         reminders=True)
    return user


def item(db, title: str, *, published_at: datetime, groups=(), topics=(), **fields):
    n = next(_n)
    fields.setdefault("status", ContentStatus.PUBLISHED)
    row = ContentItem(url=f"https://www.acme.example/d/{n}", slug=f"digest-{n}", title=title,
                      summary=f"About {title}", published_at=published_at, **fields)
    row.groups, row.topics = list(groups), list(topics)
    db.add(row)
    db.flush()
    return row


def run(app, job: str, at: datetime) -> dict:
    with time_machine.travel(at, tick=False):
        result = run_job(app, job)
    assert result.status == JobStatus.OK, result.error
    return result.summary


def queued(db) -> dict[str, str]:
    """outbox key → the e-mail's plain text"""
    db.expire_all()
    return {m.key: m.payload["text"] for m in db.scalars(select(OutboxMessage))}


def cursors(db) -> dict[int, datetime | None]:
    db.expire_all()
    return dict(db.execute(select(NotificationPreferences.user_id,
                                  NotificationPreferences.last_digest_at)).all())


def test_the_jobs_are_declared():
    assert REGISTRY["notifications.digests"].trigger == {"trigger": "cron", "minute": 5}
    assert REGISTRY["notifications.nudges"].trigger["trigger"] == "cron"
    for job in ("notifications.digests", "notifications.nudges"):
        assert REGISTRY[job].misfire_grace_time > 0 and REGISTRY[job].description


def test_periods():
    assert digests.period_start(DigestFrequency.DAILY, TUESDAY) == \
        datetime(2026, 6, 16, tzinfo=UTC)
    assert digests.period_start(DigestFrequency.WEEKLY, TUESDAY + timedelta(days=3)) == \
        datetime(2026, 6, 15, tzinfo=UTC)
    assert digests.due_frequencies(MONDAY.replace(hour=6), 7) == []
    assert digests.due_frequencies(MONDAY, 7) == [DigestFrequency.DAILY, DigestFrequency.WEEKLY]
    assert digests.due_frequencies(TUESDAY, 7) == [DigestFrequency.DAILY]


def test_daily_and_weekly_digests_once_per_period_and_none_when_nothing_is_new(app, db, mail):
    daily = person(db, "daily@acme.test", digest=DigestFrequency.DAILY)
    weekly = person(db, "weekly@acme.test")  # no row: the default, weekly
    never = person(db, "never@acme.test", digest=DigestFrequency.NEVER)
    person(db, "gone@acme.test", status=UserStatus.DEACTIVATED)
    item(db, "Sunday news", published_at=MONDAY - timedelta(days=1))
    item(db, "Old news", published_at=MONDAY - timedelta(days=30))
    db.commit()

    assert run(app, "notifications.digests", MONDAY.replace(hour=6)) == {"people": 0, "sent": 0}
    assert queued(db) == {}

    first = run(app, "notifications.digests", MONDAY)
    assert first["sent"] == 2
    texts = queued(db)
    assert set(texts) == {f"digest:{daily.id}:daily:2026-06-15",
                          f"digest:{weekly.id}:weekly:2026-06-15"}
    for text in texts.values():
        assert "Sunday news" in text and "Old news" not in text
    state = (queued(db), cursors(db))
    assert state[1][daily.id] == MONDAY and state[1][weekly.id] == MONDAY
    assert state[1][never.id] is None

    # a rerun, the same hour or later that day: nothing more, nothing changed
    assert run(app, "notifications.digests", MONDAY) == {"people": 0, "sent": 0}
    assert run(app, "notifications.digests", MONDAY + timedelta(hours=3))["sent"] == 0
    assert (queued(db), cursors(db)) == state

    # Tuesday: the daily digest has only what is new since Monday's; weekly waits
    item(db, "Monday news", published_at=MONDAY + timedelta(hours=2))
    db.commit()
    tuesday = run(app, "notifications.digests", TUESDAY)
    assert tuesday == {"people": 1, "sent": 1}
    text = queued(db)[f"digest:{daily.id}:daily:2026-06-16"]
    assert "Monday news" in text and "Sunday news" not in text
    assert "new for you to share since yesterday" in text

    # Wednesday: nothing new → no e-mail, but the day is done
    wednesday = run(app, "notifications.digests", TUESDAY + timedelta(days=1))
    assert wednesday == {"people": 1, "sent": 0}
    assert len(queued(db)) == 3
    assert cursors(db)[daily.id] == TUESDAY + timedelta(days=1)

    # the next Monday: the weekly one has the week's news (since its last digest)
    next_monday = run(app, "notifications.digests", MONDAY + timedelta(days=7))
    assert next_monday["sent"] == 1  # daily: nothing new since Wednesday
    text = queued(db)[f"digest:{weekly.id}:weekly:2026-06-22"]
    assert "Monday news" in text and "Sunday news" not in text

    with time_machine.travel(MONDAY + timedelta(days=7), tick=False):
        deliver = run_job(app, "notifications.deliver")
    assert deliver.status == JobStatus.OK
    message = mail.wait_for("weekly@acme.test")
    assert message["Subject"] == "Your weekly digest: 1 new item to share"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Monday news" in html and "digest of new content is set to weekly" in html
    assert str(message["List-Unsubscribe"]).strip().startswith(
        "<http://relais.test/unsubscribe/")
    assert "/share/" in message.get_body(preferencelist=("plain",)).get_content()
    assert not mail.to("never@acme.test") and not mail.to("gone@acme.test")


def test_a_first_digest_looks_back_one_period_at_most_and_not_before_enrolment(app, db):
    old_hand = person(db, "old@acme.test", digest=DigestFrequency.DAILY)
    newcomer = person(db, "new@acme.test", digest=DigestFrequency.DAILY,
                      created_at=MONDAY - timedelta(hours=12))
    item(db, "Two days ago", published_at=MONDAY - timedelta(days=2))
    item(db, "Yesterday", published_at=MONDAY - timedelta(hours=20))
    item(db, "Last night", published_at=MONDAY - timedelta(hours=6))
    db.commit()
    run(app, "notifications.digests", MONDAY)
    texts = queued(db)
    old = texts[f"digest:{old_hand.id}:daily:2026-06-15"]
    assert "Yesterday" in old and "Last night" in old and "Two days ago" not in old
    new = texts[f"digest:{newcomer.id}:daily:2026-06-15"]
    assert "Last night" in new and "Yesterday" not in new


def test_the_digest_respects_the_audience_dismissals_and_shares(app, db, mail):
    sales = GroupFactory(name="Sales")
    ann = person(db, "ann@acme.test", digest=DigestFrequency.DAILY, groups=[sales])
    bea = person(db, "bea@acme.test", digest=DigestFrequency.DAILY, language="fr",
                 name="Béa Martin")
    at = MONDAY - timedelta(hours=3)
    item(db, "For everyone", published_at=at)
    item(db, "Sales only", published_at=at, groups=[sales])
    item(db, "French only", published_at=at, target_languages="fr")
    item(db, "English or German", published_at=at, target_languages="en,de")
    dismissed = item(db, "Dismissed by Ann", published_at=at)
    shared = item(db, "Shared by Ann", published_at=at)
    failed = item(db, "Failed share by Ann", published_at=at)
    item(db, "Expired", published_at=at, expire_at=MONDAY - timedelta(hours=1))
    item(db, "Draft", published_at=None, status=ContentStatus.DRAFT)
    db.add(Dismissal(user_id=ann.id, item_id=dismissed.id))
    share(db, ann, on=shared, at=at)
    share(db, ann, on=failed, at=at, status=ShareStatus.FAILED)
    db.commit()
    app.config["DIGEST_MAX_ITEMS"] = 20
    run(app, "notifications.digests", MONDAY)
    texts = queued(db)

    def titles(user):
        text = texts[f"digest:{user.id}:daily:2026-06-15"]
        return {t for t in ("For everyone", "Sales only", "French only", "English or German",
                            "Dismissed by Ann", "Shared by Ann", "Failed share by Ann",
                            "Expired", "Draft") if t in text}

    assert titles(ann) == {"For everyone", "Sales only", "English or German",
                           "Failed share by Ann"}
    assert titles(bea) == {"For everyone", "French only", "Dismissed by Ann", "Shared by Ann",
                           "Failed share by Ann"}

    with time_machine.travel(MONDAY, tick=False):
        run_job(app, "notifications.deliver")
    french = mail.wait_for("bea@acme.test")  # in French (strings translated so far)
    for part in ("plain", "html"):
        body = french.get_body(preferencelist=(part,)).get_content()
        assert f"Bonjour {bea.name}," in body and "French only" in body


def test_the_best_items_featured_first_and_a_link_to_the_rest(app, db):
    ann = person(db, "ann@acme.test", digest=DigestFrequency.DAILY)
    at = MONDAY - timedelta(hours=10)
    item(db, "Featured but older", published_at=at - timedelta(hours=8), featured=True)
    item(db, "Urgent", published_at=at, priority=2)
    item(db, "Plain", published_at=at)
    item(db, "Plain too", published_at=at - timedelta(hours=1))
    db.commit()
    app.config["DIGEST_MAX_ITEMS"] = 2
    run(app, "notifications.digests", MONDAY)
    text = queued(db)[f"digest:{ann.id}:daily:2026-06-15"]
    assert text.index("Featured but older") < text.index("Urgent")
    assert "Plain" not in text
    assert "There is more in your queue: http://relais.test/" in text


def test_the_digests_targeting_agrees_with_the_queue(app, db):
    g1, g2 = GroupFactory(), GroupFactory()
    t1, t2 = TopicFactory(), TopicFactory()
    people = [person(db, f"p{i}@acme.test", language=lang, groups=groups, topics=topics)
              for i, (lang, groups, topics) in enumerate([
                  ("en", [], []), ("fr", [g1], [t1]), ("en", [g1, g2], [t2]), ("fr", [g2], [])])]
    combos = itertools.product([(), (g1,), (g2,), (g1, g2)], ["", "fr", "en", "en,fr"],
                               [(), (t1,), (t1, t2)], [False, True])
    for i, (groups, languages, topics, featured) in enumerate(combos):
        item(db, f"Combo {i}", published_at=MONDAY - timedelta(hours=i % 40),
             groups=groups, topics=topics, target_languages=languages, featured=featured,
             priority=i % 3)
    db.add(Dismissal(user_id=people[0].id,
                     item_id=db.scalar(select(ContentItem.id).limit(1))))
    db.flush()
    found = digests.available_items(db, [digests.Reader(p) for p in people], MONDAY, 1000)
    for p in people:
        page = q.queue_for(db, p, MONDAY, limit=1000)
        assert {i.id for i in found[p.id]} == {e.item.id for e in page.entries}
        assert found[p.id], "every person has something"


@pytest.mark.parametrize("batch_size", [4])
def test_a_constant_number_of_statements_per_batch(app, db, monkeypatch, batch_size):
    monkeypatch.setattr(digests, "BATCH", batch_size)
    groups = [GroupFactory(), GroupFactory()]

    def scenario(count: int, start: datetime) -> list[str]:
        for i in range(count):
            person(db, f"s{start.day}-{i}@acme.test", digest=DigestFrequency.DAILY,
                   groups=groups[: i % 3], language="fr" if i % 2 else "en")
        for i in range(5):
            item(db, f"S{start.day}-{i}", published_at=start - timedelta(hours=i + 1),
                 groups=groups[: i % 2])
        db.flush()
        with count_statements(app) as statements:
            summary = digests.send_digests(db, start)
        assert summary["sent"] >= count
        # one outbox INSERT per e-mail; everything else is per batch
        return [s for s in statements if "outbox_messages" not in s]

    small = scenario(batch_size, MONDAY)
    large = scenario(batch_size, TUESDAY)
    assert len(small) == len(large)
    # a second batch costs what the first did
    two_batches = scenario(2 * batch_size, TUESDAY + timedelta(days=1))
    assert len(two_batches) <= 2 * len(small)


# --- nudges ----------------------------------------------------------------------------------


def test_nudges(app, db, mail):
    now = MONDAY + timedelta(hours=1)
    weeks = timedelta(weeks=1)
    never_shared = person(db, "never@acme.test", created_at=now - 5 * weeks)
    lapsed = person(db, "lapsed@acme.test", created_at=now - 20 * weeks)
    active = person(db, "active@acme.test", created_at=now - 20 * weeks)
    newcomer = person(db, "newcomer@acme.test", created_at=now - 1 * weeks)
    quiet = person(db, "quiet@acme.test", created_at=now - 20 * weeks)
    preferences.turn_off(db, quiet.id, preferences.REMINDERS)
    nothing = person(db, "nothing@acme.test", created_at=now - 20 * weeks,
                     groups=[GroupFactory()])
    other = GroupFactory()
    for_all = item(db, "For all but one", published_at=now - 2 * weeks)
    db.add(Dismissal(user_id=nothing.id, item_id=for_all.id))
    item(db, "For others", published_at=now - 2 * weeks, groups=[other])
    for user, ago in ((lapsed, 4), (active, 1), (nothing, 9)):  # items nobody else sees
        share(db, user, on=item(db, f"shared {ago}", published_at=now - 10 * weeks,
                                groups=[other]), at=now - ago * weeks)
    db.commit()

    first = run(app, "notifications.nudges", now)
    assert first["sent"] == 2
    keys = set(queued(db))
    week = "2026-06-15"
    assert keys == {f"nudge:{never_shared.id}:{week}", f"nudge:{lapsed.id}:{week}"}
    texts = queued(db)
    assert "You have not shared anything from Relais yet." in \
        texts[f"nudge:{never_shared.id}:{week}"]
    assert "You have not shared anything for 4 weeks." in texts[f"nudge:{lapsed.id}:{week}"]
    assert "For all but one" in texts[f"nudge:{lapsed.id}:{week}"]
    assert not {newcomer.id, active.id, quiet.id, nothing.id} & {
        int(k.split(":")[1]) for k in keys}

    # again the same day, and a week later: nothing more
    assert run(app, "notifications.nudges", now)["sent"] == 0
    assert run(app, "notifications.nudges", now + 1 * weeks)["sent"] == 0
    assert set(queued(db)) == keys

    # lapsed shares again (a week later): no nudge until they stop for 3 weeks again;
    # never_shared: again 3 weeks after the first nudge (and active and the newcomer, whose
    # last share / enrolment is 3 weeks old by then)
    share(db, lapsed, on=item(db, "again", published_at=now, groups=[other]),
          at=now + 1 * weeks)
    db.commit()
    assert run(app, "notifications.nudges", now + 3 * weeks)["sent"] == 3
    assert set(queued(db)) - keys == {f"nudge:{uid}:2026-07-06"
                                      for uid in (never_shared.id, active.id, newcomer.id)}
    keys = set(queued(db))
    assert run(app, "notifications.nudges", now + 4 * weeks)["sent"] == 1
    assert set(queued(db)) - keys == {f"nudge:{lapsed.id}:2026-07-13"}

    with time_machine.travel(now + 4 * weeks, tick=False):
        run_job(app, "notifications.deliver")
    message = mail.wait_for("lapsed@acme.test")
    assert message["Subject"] == "Something to share this week?"
    assert "reminders are on" in message.get_body(preferencelist=("plain",)).get_content()


def test_nudges_can_be_turned_off(app, db):
    person(db, "never@acme.test")
    item(db, "News", published_at=MONDAY - timedelta(days=1))
    db.commit()
    app.config["NUDGE_AFTER_WEEKS"] = 0
    assert run(app, "notifications.nudges", MONDAY) == {"people": 0, "sent": 0}
    assert nudges.send_nudges(db, MONDAY, weeks=0) == {"people": 0, "sent": 0}
    assert queued(db) == {}
