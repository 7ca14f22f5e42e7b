"""examples/api_quickstart.py, run for real (a subprocess, over HTTP) against the app served
on 127.0.0.1: with an admin's token it creates a person, publishes an item, and reads this
month's leaderboard and an employee's stats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User, UserStatus
from app.analytics import tally
from app.common.actor import Actor
from app.content.models import ContentItem, ContentStatus
from app.db import utcnow
from app.gamification.services import correct
from tests import factories_analytics as f
from tests.conftest import free_port
from tests.factories import UserFactory
from tests.factories_api import Api

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "api_quickstart.py"


@pytest.fixture
def served(app):
    """The test's app (and so its database transaction) on a local port. One request at a
    time (threaded=False): the test thread only waits for the script meanwhile."""
    from werkzeug.serving import make_server

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def run_script(base_url: str, token: str, *args: str) -> subprocess.CompletedProcess:
    # the token through the environment, as the script documents; never via a proxy
    env = {**os.environ, "RELAIS_API_TOKEN": token, "NO_PROXY": "127.0.0.1",
           "no_proxy": "127.0.0.1"}
    return subprocess.run([sys.executable, str(SCRIPT), "--base-url", base_url, *args],
                          capture_output=True, text=True, timeout=60, env=env, check=False)


@pytest.fixture
def app_overrides():
    return {"LEADERBOARD_CACHE_SECONDS": 0}


@pytest.fixture
def ambassador(db):
    """Ana shared twice yesterday (reach 300 each), brought 2 unique clicks, and has 30
    points this month — tallied into the rollups."""
    ana = UserFactory(name="Ana Ambassador")
    now = utcnow()
    content = f.item(db, title="Launch")
    first = f.share(db, ana, content, at=now - timedelta(days=1), reach=300)
    f.share(db, ana, content, at=now - timedelta(days=1), reach=300)
    f.click(db, first, now - timedelta(hours=20), "v1")
    f.click(db, first, now - timedelta(hours=20), "v2")
    correct(db, user_id=ana.id, points=30, reason="Launch week", actor=Actor(None))
    tally.tally(db, now + timedelta(minutes=1))
    return ana


def test_the_quickstart_creates_a_person_and_publishes_an_item(served, db, client, mail,
                                                               ambassador):
    api = Api(client, db)
    admin = UserFactory(role=Role.ADMIN, email="integration@acme.example")
    token = api.token_for(admin)
    db.commit()  # a savepoint of the test's transaction: visible to the served app
    result = run_script(served, token, "--email", "Quinn.New@acme.example", "--name", "Quinn",
                        "--employee-number", "E-42", "--url",
                        "https://www.acme.example/blog/launch", "--title", "We launched",
                        "--linkedin-text", "Have a look!",
                        "--stats-user-id", str(ambassador.id))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["as"] == "integration@acme.example"
    assert out["user"]["email"] == "quinn.new@acme.example"
    assert out["item"]["status"] == "published"
    # this month's leaderboard and the employee's stats (last 30 days)
    assert out["leaderboard"]["top"] == [{"rank": 1, "name": "Ana Ambassador", "points": 30}]
    assert out["leaderboard"]["you"] is None  # the admin has no points
    assert out["stats"] == {**out["stats"], "user_id": ambassador.id, "shares": 2,
                            "reach": 600, "human_clicks": 2, "unique_clicks": 2,
                            "conversions": 0, "points_balance": 30, "currency": "EUR"}
    db.expire_all()
    quinn = db.scalar(select(User).where(User.email == "quinn.new@acme.example"))
    assert quinn.status == UserStatus.INVITED and quinn.employee_number == "E-42"
    item = db.get(ContentItem, out["item"]["id"])
    assert item.status == ContentStatus.PUBLISHED and item.created_by_id == admin.id
    assert item.text_for("linkedin") == "Have a look!"
    assert mail.wait_for("quinn.new@acme.example")


def test_the_quickstart_reports_the_problem(served, db, client):
    api = Api(client, db)
    token = api.token_for(UserFactory(role=Role.EMPLOYEE))
    db.commit()
    result = run_script(served, token, "--email", "x@acme.example", "--url",
                        "https://www.acme.example/", "--title", "T")
    assert result.returncode == 1
    problem = json.loads(result.stderr)
    assert problem["error"] == 403 and problem["problem"]["type"].endswith("/forbidden")
    missing = run_script(served, "", "--email", "x@acme.example", "--url",
                         "https://www.acme.example/", "--title", "T")
    assert missing.returncode == 2 and "RELAIS_API_TOKEN" in missing.stderr
