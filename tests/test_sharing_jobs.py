"""Sharing's jobs against the fake LinkedIn and X: scheduled posts, token refresh,
engagement snapshots. DESIGN.md: every job test runs the job twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.jobs.models import JobStatus
from app.jobs.runner import run_job
from app.sharing import crypto
from app.sharing.models import (
    ConnectedAccount,
    EngagementSnapshot,
    Share,
    ShareMethod,
    ShareStatus,
)
from tests.factories import UserFactory
from tests.fake_provider import fake, fake_provider_server  # noqa: F401
from tests.test_connectors import make_item

NOW = datetime(2026, 11, 24, 10, 20, tzinfo=UTC)


@pytest.fixture
def app_overrides(fake):  # noqa: F811
    return fake.config()


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def connected(db, fake, user, network, *, expires_in=timedelta(hours=2)):  # noqa: F811
    """An account connected as the callback would store it (tokens issued by the fake)."""
    with fake.lock:
        tokens = fake._issue(network, "scope")
    profile = fake.state.users[network]
    account = ConnectedAccount(
        user_id=user.id, network=network,
        external_id=profile["sub"] if network == "linkedin" else profile["id"],
        display_name=profile["name"],
        access_token_enc=crypto.encrypt(tokens["access_token"]),
        refresh_token_enc=crypto.encrypt(tokens["refresh_token"]),
        expires_at=NOW + expires_in, followers=10, created_at=NOW - timedelta(days=40))
    db.add(account)
    db.flush()
    return account


def api_share(db, user, account, *, status=ShareStatus.SCHEDULED, scheduled_for=None,
              posted_at=None, external_post_id=None, item=None) -> Share:
    item = item or make_item(db, published_at=NOW - timedelta(days=60))
    share = Share(code=f"c{make_item.n:010d}", user_id=user.id, item_id=item.id,
                  network=account.network, method=ShareMethod.API, status=status,
                  text="Look at this", connected_account_id=account.id,
                  scheduled_for=scheduled_for, posted_at=posted_at,
                  external_post_id=external_post_id, created_at=NOW - timedelta(days=40))
    db.add(share)
    db.flush()
    return share


def twice(app, job_id):
    first, second = run_job(app, job_id), run_job(app, job_id)
    assert (first.status, second.status) == (JobStatus.OK, JobStatus.OK), first.error
    return first.summary, second.summary


def snapshots(db, share=None):
    db.expire_all()
    query = select(EngagementSnapshot).order_by(EngagementSnapshot.id)
    if share is not None:
        query = query.where(EngagementSnapshot.share_id == share.id)
    return list(db.scalars(query))


# --- sharing.post_scheduled ------------------------------------------------------------------


def test_a_scheduled_share_is_posted_once_when_its_time_comes(app, db, fake, travel):  # noqa: F811
    user = UserFactory()
    account = connected(db, fake, user, "x")
    due = api_share(db, user, account, scheduled_for=NOW - timedelta(minutes=1))
    later = api_share(db, user, account, scheduled_for=NOW + timedelta(hours=1))

    assert twice(app, "sharing.post_scheduled") == ({"posted": 1, "failed": 0},
                                                    {"posted": 0, "failed": 0})
    db.expire_all()
    assert due.status == ShareStatus.POSTED
    assert due.posted_at == NOW
    assert len(fake.state.posts) == 1
    assert fake.state.posts[due.external_post_id]["text"].endswith(
        f"http://relais.test/r/{due.code}")
    assert later.status == ShareStatus.SCHEDULED

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert twice(app, "sharing.post_scheduled")[0] == {"posted": 1, "failed": 0}
    assert len(fake.state.posts) == 2


def test_a_scheduled_share_fails_with_the_reason(app, db, fake, travel):  # noqa: F811
    user = UserFactory()
    account = connected(db, fake, user, "linkedin")
    share = api_share(db, user, account, scheduled_for=NOW - timedelta(minutes=1))
    fake.fail("post", 500, {"status": 500, "message": "Internal Server Error"})
    assert twice(app, "sharing.post_scheduled") == ({"posted": 0, "failed": 1},
                                                    {"posted": 0, "failed": 0})
    db.expire_all()
    assert share.status == ShareStatus.FAILED
    assert share.failure_reason == "LinkedIn answered 500: Internal Server Error"


def test_a_scheduled_share_of_an_item_that_expired_is_not_posted(app, db, fake, travel):  # noqa: F811
    user = UserFactory()
    account = connected(db, fake, user, "x")
    item = make_item(db, published_at=NOW - timedelta(days=2), expire_at=NOW - timedelta(hours=1))
    share = api_share(db, user, account, scheduled_for=NOW - timedelta(minutes=1), item=item)
    twice(app, "sharing.post_scheduled")
    db.expire_all()
    assert share.status == ShareStatus.FAILED
    assert "no longer available" in share.failure_reason
    assert fake.state.posts == {}


def test_the_scheduled_post_refreshes_an_expired_token(app, db, fake, travel):  # noqa: F811
    user = UserFactory()
    account = connected(db, fake, user, "x", expires_in=-timedelta(minutes=1))
    fake.expire_access_tokens("x")
    share = api_share(db, user, account, scheduled_for=NOW - timedelta(minutes=1))
    twice(app, "sharing.post_scheduled")
    db.expire_all()
    assert share.status == ShareStatus.POSTED, share.failure_reason
    assert account.expires_at == NOW + timedelta(hours=2)


# --- sharing.refresh_tokens ------------------------------------------------------------------


def test_tokens_expiring_within_the_hour_are_refreshed_once(app, db, fake, travel):  # noqa: F811
    user, other = UserFactory(), UserFactory()
    soon = connected(db, fake, user, "x", expires_in=timedelta(minutes=30))
    far = connected(db, fake, other, "linkedin", expires_in=timedelta(days=30))
    soon_token, far_token = soon.access_token_enc, far.access_token_enc

    assert twice(app, "sharing.refresh_tokens") == ({"refreshed": 1, "failed": 0},
                                                    {"refreshed": 0, "failed": 0})
    db.expire_all()
    assert soon.access_token_enc != soon_token
    assert soon.expires_at == NOW + timedelta(hours=2)
    assert soon.status == "ok"
    assert far.access_token_enc == far_token
    assert fake.calls_to("/2/oauth2/token") == 1


def test_a_refused_refresh_flags_the_account_and_is_not_retried(app, db, fake, travel):  # noqa: F811
    user = UserFactory()
    account = connected(db, fake, user, "x", expires_in=timedelta(minutes=30))
    fake.state.refresh.clear()
    assert twice(app, "sharing.refresh_tokens") == ({"refreshed": 0, "failed": 1},
                                                    {"refreshed": 0, "failed": 0})
    db.expire_all()
    assert account.status.startswith("refresh failed: X refused the authorization")


# --- sharing.fetch_engagement ----------------------------------------------------------------


def posted(db, fake, user, account, *, age):  # noqa: F811
    """A share posted ``age`` ago, really on the fake network."""
    share = api_share(db, user, account, status=ShareStatus.POSTED, posted_at=NOW - age,
                      external_post_id="pending")
    with fake.lock:
        post_id = (f"urn:li:share:{next(fake.ids)}" if account.network == "linkedin"
                   else str(next(fake.ids)))
        fake.state.posts[post_id] = {"network": account.network, "text": share.text}
    share.external_post_id = post_id
    db.flush()
    return share


def test_engagement_is_snapshotted_once_per_hour(app, db, fake, travel):  # noqa: F811
    user = UserFactory()
    x = connected(db, fake, user, "x")
    linkedin = connected(db, fake, user, "linkedin")
    tweet = posted(db, fake, user, x, age=timedelta(days=2))
    post = posted(db, fake, user, linkedin, age=timedelta(days=2))
    fake.set_metrics(tweet.external_post_id, likes=5, replies=2, retweets=3, quotes=1,
                     impressions=900)
    fake.set_metrics(post.external_post_id, likes=7, comments=4, reshares=2, impressions=1500)

    first, second = twice(app, "sharing.fetch_engagement")
    assert first == {"snapshots": 2, "skipped_too_old": 0, "errors": 0, "accounts": 2}
    assert second == {"snapshots": 0, "skipped_too_old": 0, "errors": 0, "accounts": 0}
    [tweet_snapshot] = snapshots(db, tweet)
    assert (tweet_snapshot.likes, tweet_snapshot.comments, tweet_snapshot.reshares,
            tweet_snapshot.impressions) == (5, 2, 4, 900)
    assert tweet_snapshot.source == "api"
    assert tweet_snapshot.taken_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    [post_snapshot] = snapshots(db, post)
    assert (post_snapshot.likes, post_snapshot.comments, post_snapshot.reshares,
            post_snapshot.impressions) == (7, 4, 2, 1500)
    db.expire_all()
    assert x.followers == 1234 and linkedin.followers == 321  # refreshed with the metrics
    assert x.followers_updated_at == NOW

    fake.set_metrics(tweet.external_post_id, likes=6)
    with time_machine.travel(NOW + timedelta(minutes=45), tick=False):  # 11:05, the next hour
        assert twice(app, "sharing.fetch_engagement")[0]["snapshots"] == 2
    assert [s.likes for s in snapshots(db, tweet)] == [5, 6]


def test_x_posts_older_than_30_days_are_skipped(app, db, fake, travel):  # noqa: F811
    user = UserFactory()
    x = connected(db, fake, user, "x")
    linkedin = connected(db, fake, user, "linkedin")
    old_tweet = posted(db, fake, user, x, age=timedelta(days=31))
    young_tweet = posted(db, fake, user, x, age=timedelta(days=29))
    old_post = posted(db, fake, user, linkedin, age=timedelta(days=31))

    first, second = twice(app, "sharing.fetch_engagement")
    assert first["snapshots"] == 2 and first["skipped_too_old"] == 1
    assert second["snapshots"] == 0
    assert snapshots(db, old_tweet) == []
    assert len(snapshots(db, young_tweet)) == 1
    assert len(snapshots(db, old_post)) == 1  # LinkedIn keeps its metrics
    assert fake.calls_to(f"/2/tweets/{old_tweet.external_post_id}") == 0


def test_shares_past_every_connectors_window_are_not_even_read(
        app, db, fake, travel):  # noqa: F811
    """Regression: the job loaded every posted share ever, then skipped the old ones."""
    from sqlalchemy import event

    from app.sharing.models import Share

    user = UserFactory()
    linkedin = connected(db, fake, user, "linkedin")
    ancient = posted(db, fake, user, linkedin, age=timedelta(days=91))
    recent = posted(db, fake, user, linkedin, age=timedelta(days=2))
    loaded: list[int] = []

    def _on_load(target, context):
        loaded.append(target.id)

    event.listen(Share, "load", _on_load)
    try:
        db.expire_all()
        first, _second = twice(app, "sharing.fetch_engagement")
    finally:
        event.remove(Share, "load", _on_load)
    assert first["snapshots"] == 1 and first["skipped_too_old"] == 0
    assert ancient.id not in loaded and recent.id in loaded
    assert snapshots(db, ancient) == []


def test_a_missing_post_is_an_error_and_the_others_go_on(app, db, fake, travel):  # noqa: F811
    user = UserFactory()
    x = connected(db, fake, user, "x")
    gone = posted(db, fake, user, x, age=timedelta(days=1))
    kept = posted(db, fake, user, x, age=timedelta(days=1))
    del fake.state.posts[gone.external_post_id]
    first, second = twice(app, "sharing.fetch_engagement")
    assert (first["snapshots"], first["errors"]) == (1, 1)
    assert (second["snapshots"], second["errors"]) == (0, 1)  # retried, still gone
    assert snapshots(db, gone) == [] and len(snapshots(db, kept)) == 1


def test_failed_intent_and_scheduled_shares_are_not_fetched(app, db, fake, travel):  # noqa: F811
    user = UserFactory()
    x = connected(db, fake, user, "x")
    api_share(db, user, x, status=ShareStatus.FAILED)
    api_share(db, user, x, scheduled_for=NOW + timedelta(hours=1))
    first, _second = twice(app, "sharing.fetch_engagement")
    assert first == {"snapshots": 0, "skipped_too_old": 0, "errors": 0, "accounts": 0}
    assert fake.state.calls == []
