"""Outgoing webhooks (app/notifications/webhooks.py) delivered by the outbox job, against a
real HTTP receiver on 127.0.0.1 (FETCH_ALLOW_LOOPBACK: tests only): signed deliveries,
retries on 5xx and while the receiver is down, a redirect is a failure, the Slack / Teams /
JSON bodies; the two events (featured publication, challenge results); the admin pages."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.common.actor import Actor
from app.content import services as content
from app.content.models import ContentStatus
from app.gamification.challenges import close_due
from app.gamification.models import ChallengeMode
from app.jobs.runner import run_job
from app.notifications import outbox, webhooks
from app.notifications.models import (
    OutboxMessage,
    OutboxStatus,
    WebhookEndpoint,
    WebhookFlavour,
)
from app.sharing.conversions import verify
from tests.conftest import Auth, free_port
from tests.factories import UserFactory
from tests.factories_boards import board_settings, challenge, opt_out, progress_row

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
ADMIN_URL = "/admin/webhooks"


# --- a real receiver ------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server = self.server
        with server.lock:
            server.requests.append({"path": self.path, "headers": dict(self.headers),
                                    "body": body})
            status = server.statuses.pop(0) if server.statuses else 200
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.requests: list[dict] = []
        #: the statuses of the next answers (then 200)
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self.port = self.server_address[1]
        self.thread = threading.Thread(target=self.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def app_overrides():
    return {"FETCH_ALLOW_LOOPBACK": True}


def admin(db) -> Actor:
    return Actor(user_id=UserFactory(role=Role.ADMIN).id)


def endpoint(db, url: str, *, flavour: str = "json", events=None, active: bool = True,
             name: str = "Channel") -> WebhookEndpoint:
    return webhooks.create_endpoint(
        db, admin(db), name=name, url=url, flavour=flavour, active=active,
        events=list(webhooks.EVENTS) if events is None else events,
        policy=outbox.webhook_policy({"FETCH_ALLOW_LOOPBACK": True}))


def deliveries(db, endpoint_id: int | None = None) -> list[OutboxMessage]:
    db.expire_all()
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if endpoint_id is not None:
        stmt = stmt.where(OutboxMessage.endpoint_id == endpoint_id)
    return list(db.scalars(stmt))


def run(app, at: datetime) -> dict:
    with time_machine.travel(at, tick=False):
        result = run_job(app, "notifications.deliver")
    assert result.ok, result.error
    return result.summary


def featured_item(db, title: str = "Our new plant", featured: bool = True):
    return content.create_item(db, Actor(user_id=None), content.ItemInput(
        url="https://www.acme.example/news/plant", title=title,
        summary="It opens in June.", featured=featured))


def publish(db, item) -> None:
    curator = UserFactory(role=Role.CURATOR)
    content.publish(db, Actor(user_id=curator.id), curator, item)


# --- delivery ---------------------------------------------------------------------------------


def test_a_delivery_is_signed_and_sent_once(app, db, receiver):
    hook = endpoint(db, receiver.url)
    webhooks.send_test(db, admin(db), hook, now=NOW)
    db.flush()
    assert run(app, NOW) == {"sent": 1, "retry": 0, "failed": 0}
    assert run(app, NOW + timedelta(minutes=1)) == {"sent": 0, "retry": 0, "failed": 0}
    assert len(receiver.requests) == 1

    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    message = deliveries(db)[0]
    assert headers["X-Relais-Delivery"] == message.key
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Relais-Timestamp"] == str(int(NOW.timestamp()))
    # the receiver's check: HMAC-SHA256(secret, timestamp + "." + body)
    verify(webhooks.secret_of(hook), headers["X-Relais-Timestamp"],
           headers["X-Relais-Signature"], body, now=NOW, max_skew=300)
    with pytest.raises(Exception, match="signature"):
        verify("another secret", headers["X-Relais-Timestamp"], headers["X-Relais-Signature"],
               body, now=NOW, max_skew=300)
    assert json.loads(body)["event"] == "test"
    db.expire_all()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
    assert db.get(WebhookEndpoint, hook.id).last_success_at == NOW


def test_receiver_down_then_up(app, db):
    port = free_port()
    hook = endpoint(db, f"http://127.0.0.1:{port}/hook")
    webhooks.send_test(db, admin(db), hook, now=NOW)
    db.flush()
    assert run(app, NOW)["retry"] == 1
    message = deliveries(db)[0]
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    assert message.last_error.startswith("unreachable")
    assert db.get(WebhookEndpoint, hook.id).last_error == message.last_error

    receiver = Receiver(port)
    try:
        assert run(app, NOW + timedelta(seconds=30))["sent"] == 0  # backing off
        assert run(app, NOW + timedelta(minutes=1))["sent"] == 1
        assert run(app, NOW + timedelta(minutes=2))["sent"] == 0
        assert len(receiver.requests) == 1
    finally:
        receiver.stop()
    db.expire_all()
    assert db.get(WebhookEndpoint, hook.id).last_error == ""


def test_a_server_error_is_retried_with_the_same_delivery_key(app, db, receiver):
    hook = endpoint(db, receiver.url)
    webhooks.send_test(db, admin(db), hook, now=NOW)
    db.flush()
    receiver.statuses = [500, 503]
    assert run(app, NOW)["retry"] == 1
    assert deliveries(db)[0].last_error == "http_500: HTTP 500"
    assert run(app, NOW + timedelta(minutes=1))["retry"] == 1
    assert run(app, NOW + timedelta(minutes=3))["sent"] == 1
    keys = {r["headers"]["X-Relais-Delivery"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(keys) == 1
    assert deliveries(db)[0].attempts == 3


def test_a_redirect_is_a_failed_delivery_and_not_followed(app, db, receiver):
    hook = endpoint(db, receiver.url)
    webhooks.send_test(db, admin(db), hook, now=NOW)
    db.flush()
    receiver.statuses = [302]
    assert run(app, NOW)["retry"] == 1
    assert deliveries(db)[0].last_error == "http_302: redirect not followed"
    assert [r["path"] for r in receiver.requests] == ["/hook"]


def test_given_up_after_max_attempts(app, db, receiver, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    hook = endpoint(db, receiver.url)
    webhooks.send_test(db, admin(db), hook, now=NOW)
    db.flush()
    receiver.statuses = [500, 500, 500]
    assert run(app, NOW)["retry"] == 1
    assert run(app, NOW + timedelta(minutes=1))["failed"] == 1
    assert run(app, NOW + timedelta(days=2)) == {"sent": 0, "retry": 0, "failed": 0}
    message = deliveries(db)[0]
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 2)
    assert len(receiver.requests) == 2


def test_a_deactivated_endpoint_gets_nothing(app, db, receiver):
    hook = endpoint(db, receiver.url)
    webhooks.send_test(db, admin(db), hook, now=NOW)
    webhooks.set_active(db, admin(db), hook, False)
    db.flush()
    assert run(app, NOW)["failed"] == 1
    assert deliveries(db)[0].last_error == outbox.ENDPOINT_INACTIVE
    assert receiver.requests == []


def test_the_address_is_checked_again_at_delivery(app, db, receiver, monkeypatch):
    hook = endpoint(db, receiver.url)
    webhooks.send_test(db, admin(db), hook, now=NOW)
    db.flush()
    monkeypatch.setitem(app.config, "FETCH_ALLOW_LOOPBACK", False)
    assert run(app, NOW)["retry"] == 1
    assert deliveries(db)[0].last_error.startswith("blocked_address")
    assert receiver.requests == []


# --- bodies per flavour -----------------------------------------------------------------------


ANNOUNCEMENT = webhooks.Announcement(
    ref="content:1", title="Launch <today> & more", text="Read it", url="https://r.test/x",
    facts=[("Winners", "3")], data={"item": {"id": 1}})


def test_slack_body():
    body = webhooks.render(WebhookFlavour.SLACK, "content.featured", ANNOUNCEMENT, "k", NOW)
    assert body["text"] == "Launch <today> & more: Read it"
    assert body["blocks"][0] == {"type": "section", "text": {
        "type": "mrkdwn",
        "text": "*<https://r.test/x|Launch &lt;today&gt; &amp; more>*\nRead it"}}
    assert body["blocks"][1]["fields"] == [{"type": "mrkdwn", "text": "*Winners*\n3"}]


def test_teams_body_is_an_adaptive_card_message(app):
    body = webhooks.render(WebhookFlavour.TEAMS, "content.featured", ANNOUNCEMENT, "k", NOW)
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["body"][0]["text"] == "Launch <today> & more"
    assert card["body"][2] == {"type": "FactSet", "facts": [{"title": "Winners",
                                                            "value": "3"}]}
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open in Relais",
                                "url": "https://r.test/x"}]


def test_json_body():
    body = webhooks.render(WebhookFlavour.JSON, "content.featured", ANNOUNCEMENT, "key-1", NOW)
    assert body == {"event": "content.featured", "id": "key-1",
                    "occurred_at": NOW.isoformat(), "data": {"item": {"id": 1}}}


# --- the events -------------------------------------------------------------------------------


def test_a_featured_publication_is_announced_once_per_subscribed_endpoint(app, db, receiver):
    slack = endpoint(db, receiver.url, flavour="slack", name="Slack")
    teams = endpoint(db, receiver.url, flavour="teams", name="Teams")
    endpoint(db, receiver.url, events=["challenge.results"], name="Challenges only")
    endpoint(db, receiver.url, active=False, name="Off")
    plain = featured_item(db, "Plain news", featured=False)
    publish(db, plain)
    assert deliveries(db) == []

    item = featured_item(db)
    publish(db, item)
    rows = deliveries(db)
    assert sorted(m.endpoint_id for m in rows) == sorted([slack.id, teams.id])
    assert all(m.key.startswith(f"webhook:content.featured:content:{item.id}:") for m in rows)
    slack_body = next(m.payload for m in rows if m.endpoint_id == slack.id)
    assert "Our new plant" in slack_body["text"] and "It opens in June." in slack_body["text"]
    assert f"http://relais.test/share/{item.id}" in slack_body["blocks"][0]["text"]["text"]

    # published again later (expired, then republished): announced once all the same
    assert webhooks.content_featured(db, item) == 0
    assert len(deliveries(db)) == 2
    assert run(app, datetime.now(UTC)) == {"sent": 2, "retry": 0, "failed": 0}
    assert len(receiver.requests) == 2


def test_a_scheduled_featured_item_is_announced_by_the_publication_job(app, db, receiver):
    hook = endpoint(db, receiver.url)
    item = featured_item(db)
    item.status, item.publish_at = ContentStatus.SCHEDULED, NOW - timedelta(minutes=1)
    db.flush()
    assert content.publish_due(db, NOW) == 1
    [message] = deliveries(db, hook.id)
    data = message.payload["data"]["item"]
    assert message.payload["event"] == "content.featured"
    assert (data["id"], data["title"], data["summary"]) == (item.id, "Our new plant",
                                                           "It opens in June.")
    assert data["url"] == f"http://relais.test/share/{item.id}"


def test_nothing_is_queued_without_listeners(app, db):
    publish(db, featured_item(db))
    assert deliveries(db) == []


def test_challenge_results_are_announced_with_counts_and_first_names(app, db, receiver):
    hook = endpoint(db, receiver.url)
    ch = challenge(db, title="June sprint", target=3, mode=ChallengeMode.EACH,
                   starts_at=NOW - timedelta(days=7), ends_at=NOW - timedelta(hours=1),
                   now=NOW - timedelta(days=8))
    ann = UserFactory(name="Ann Archer")
    bob = UserFactory(name="Bob Baker")
    cid = UserFactory(name="Cid Cole")
    hidden = UserFactory(name="Hidden Person")
    opt_out(db, hidden)
    for person, value in ((hidden, 9), (ann, 5), (bob, 3), (cid, 1)):
        progress_row(db, ch, person, value)

    close_due(db, NOW)
    [message] = deliveries(db, hook.id)
    data = message.payload["data"]["challenge"]
    assert data == {"id": ch.id, "title": "June sprint", "mode": "each", "target": 3,
                    "total": 18, "target_reached": True, "winners": 3,
                    "top_first_names": ["Ann", "Bob", "Cid"],
                    "url": f"http://relais.test/challenges/{ch.id}"}
    assert "Archer" not in json.dumps(message.payload) and "Hidden" not in json.dumps(
        message.payload)
    close_due(db, NOW + timedelta(hours=1))  # already closed: nothing more
    assert len(deliveries(db, hook.id)) == 1


def test_anonymous_boards_send_no_names(app, db, receiver):
    board_settings(db, anonymous=True)
    hook = endpoint(db, receiver.url, flavour="slack")
    ch = challenge(db, target=2, starts_at=NOW - timedelta(days=7),
                   ends_at=NOW - timedelta(hours=1), now=NOW - timedelta(days=8))
    progress_row(db, ch, UserFactory(name="Ann Archer"), 4)
    close_due(db, NOW)
    [message] = deliveries(db, hook.id)
    text = json.dumps(message.payload)
    assert "Ann" not in text and "A. A." not in text
    assert "1 winner" in message.payload["text"]


# --- admin pages --------------------------------------------------------------------------


def form(**changes) -> dict:
    data = {"name": "Comms channel", "url": "http://127.0.0.1:9/hook", "flavour": "slack",
            "events": ["content.featured", "challenge.results"], "active": "y"}
    data.update(changes)
    return data


@pytest.mark.parametrize("role", ["employee", "manager", "curator"])
def test_only_admins_reach_the_pages(client, auth, db, role):
    hook = endpoint(db, "http://127.0.0.1:9/hook")
    auth.as_role(role)
    base = f"{ADMIN_URL}/{hook.id}"
    assert client.get(ADMIN_URL).status_code == 403
    assert client.get(ADMIN_URL + "/new").status_code == 403
    assert client.post(ADMIN_URL + "/new", data=form()).status_code == 403
    assert client.get(base).status_code == 403
    assert client.post(base, data=form()).status_code == 403
    for action in ("active", "test", "rotate", "delete"):
        assert client.post(f"{base}/{action}").status_code == 403
    assert db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 1
    assert deliveries(db) == []


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    for url in (ADMIN_URL, ADMIN_URL + "/new", ADMIN_URL + "/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(ADMIN_URL + "/1/delete")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_admin_adds_edits_tests_deactivates_and_deletes(client, auth, db):
    auth.as_role("admin")
    assert client.get(ADMIN_URL).status_code == 200
    assert client.get(ADMIN_URL + "/new").status_code == 200
    response = client.post(ADMIN_URL + "/new", data=form())
    assert response.status_code == 302
    hook = db.scalar(select(WebhookEndpoint))
    assert (hook.name, hook.flavour, hook.events, hook.active) == (
        "Comms channel", WebhookFlavour.SLACK, ["content.featured", "challenge.results"], True)
    secret = webhooks.secret_of(hook)
    assert secret.startswith("whsec_") and len(secret) > 40

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert secret in page and "Comms channel" in page and "Nothing delivered yet." in page
    assert "Comms channel" in client.get(ADMIN_URL).get_data(as_text=True)

    response = client.post(f"{ADMIN_URL}/{hook.id}", data=form(
        name="Teams room", flavour="teams", events=["challenge.results"]))
    assert response.status_code == 302
    db.expire_all()
    assert (hook.name, hook.flavour, hook.events) == ("Teams room", WebhookFlavour.TEAMS,
                                                      ["challenge.results"])

    response = client.post(f"{ADMIN_URL}/{hook.id}/test", follow_redirects=True)
    assert "Test message queued" in response.get_data(as_text=True)
    [message] = deliveries(db)
    assert message.payload["type"] == "message"  # Teams
    page = client.get(f"{ADMIN_URL}/{hook.id}").get_data(as_text=True)
    assert message.key in page and "pending" in page

    client.post(f"{ADMIN_URL}/{hook.id}/rotate")
    db.expire_all()
    assert webhooks.secret_of(hook) != secret

    client.post(f"{ADMIN_URL}/{hook.id}/active", data={"active": "0"})
    db.expire_all()
    assert hook.active is False
    response = client.post(f"{ADMIN_URL}/{hook.id}/test", follow_redirects=True)
    assert "Activate the endpoint" in response.get_data(as_text=True)
    assert len(deliveries(db)) == 1

    assert client.post(f"{ADMIN_URL}/{hook.id}/delete").status_code == 302
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
    assert deliveries(db) == []  # the log goes with it (ON DELETE CASCADE)
    actions = set(db.scalars(select(AuditEvent.action)
                             .where(AuditEvent.action.like("notifications.webhook%"))))
    assert actions == {"notifications.webhook_added", "notifications.webhook_updated",
                       "notifications.webhook_test", "notifications.webhook_secret_rotated",
                       "notifications.webhook_deactivated", "notifications.webhook_deleted"}


@pytest.mark.parametrize("url, message", [
    ("http://10.0.0.5/hook", "private or reserved network"),
    ("http://169.254.169.254/latest/meta-data", "private or reserved network"),
    ("http://192.168.1.20:8080/hook", "private or reserved network"),
    ("ftp://example.com/hook", "Only http:// and https://"),
    ("http://user:pw@example.com/hook", "user name or password"),
])
def test_a_private_or_bad_address_is_refused_with_a_clear_message(client, auth, db, url,
                                                                   message):
    auth.as_role("admin")
    response = client.post(ADMIN_URL + "/new", data=form(url=url))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_loopback_is_refused_unless_allowed(client, auth, db, app, monkeypatch):
    auth.as_role("admin")
    monkeypatch.setitem(app.config, "FETCH_ALLOW_LOOPBACK", False)
    response = client.post(ADMIN_URL + "/new", data=form())
    assert response.status_code == 422 and "private or reserved" in response.get_data(
        as_text=True)


def test_an_edit_to_a_private_address_is_refused(client, auth, db):
    hook = endpoint(db, "http://127.0.0.1:9/hook")
    auth.as_role("admin")
    response = client.post(f"{ADMIN_URL}/{hook.id}", data=form(url="http://10.1.2.3/"))
    assert response.status_code == 422
    db.expire_all()
    assert db.get(WebhookEndpoint, hook.id).url == "http://127.0.0.1:9/hook"


def test_unknown_endpoints_are_404(client, auth, db):
    auth.as_role("admin")
    assert client.get(ADMIN_URL + "/999999").status_code == 404
    assert client.post(ADMIN_URL + "/999999/delete").status_code == 404


def test_forms_and_buttons_need_the_csrf_token(csrf_app, db):
    client = csrf_app.test_client()
    hook = endpoint(db, "http://127.0.0.1:9/hook")
    Auth(client, db).as_role("admin")
    assert client.post(ADMIN_URL + "/new", data=form()).status_code in (400, 422)
    for action in ("active", "test", "rotate", "delete"):
        assert client.post(f"{ADMIN_URL}/{hook.id}/{action}").status_code == 400
    assert db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 1
    assert deliveries(db) == []


def test_the_admin_menu_links_to_the_page(client, auth):
    auth.as_role("admin")
    assert f'href="{ADMIN_URL}"' in client.get("/").get_data(as_text=True)


def test_no_write_lock_is_held_while_waiting_on_a_receiver(tmp_path):
    """SQLite: the job commits the claim before calling out, so another writer (a web
    request) can write while the receiver takes its time."""
    import sqlite3

    from app.db import Base, Database, commit
    from app.models import import_all_models
    from app.sharing import crypto

    import_all_models()
    path = tmp_path / "lock.db"
    database = Database(f"sqlite:///{path}", busy_timeout_ms=200)
    Base.metadata.create_all(database.engine)
    config = {"SECRET_KEY": "s" * 40, "ENV": "test"}
    writes: list[bool] = []

    receiver = Receiver()

    def check_lock() -> None:  # runs in the receiver's thread, during the POST
        other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            writes.append(True)
        except sqlite3.OperationalError:
            writes.append(False)
        finally:
            other.close()

    original = _Handler.do_POST

    def do_post(handler):
        check_lock()
        original(handler)

    try:
        _Handler.do_POST = do_post
        with database.unit_of_work() as session:
            hook = WebhookEndpoint(name="x", url=receiver.url, flavour=WebhookFlavour.JSON,
                                   events=[], active=True, last_error="",
                                   secret_encrypted=crypto.encrypt("k", config))
            session.add(hook)
            session.flush()
            for n in range(2):
                outbox.enqueue_webhook(session, endpoint_id=hook.id, key=f"k{n}",
                                       payload={"n": n}, now=NOW)
        session = database.new_session(write=True)
        try:
            counts = outbox.deliver_due(
                session, NOW, mailer=None, config=config, commit=lambda: commit(session),
                fetch_policy=outbox.webhook_policy({"FETCH_ALLOW_LOOPBACK": True}))
            commit(session)
        finally:
            session.close()
    finally:
        _Handler.do_POST = original
        receiver.stop()
        database.dispose()
    assert counts == {"sent": 2, "retry": 0, "failed": 0}
    assert writes == [True, True]


def test_the_delivery_log_explains_failures(app, client, auth, db, receiver):
    hook = endpoint(db, receiver.url)
    webhooks.send_test(db, admin(db), hook, now=NOW)
    db.flush()
    receiver.statuses = [500]
    run(app, NOW)
    auth.as_role("admin")
    page = client.get(f"{ADMIN_URL}/{hook.id}").get_data(as_text=True)
    assert "The receiver answered HTTP 500." in page and "pending" in page
    listing = client.get(ADMIN_URL).get_data(as_text=True)
    assert "Failing: The receiver answered HTTP 500." in listing


@pytest.mark.parametrize("stored, shown", [
    ("http_503: HTTP 503", "The receiver answered HTTP 503."),
    ("http_301: redirect not followed",
     "The receiver answered HTTP 301, a redirect: redirects are not followed."),
    ("unreachable: The site could not be reached.", "The receiver could not be reached."),
    ("blocked_address: …", "This address points to a private or reserved network"),
    (outbox.ENDPOINT_INACTIVE, "The endpoint is inactive."),
    ("something new", "something new"),
    ("", ""),
])
def test_error_text(app, stored, shown):
    assert webhooks.error_text(stored).startswith(shown)
