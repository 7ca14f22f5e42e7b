"""Regression tests for the sharing review: the post-time rules live in a service
(app.sharing.posting.post_time), the "Post on …" button names the network from the one
network table, and the e-mail network's label is translatable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import LazyString

from app.accounts.models import Role
from app.common.errors import ServiceError
from app.sharing.networks import SHARE_NETWORKS
from app.sharing.posting import MAX_SCHEDULE_AHEAD, post_time
from tests.fake_provider import fake, fake_provider_server  # noqa: F401
from tests.test_connectors import connect, make_item

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def app_overrides(fake):  # noqa: F811
    return fake.config()


def test_post_time_now_is_now():
    assert post_time(later=False, local=None, timezone="Europe/Paris", now=NOW) == NOW


def test_post_time_converts_the_persons_local_time_to_utc():
    when = post_time(later=True, local=datetime(2026, 11, 25, 10, 30),
                     timezone="Europe/Paris", now=NOW)
    assert when == datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("local", [None, datetime(2026, 11, 24, 9, 0),
                                   datetime(2020, 1, 1, 9, 0)])
def test_post_time_refuses_a_missing_or_past_time(local):
    with pytest.raises(ServiceError) as refused:
        post_time(later=True, local=local, timezone="UTC", now=NOW)
    assert refused.value.field == "scheduled_at"


def test_post_time_refuses_more_than_90_days_ahead():
    too_far = (NOW + MAX_SCHEDULE_AHEAD + timedelta(minutes=1)).replace(tzinfo=None)
    with pytest.raises(ServiceError):
        post_time(later=True, local=too_far, timezone="UTC", now=NOW)
    edge = (NOW + MAX_SCHEDULE_AHEAD).replace(tzinfo=None)
    assert post_time(later=True, local=edge, timezone="UTC", now=NOW) == NOW + MAX_SCHEDULE_AHEAD


def test_the_email_network_label_is_translatable():
    assert isinstance(SHARE_NETWORKS["email"].label, LazyString)


def test_the_api_button_names_the_network_from_the_network_table(app, db, auth, fake):  # noqa: F811
    auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "linkedin")
    item = make_item(db)
    page = auth.client.get(f"/share/{item.id}?network=linkedin").get_data(as_text=True)
    assert f"Post on {SHARE_NETWORKS['linkedin'].label}" in page


def test_scheduling_too_far_ahead_through_the_page_creates_nothing(app, db, auth, fake):  # noqa: F811
    from sqlalchemy import select

    from app.sharing.models import Share

    user = auth.as_role(Role.EMPLOYEE)
    connect(auth.client, fake, "x")
    item = make_item(db)
    when = (datetime.now(UTC) + timedelta(days=120)).strftime("%Y-%m-%dT%H:%M")
    response = auth.client.post(f"/share/{item.id}/api", data={
        "network": "x", "text": "Later", "when": "later", "scheduled_at": when})
    assert response.status_code == 302
    db.expire_all()
    assert db.scalar(select(Share).where(Share.user_id == user.id)) is None
