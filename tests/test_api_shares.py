"""Shares, click summaries and conversions through the API: everyone sees their own, a
manager their reports' too, an admin everyone's — and the counting rules of "My shares"
(bots and self-clicks never count; a visitor counts once per 24 hours). The signed
conversions webhook still works beside the token-authenticated list."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest

from app.accounts.models import Role
from app.content.models import ContentItem, ContentStatus
from app.db import utcnow
from app.sharing import conversions as webhook
from app.sharing.models import Click, Conversion, Share, ShareMethod, ShareStatus
from tests.factories import UserFactory
from tests.factories_api import Api, assert_problem

T0 = utcnow().replace(microsecond=0) - timedelta(days=2)


@pytest.fixture
def app_overrides():
    return {"CONVERSION_WEBHOOK_SECRET": "shares-test-secret"}


@pytest.fixture
def scene(db):
    """A manager with one report, an outsider; each shared the same item once."""
    manager = UserFactory(role=Role.MANAGER, name="Mona Manager")
    report = UserFactory(manager=manager, name="Rita Report")
    outsider = UserFactory(name="Otto Outsider")
    item = ContentItem(url="https://www.acme.example/p", slug="p", title="Product page",
                       status=ContentStatus.PUBLISHED, published_at=T0)
    db.add(item)
    db.flush()
    shares = {}
    for n, person in enumerate((manager, report, outsider)):
        share = Share(code=f"code{n}xyz", user_id=person.id, item_id=item.id,
                      network="linkedin", method=ShareMethod.INTENT,
                      status=ShareStatus.OPENED, reach=100 * (n + 1),
                      created_at=T0 + timedelta(hours=n))
        db.add(share)
        db.flush()
        shares[person.name] = share
    rita = shares["Rita Report"]
    for at, visitor, bot, self_ in [
        (T0 + timedelta(hours=1), "a", False, False),
        (T0 + timedelta(hours=2), "a", False, False),  # same visitor within 24 h
        (T0 + timedelta(hours=30), "a", False, False),  # 29 h later: unique again
        (T0 + timedelta(hours=3), "b", False, False),
        (T0 + timedelta(hours=3), "c", True, False),  # a crawler
        (T0 + timedelta(hours=4), "d", False, True),  # Rita herself
    ]:
        db.add(Click(share_id=rita.id, at=at, visitor_hash=visitor * 64, is_bot=bot,
                     is_self=self_))
    db.add(Conversion(event_id="crm-1", share_id=rita.id, type="lead", value=Decimal("120.50"),
                      currency="EUR", occurred_at=T0, received_at=T0 + timedelta(hours=5)))
    db.add(Conversion(event_id="crm-2", share_id=shares["Otto Outsider"].id, type="lead",
                      occurred_at=T0, received_at=T0 + timedelta(hours=6)))
    db.flush()
    return {"manager": manager, "report": report, "outsider": outsider, "shares": shares,
            "item": item}


def names(api, path) -> list[str]:
    response = api.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(str(x["user_id"]) for x in response.get_json()["items"])


def test_who_sees_whose_shares(client, db, scene):
    api = Api(client, db)
    ids = {k: str(v.id) for k, v in scene.items() if k in ("manager", "report", "outsider")}
    api.as_user(scene["report"])
    assert names(api, "/shares") == [ids["report"]]
    api.as_user(scene["manager"])
    assert names(api, "/shares") == sorted([ids["manager"], ids["report"]])
    assert names(api, f"/shares?user_id={ids['outsider']}") == []
    api.as_role(Role.ADMIN)
    assert names(api, "/shares") == sorted(ids.values())
    assert names(api, f"/shares?user_id={ids['outsider']}") == [ids["outsider"]]


def test_a_share_with_its_numbers(client, db, scene):
    api = Api(client, db)
    api.as_user(scene["report"])
    share = scene["shares"]["Rita Report"]
    body = api.get(f"/shares/{share.id}").get_json()
    assert body["code"] == "code1xyz" and body["item_title"] == "Product page"
    assert body["tracked_url"] == "http://relais.test/r/code1xyz"
    assert (body["human_clicks"], body["unique_clicks"]) == (4, 3)
    assert (body["conversions"], body["conversion_value"]) == (1, "120.50")
    assert body["reach"] == 200
    # someone else's share is not found (its existence is not told)
    assert_problem(api.get(f"/shares/{scene['shares']['Otto Outsider'].id}"), 404)


def test_filters_and_pages(client, db, scene):
    api = Api(client, db)
    api.as_role(Role.ADMIN)
    since = quote((T0 + timedelta(minutes=30)).isoformat())  # "+00:00" must be encoded
    assert len(api.get(f"/shares?since={since}").get_json()["items"]) == 2
    body = api.get("/shares?per_page=1&page=3").get_json()
    assert body["total"] == 3 and body["items"][0]["code"] == "code0xyz"
    assert api.get("/shares?network=x").get_json()["total"] == 0
    assert_problem(api.get("/shares?since=yesterday"), 422, "invalid-request")


def test_clicks_summary(client, db, scene):
    api = Api(client, db)
    api.as_user(scene["manager"])
    body = api.get("/clicks/summary").get_json()
    assert body == {"shares": 2, "clicks": 6, "human_clicks": 4, "unique_clicks": 3,
                    "bot_clicks": 1, "self_clicks": 1}
    until = quote((T0 + timedelta(hours=24)).isoformat())
    assert api.get(f"/clicks/summary?clicked_until={until}").get_json()["human_clicks"] == 3
    api.as_user(scene["outsider"])
    assert api.get("/clicks/summary").get_json() == {
        "shares": 1, "clicks": 0, "human_clicks": 0, "unique_clicks": 0, "bot_clicks": 0,
        "self_clicks": 0}


def test_conversions_list(client, db, scene):
    api = Api(client, db)
    api.as_user(scene["report"])
    body = api.get("/conversions").get_json()
    assert [(c["event_id"], c["value"], c["share_code"]) for c in body["items"]] == [
        ("crm-1", "120.50", "code1xyz")]
    api.as_role(Role.ADMIN)
    assert [c["event_id"] for c in api.get("/conversions").get_json()["items"]] == [
        "crm-2", "crm-1"]
    assert api.get("/conversions?type=signup").get_json()["total"] == 0


def test_a_token_without_the_shares_scope(client, db, scene):
    api = Api(client, db)
    api.as_user(scene["report"], scopes="content:read")
    assert_problem(api.get("/shares"), 403, "insufficient-scope")


def test_the_signed_webhook_still_records_conversions(client, db, scene):
    body = json.dumps({"event_id": "crm-3", "share_code": "code0xyz", "type": "signup"}).encode()
    ts = int(time.time())
    response = client.post("/api/v1/conversions", data=body, headers={
        "Content-Type": "application/json", "X-Relais-Timestamp": str(ts),
        "X-Relais-Signature": webhook.sign("shares-test-secret", ts, body)})
    assert response.status_code == 201, response.get_data(as_text=True)
    api = Api(client, db)
    api.as_user(scene["manager"])
    assert [c["event_id"] for c in api.get("/conversions?share_id="
                                           f"{scene['shares']['Mona Manager'].id}")
            .get_json()["items"]] == ["crm-3"]
    # unsigned: the webhook's own problem, not the token check
    unsigned = client.post("/api/v1/conversions", data=body,
                           headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert unsigned.get_json()["type"].endswith("conversions/missing-signature")
