"""seed-demo, content: sources and inbox, ~40 items across the lifecycle, texts within the
network limits, suggestions in review, and a demo employee with a non-empty queue."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import config
from app.accounts.models import User
from app.content.models import (
    ContentEvent,
    ContentItem,
    ContentOrigin,
    ContentStatus,
    InboxEntry,
    InboxStatus,
    Source,
)
from app.content.networks import NETWORKS, compose, count
from app.content.queue import queue_for
from app.db import utcnow

S = ContentStatus


@pytest.fixture
def seeded(app, db, monkeypatch, tmp_path):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    return db


def items(db) -> list[ContentItem]:
    return list(db.scalars(select(ContentItem).order_by(ContentItem.id)))


def test_the_status_mix(seeded):
    all_items = items(seeded)
    assert len(all_items) >= 40
    statuses = Counter(i.status for i in all_items)
    assert statuses[S.PUBLISHED] >= 25
    assert statuses[S.SCHEDULED] == 4
    assert statuses[S.EXPIRED] == 4
    assert statuses[S.DRAFT] == 3
    assert statuses[S.IN_REVIEW] == 4  # 2 from curators, 2 employee suggestions
    assert sum(i.featured for i in all_items) == 3
    french = sum(i.language == "fr" for i in all_items)
    assert len(all_items) / 4 <= french <= len(all_items) / 2


def test_dates_fit_the_lifecycle(seeded):
    now = utcnow()
    for item in items(seeded):
        if item.status == S.PUBLISHED:
            assert now - timedelta(days=20) <= item.published_at <= now
            assert item.expire_at is None or item.expire_at > now
        elif item.status == S.SCHEDULED:
            assert item.publish_at > now and item.published_at is None
        elif item.status == S.EXPIRED:
            assert item.published_at < item.expire_at <= now
        assert item.created_at <= now
    published_days = {(now - i.published_at).days for i in items(seeded)
                      if i.status == S.PUBLISHED}
    assert len(published_days) >= 10  # spread out, not all today


def test_every_text_fits_its_network(seeded):
    checked = 0
    for item in items(seeded):
        for text in item.texts:
            full = compose(text.network, text.text, link=item.url, hashtags=item.hashtags,
                           disclaimer=item.disclaimer)
            assert count(text.network, full) <= NETWORKS[text.network].limit, item.title
            checked += 1
    assert checked >= 100


def test_targeting_regulated_items_and_urls(seeded):
    all_items = items(seeded)
    assert any(i.groups for i in all_items)
    assert any(i.target_languages for i in all_items)
    locked = [i for i in all_items if i.text_locked]
    assert len(locked) >= 2 and all(i.disclaimer for i in locked)
    assert all(".acme.example/" in i.url and i.summary and not i.image_url for i in all_items)
    assert all(i.topics for i in all_items if i.origin == ContentOrigin.CURATOR)


def test_items_went_through_the_services(seeded):
    curator = seeded.scalar(select(User).where(User.email == "curator@acme.example"))
    published = [i for i in items(seeded) if i.status == S.PUBLISHED]
    for item in published:
        assert item.created_by_id == curator.id
        actions = list(seeded.scalars(select(ContentEvent.action)
                                      .where(ContentEvent.item_id == item.id)
                                      .order_by(ContentEvent.id)))
        assert actions == ["created", "publish"]


def test_sources_and_inbox(seeded):
    sources = list(seeded.scalars(select(Source)))
    assert len(sources) == 3
    assert all(s.active and s.last_status == "" and s.last_polled_at is None for s in sources)
    assert seeded.scalar(select(func.count()).select_from(InboxEntry)
                         .where(InboxEntry.status == InboxStatus.NEW)) >= 10
    per_source = Counter(e.source_id for e in seeded.scalars(select(InboxEntry)))
    assert set(per_source) == {s.id for s in sources}


def test_suggestions_wait_for_review(seeded):
    # (the sharing demo adds two older suggestions, accepted and since archived)
    suggestions = list(seeded.scalars(select(ContentItem).where(
        ContentItem.origin == ContentOrigin.SUGGESTION,
        ContentItem.status != S.ARCHIVED)))
    assert len(suggestions) == 2
    assert all(s.status == S.IN_REVIEW and s.suggested_by_id and s.suggestion_comment
               for s in suggestions)
    suggesters = {s.suggested_by.email for s in suggestions}
    assert "employee@acme.example" in suggesters and len(suggesters) == 2


def test_the_demo_employee_has_a_queue(seeded):
    employee = seeded.scalar(select(User).where(User.email == "employee@acme.example"))
    page = queue_for(seeded, employee, utcnow(), limit=50, offset=0)
    assert len(page.entries) >= 10
    assert any(e.item.groups for e in page.entries)  # something targeted to her groups
    assert any(e.item.featured for e in page.entries)
