"""Content items and groups through the API, with the curator and admin pages' rules."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Group, GroupKind, Role
from app.audit.models import AuditEvent
from app.content.models import ContentEvent, ContentItem, ContentOrigin, ContentStatus
from app.db import utcnow
from tests.factories import GroupFactory, TopicFactory, UserFactory
from tests.factories_api import Api, assert_problem

ITEM = {"url": "https://www.acme.example/blog/launch", "title": "We launched",
        "summary": "The new product is out.",
        "texts": {"linkedin": "Proud of the team!", "x": "We launched"},
        "hashtags": ["launch", "#acme"], "priority": 1}


@pytest.fixture
def api(client, db):
    api = Api(client, db)
    api.as_role("curator", name="Cleo Curator")
    return api


def make_item(db, **fields) -> ContentItem:
    values = {"url": "https://www.acme.example/x", "slug": f"x-{utcnow().timestamp()}",
              "title": "X", "status": ContentStatus.DRAFT}
    values.update(fields)
    item = ContentItem(**values)
    db.add(item)
    db.flush()
    return item


def test_create_then_publish_an_item(api, db):
    topic, group = TopicFactory(), GroupFactory()
    response = api.post("/content", json={**ITEM, "topic_ids": [topic.id],
                                          "group_ids": [group.id],
                                          "target_languages": ["fr"]})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "draft" and body["origin"] == "curator"
    assert body["hashtags"] == ["launch", "acme"] and body["texts"] == {
        "linkedin": "Proud of the team!", "x": "We launched"}
    assert body["topic_ids"] == [topic.id] and body["group_ids"] == [group.id]
    assert body["created_by_id"] == api.user.id
    assert body["allowed_actions"] == ["submit", "publish", "archive"]
    assert response.headers["Location"] == f"/api/v1/content/{body['id']}"
    published = api.post(f"/content/{body['id']}/transitions", json={"action": "publish"})
    assert published.status_code == 200
    assert published.get_json()["status"] == "published"
    assert published.get_json()["published_at"] is not None
    actions = db.scalars(select(ContentEvent.action).where(ContentEvent.item_id == body["id"])
                         .order_by(ContentEvent.id)).all()
    assert actions == ["created", "publish"]


def test_a_future_publication_is_scheduled(api):
    item = api.post("/content", json={**ITEM, "publish_at": "2199-01-01T09:00:00"}).get_json()
    assert item["publish_at"] == "2199-01-01T09:00:00+00:00"  # no offset: UTC
    moved = api.post(f"/content/{item['id']}/transitions", json={"action": "publish"})
    assert moved.get_json()["status"] == "scheduled"


@pytest.mark.parametrize("payload, field", [
    ({"url": "ftp://acme.example/file", "title": "T"}, "url"),
    ({"url": "https://acme.example/a", "title": "T", "texts": {"x": "é" * 281}}, "texts.x"),
    ({"url": "https://acme.example/a", "title": "T", "priority": 5}, "priority"),
    ({"url": "https://acme.example/a", "title": "T", "publish_at": "1999-01-01T00:00:00Z"},
     "publish_at"),
])
def test_invalid_items_are_422_problems(api, db, payload, field):
    body = assert_problem(api.post("/content", json=payload), 422)
    assert field in {e["field"] for e in body.get("errors", [])}, body
    assert db.scalar(select(func.count()).select_from(ContentItem)) == 0


def test_the_network_limit_counts_hashtags_and_the_link(api):
    body = assert_problem(api.post("/content", json={
        "url": "https://acme.example/a", "title": "T", "texts": {"x": "a" * 250},
        "hashtags": ["averyveryverylonghashtag"]}), 422, "refused")
    assert body["errors"][0]["field"] == "text_x" and "too long" in body["detail"]


def test_patch_changes_only_what_is_given(api, db):
    item = api.post("/content", json=ITEM).get_json()
    response = api.patch(f"/content/{item['id']}", json={"title": "We launched (updated)",
                                                         "texts": {"x": "New X text"}})
    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "We launched (updated)" and body["summary"] == ITEM["summary"]
    assert body["texts"] == {"linkedin": "Proud of the team!", "x": "New X text"}
    assert body["hashtags"] == ["launch", "acme"] and body["priority"] == 1


def test_lifecycle_rules_hold(api, db):
    item = api.post("/content", json=ITEM).get_json()
    body = assert_problem(api.post(f"/content/{item['id']}/transitions",
                                   json={"action": "approve"}), 422, "refused")
    assert "cannot do that now" in body["detail"]
    api.post(f"/content/{item['id']}/transitions", json={"action": "archive"})
    assert_problem(api.patch(f"/content/{item['id']}", json={"title": "x"}), 422, "refused")
    reopened = api.post(f"/content/{item['id']}/transitions", json={"action": "reopen"})
    assert reopened.get_json()["status"] == "draft"
    assert_problem(api.post(f"/content/{item['id']}/transitions", json={"action": "fly"}), 422,
                   "invalid-request")
    assert_problem(api.post("/content/99999/transitions", json={"action": "archive"}), 404)


def test_the_suggester_never_approves_their_own_link(api, db):
    item = make_item(db, status=ContentStatus.IN_REVIEW, origin=ContentOrigin.SUGGESTION,
                     suggested_by_id=api.user.id)
    assert api.get(f"/content/{item.id}").get_json()["allowed_actions"] == [
        "approve", "reject", "archive"]
    body = assert_problem(api.post(f"/content/{item.id}/transitions",
                                   json={"action": "approve"}), 422, "refused")
    assert "another curator" in body["detail"]
    db.expire_all()
    assert db.get(ContentItem, item.id).status == ContentStatus.IN_REVIEW


def test_reject_with_a_note(api, db):
    item = make_item(db, status=ContentStatus.IN_REVIEW, created_by_id=UserFactory().id)
    response = api.post(f"/content/{item.id}/transitions",
                        json={"action": "reject", "note": "Needs a better title"})
    assert response.get_json()["status"] == "draft"
    note = db.scalar(select(ContentEvent.note).where(ContentEvent.action == "reject"))
    assert note == "Needs a better title"


def test_list_and_filter_items(api, db):
    topic = TopicFactory()
    make_item(db, title="Alpha", status=ContentStatus.PUBLISHED)
    beta = make_item(db, title="Beta report")
    beta.topics = [topic]
    db.flush()
    body = api.get("/content").get_json()
    assert body["total"] == 2
    assert [i["title"] for i in api.get("/content?status=published").get_json()["items"]] == [
        "Alpha"]
    assert [i["title"] for i in api.get(f"/content?topic={topic.id}").get_json()["items"]] == [
        "Beta report"]
    assert [i["title"] for i in api.get("/content?q=report").get_json()["items"]] == [
        "Beta report"]


def test_employees_and_managers_do_not_curate(api, db):
    for role in ("employee", "manager"):
        api.as_role(role)
        assert_problem(api.get("/content"), 403, "forbidden")
        assert_problem(api.post("/content", json=ITEM), 403)
    assert db.scalar(select(func.count()).select_from(ContentItem)) == 0


def test_an_idempotent_item_creation(api, db):
    key = {"Idempotency-Key": "item-1"}
    first = api.post("/content", json=ITEM, headers=key).get_json()
    second = api.post("/content", json=ITEM, headers=key)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json()["id"] == first["id"]
    assert db.scalar(select(func.count()).select_from(ContentItem)) == 1


# --- groups --------------------------------------------------------------------------------------


def test_curators_read_groups_admins_change_them(api, db):
    sales = GroupFactory(kind=GroupKind.DEPARTMENT, name="Sales")
    UserFactory(groups=[sales])
    GroupFactory(kind=GroupKind.LOCATION, name="Paris")
    body = api.get("/groups").get_json()
    assert [(g["kind"], g["name"], g["member_count"]) for g in body["items"]] == [
        ("department", "Sales", 1), ("location", "Paris", 0)]
    assert [g["name"] for g in api.get("/groups?kind=location").get_json()["items"]] == ["Paris"]
    assert api.get(f"/groups/{sales.id}").get_json()["member_count"] == 1
    assert_problem(api.post("/groups", json={"kind": "team", "name": "Blue"}), 403)
    assert_problem(api.delete(f"/groups/{sales.id}"), 403)

    api.as_role(Role.ADMIN)
    created = api.post("/groups", json={"kind": "team", "name": "Blue"})
    assert created.status_code == 201 and created.get_json()["member_count"] == 0
    assert_problem(api.post("/groups", json={"kind": "team", "name": "blue"}), 422, "refused")
    sales_id = sales.id
    assert api.delete(f"/groups/{sales_id}").status_code == 204
    assert db.scalar(select(func.count()).select_from(Group).where(Group.id == sales_id)) == 0
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "group.deleted"))
    assert_problem(api.delete(f"/groups/{sales_id}"), 404)
