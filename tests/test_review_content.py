"""Regression tests from the content review: the lifecycle's allowed actions and the
placeholder link live in app.content.services, and the views use them from there."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.common.actor import Actor
from app.content import curator_views, services
from app.content.models import ContentStatus
from tests.factories import UserFactory

S = ContentStatus


def _item(db, author, status: ContentStatus):
    item = services.create_item(db, Actor(author.id), services.ItemInput(
        url="https://www.acme.example/news/post", title="A post"))
    item.status = status
    db.flush()
    return item


@pytest.mark.parametrize(("status", "expected"), [
    (S.DRAFT, ["submit", "publish", "archive"]),
    (S.IN_REVIEW, ["approve", "reject", "archive"]),
    (S.SCHEDULED, ["expire", "archive"]),
    (S.PUBLISHED, ["expire", "archive"]),
    (S.EXPIRED, ["archive", "reopen"]),
    (S.ARCHIVED, ["reopen"]),
])
def test_allowed_actions_for_a_curator(db, status, expected):
    curator = UserFactory(role=Role.CURATOR)
    assert services.allowed_actions(_item(db, curator, status), curator) == expected


def test_allowed_actions_never_offer_approval_to_a_non_curator(db):
    curator, employee = UserFactory(role=Role.CURATOR), UserFactory()
    assert services.allowed_actions(_item(db, curator, S.IN_REVIEW), employee) == ["archive"]
    assert services.allowed_actions(_item(db, curator, S.DRAFT), employee) == \
        ["submit", "archive"]


def test_every_allowed_action_is_one_the_services_accept(db):
    assert set(services.ACTIONS) == set(services._FROM)  # noqa: SLF001


def test_one_placeholder_link_for_the_editor_and_the_check():
    assert curator_views.PLACEHOLDER_LINK is services.PLACEHOLDER_LINK
    assert len(services.PLACEHOLDER_LINK) == 23
    assert curator_views.ACTIONS is services.ACTIONS
