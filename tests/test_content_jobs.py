"""Content's scheduled jobs: publish scheduled items, expire items, poll the sources.

DESIGN.md: every job test runs the job twice and asserts the same state.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.common.actor import Actor
from app.content import feeds, services
from app.content.models import ContentEvent, ContentItem, ContentStatus, InboxEntry, Source
from app.db import utcnow
from app.jobs import REGISTRY
from app.jobs.models import JobRun, JobStatus
from app.jobs.runner import run_job
from tests import test_content_sources as sources_tests
from tests.test_content_sources import ALLOW_LOOPBACK, ATOM, RSS

# the real feed server on 127.0.0.1 and the connection recorder
_feed_server_process = sources_tests._feed_server_process
feed_server = sources_tests.feed_server
connects = sources_tests.connects

ACTOR = Actor(user_id=None)
HOUR = timedelta(hours=1)


def item(db, title: str, status: ContentStatus, *, publish_at=None, expire_at=None):
    row = services.create_item(db, ACTOR, services.ItemInput(
        url=f"https://acme.example/{services.slugify(title)}", title=title))
    row.status, row.publish_at, row.expire_at = status, publish_at, expire_at
    db.flush()
    return row


def statuses(db) -> dict[str, tuple]:
    db.expire_all()
    return {i.title: (i.status, i.published_at) for i in db.scalars(select(ContentItem))}


def events(db) -> list[tuple[str, str]]:
    return [(e.item_id, e.action) for e in db.scalars(select(ContentEvent)
                                                      .order_by(ContentEvent.id))]


def test_the_three_jobs_are_declared():
    assert REGISTRY["content.publish_scheduled"].trigger == {"trigger": "interval", "minutes": 1}
    assert REGISTRY["content.expire"].trigger == {"trigger": "interval", "minutes": 5}
    assert REGISTRY["content.poll_sources"].trigger == {"trigger": "interval", "minutes": 15}
    for job_id in ("content.publish_scheduled", "content.expire", "content.poll_sources"):
        spec = REGISTRY[job_id]
        assert spec.scheduler_options()["coalesce"] is True
        assert spec.scheduler_options()["max_instances"] == 1
        assert spec.misfire_grace_time > 0 and spec.description


def test_publish_scheduled_publishes_due_items_and_a_second_run_changes_nothing(app, db):
    now = utcnow()
    due = item(db, "Due", ContentStatus.SCHEDULED, publish_at=now - HOUR)
    item(db, "Later", ContentStatus.SCHEDULED, publish_at=now + HOUR)
    item(db, "Too late", ContentStatus.SCHEDULED, publish_at=now - 2 * HOUR,
         expire_at=now - HOUR)
    item(db, "Draft", ContentStatus.DRAFT, publish_at=now - HOUR)

    first = run_job(app, "content.publish_scheduled")
    assert first.status == JobStatus.OK, first.error
    assert first.summary == {"published": 2}
    state = statuses(db)
    assert state["Due"] == (ContentStatus.PUBLISHED, due.publish_at)
    assert state["Later"][0] == ContentStatus.SCHEDULED
    assert state["Too late"][0] == ContentStatus.EXPIRED
    assert state["Draft"][0] == ContentStatus.DRAFT
    history = events(db)

    second = run_job(app, "content.publish_scheduled")
    assert second.status == JobStatus.OK and second.summary == {"published": 0}
    assert statuses(db) == state
    assert events(db) == history
    assert [r.status for r in db.scalars(select(JobRun).where(
        JobRun.job_id == "content.publish_scheduled"))] == [JobStatus.OK, JobStatus.OK]


def test_expire_expires_published_items_past_their_time_and_a_second_run_changes_nothing(
        app, db):
    now = utcnow()
    item(db, "Old news", ContentStatus.PUBLISHED, expire_at=now - HOUR)
    item(db, "Fresh", ContentStatus.PUBLISHED, expire_at=now + HOUR)
    item(db, "Forever", ContentStatus.PUBLISHED)
    item(db, "Archived", ContentStatus.ARCHIVED, expire_at=now - HOUR)

    first = run_job(app, "content.expire")
    assert first.status == JobStatus.OK, first.error
    assert first.summary == {"expired": 1}
    state = statuses(db)
    assert {title: s for title, (s, _) in state.items()} == {
        "Old news": ContentStatus.EXPIRED, "Fresh": ContentStatus.PUBLISHED,
        "Forever": ContentStatus.PUBLISHED, "Archived": ContentStatus.ARCHIVED}
    history = events(db)

    second = run_job(app, "content.expire")
    assert second.summary == {"expired": 0}
    assert statuses(db) == state
    assert events(db) == history


def inbox_state(db) -> dict[str, tuple]:
    db.expire_all()
    return {e.url: (e.id, e.source_id, e.title, e.status) for e in db.scalars(select(InboxEntry))}


def source_state(db) -> dict[str, str]:
    db.expire_all()
    return {s.name: s.last_status for s in db.scalars(select(Source))}


@ALLOW_LOOPBACK
def test_poll_sources_fills_the_inbox_once(app, db, feed_server):
    feeds.create_source(db, ACTOR, name="Acme", url=feed_server.serve("/rss", RSS, etag='"1"'))
    feeds.create_source(db, ACTOR, name="Partner", url=feed_server.serve("/atom", ATOM))
    feeds.create_source(db, ACTOR, name="Broken",
                        url=feed_server.serve("/broken", b"<html>nope</html>"))
    feeds.create_source(db, ACTOR, name="Paused", url=feed_server.serve("/paused", RSS),
                        active=False)

    first = run_job(app, "content.poll_sources")
    assert first.status == JobStatus.OK, first.error
    assert {k: first.summary[k] for k in ("sources", "ok", "failed", "new_entries")} == {
        "sources": 3, "ok": 2, "failed": 1, "new_entries": 4}
    entries = inbox_state(db)
    assert len(entries) == 4  # 3 from Acme, 2 from Partner, one of them shared
    statuses_after_first = source_state(db)
    assert statuses_after_first["Acme"] == "ok: 3 new"
    assert statuses_after_first["Partner"] == "ok: 1 new"
    assert statuses_after_first["Broken"].startswith("error: not_a_feed")
    assert statuses_after_first["Paused"] == ""

    second = run_job(app, "content.poll_sources")
    assert second.status == JobStatus.OK, second.error
    assert second.summary["new_entries"] == 0
    assert inbox_state(db) == entries
    after = source_state(db)
    assert after["Acme"] == "ok: not modified"  # conditional GET: the server said 304
    assert after["Partner"] == "ok: 0 new"
    assert feed_server.hits("/rss")[1]["if-none-match"] == '"1"'
    assert feed_server.hits("/paused") == []


def test_poll_sources_refuses_internal_addresses_by_default(app, db, connects):
    feeds.create_source(db, ACTOR, name="Cloud metadata",
                        url="http://169.254.169.254/latest/meta-data/")
    feeds.create_source(db, ACTOR, name="Intranet", url="http://10.0.0.1/feed.xml")
    for _ in range(2):
        result = run_job(app, "content.poll_sources")
        assert result.status == JobStatus.OK, result.error
        assert result.summary["failed"] == 2
    assert all(status.startswith("error: blocked_address")
               for status in source_state(db).values())
    assert connects == []
    assert inbox_state(db) == {}


@ALLOW_LOOPBACK
def test_run_once_from_the_command_line(app, db, feed_server):
    feeds.create_source(db, ACTOR, name="Acme", url=feed_server.serve("/rss", RSS))
    cli = app.test_cli_runner()
    first = cli.invoke(args=["jobs", "run-once", "content.poll_sources"])
    assert first.exit_code == 0, first.output
    assert "content.poll_sources: ok" in first.output
    assert '"new_entries": 3' in first.output
    state = inbox_state(db)
    second = cli.invoke(args=["jobs", "run-once", "content.poll_sources"])
    assert second.exit_code == 0, second.output
    assert '"new_entries": 0' in second.output
    assert inbox_state(db) == state


@pytest.mark.parametrize("job_id", ["content.publish_scheduled", "content.expire",
                                    "content.poll_sources"])
def test_run_once_of_each_content_job_with_nothing_to_do(app, db, job_id):
    result = app.test_cli_runner().invoke(args=["jobs", "run-once", job_id])
    assert result.exit_code == 0, result.output
    assert f"{job_id}: ok" in result.output
