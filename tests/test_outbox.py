"""The outbox (app/notifications/outbox.py) and its job "notifications.deliver", e-mail
side, against the real local SMTP server (the ``mail`` fixture) and a closed port.

Queueing is idempotent per key; a message is delivered once, retried with an exponential
backoff while the server is down, and given up after OUTBOX_MAX_ATTEMPTS attempts. The job
runs twice and the second run changes nothing (DESIGN.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.common.fetcher import FetchPolicy
from app.common.mail import Email, Mailer
from app.jobs import REGISTRY
from app.jobs.models import JobStatus
from app.jobs.runner import run_job
from app.notifications import outbox
from app.notifications.models import OutboxChannel, OutboxMessage, OutboxStatus
from tests.conftest import free_port

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
POLICY = FetchPolicy(timeout=2, allow_loopback=True)


def closed_mailer() -> Mailer:
    """SMTP pointed at a port nobody listens on: every connection is refused."""
    return Mailer(server="127.0.0.1", port=free_port(), timeout=2,
                  sender="Relais <relais@acme.test>")


def email(to: str = "ann@acme.test", **extra) -> Email:
    return Email(to=to, subject="Hello", text="Plain body", html="<p>HTML body</p>", **extra)


def message(db, key: str) -> OutboxMessage:
    db.expire_all()
    return db.scalar(select(OutboxMessage).where(OutboxMessage.key == key))


def deliver(db, now, mailer, **kwargs) -> dict:
    return outbox.deliver_due(db, now, mailer=mailer, fetch_policy=POLICY, **kwargs)


# --- queueing ---------------------------------------------------------------------------------


def test_enqueue_is_idempotent_per_key(db):
    assert outbox.enqueue_email(db, email(), key="welcome:1", now=NOW) is True
    assert outbox.enqueue_email(db, email(to="other@acme.test"), key="welcome:1",
                                now=NOW) is False
    assert outbox.enqueue_email(db, email(), key="welcome:2", now=NOW) is True
    rows = db.scalars(select(OutboxMessage).order_by(OutboxMessage.key)).all()
    assert [(m.key, m.channel, m.status, m.attempts) for m in rows] == [
        ("welcome:1", OutboxChannel.EMAIL, OutboxStatus.PENDING, 0),
        ("welcome:2", OutboxChannel.EMAIL, OutboxStatus.PENDING, 0)]
    assert rows[0].payload["to"] == "ann@acme.test"  # the first one stays
    assert rows[0].next_attempt_at == NOW and rows[0].created_at == NOW


def test_every_email_field_is_kept(db):
    outbox.enqueue_email(db, email(headers={"List-Unsubscribe": "<https://x.test/u>"}),
                         key="k", now=NOW)
    assert message(db, "k").payload == {
        "to": "ann@acme.test", "subject": "Hello", "text": "Plain body",
        "html": "<p>HTML body</p>", "headers": {"List-Unsubscribe": "<https://x.test/u>"}}


def test_a_bad_key_or_payload_fails_in_the_caller(db):
    with pytest.raises(ValueError):
        outbox.enqueue_email(db, email(), key="")
    with pytest.raises(ValueError):
        outbox.enqueue_email(db, email(), key="x" * 201)
    with pytest.raises(TypeError):
        outbox.enqueue_webhook(db, endpoint_id=1, key="w", payload={"when": NOW})


def test_enqueue_rolls_back_with_the_caller(db):
    savepoint = db.begin_nested()
    outbox.enqueue_email(db, email(), key="gone", now=NOW)
    savepoint.rollback()
    assert message(db, "gone") is None
    assert outbox.enqueue_email(db, email(), key="gone", now=NOW) is True


def test_backoff_doubles_from_one_minute_up_to_six_hours():
    minutes = [outbox.backoff(n).total_seconds() / 60 for n in range(1, 13)]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360]
    assert outbox.backoff(500) == timedelta(hours=6)


# --- delivering e-mails -----------------------------------------------------------------------


def test_smtp_down_then_up_delivers_exactly_once(db, mail, mailer):
    outbox.enqueue_email(db, email(headers={"X-Test": "yes"}), key="m1", now=NOW)

    assert deliver(db, NOW, closed_mailer()) == {"sent": 0, "retry": 1, "failed": 0}
    m = message(db, "m1")
    assert (m.status, m.attempts, m.next_attempt_at) == (
        OutboxStatus.PENDING, 1, NOW + timedelta(minutes=1))
    assert m.last_error.startswith("ConnectionRefusedError")
    assert m.sent_at is None
    # not due yet: nothing is tried
    assert deliver(db, NOW + timedelta(seconds=30), mailer) == {"sent": 0, "retry": 0,
                                                                "failed": 0}
    assert deliver(db, NOW + timedelta(minutes=1), closed_mailer())["retry"] == 1
    assert message(db, "m1").next_attempt_at == NOW + timedelta(minutes=3)  # +2 min

    later = NOW + timedelta(minutes=3)
    assert deliver(db, later, mailer) == {"sent": 1, "retry": 0, "failed": 0}
    m = message(db, "m1")
    assert (m.status, m.attempts, m.sent_at, m.last_error) == (OutboxStatus.SENT, 3, later, "")
    received = mail.wait_for("ann@acme.test")
    assert received["Subject"] == "Hello" and received["X-Test"] == "yes"
    assert received.get_body(preferencelist=("plain",)).get_content().strip() == "Plain body"
    assert received.get_body(preferencelist=("html",)) is not None

    assert deliver(db, later + timedelta(hours=1), mailer)["sent"] == 0
    assert len(mail.to("ann@acme.test")) == 1


def test_emails_share_one_connection_and_are_marked_one_by_one(db, mail, mailer):
    for n in range(3):
        outbox.enqueue_email(db, email(to=f"p{n}@acme.test"), key=f"batch:{n}", now=NOW)
    assert deliver(db, NOW, mailer, batch=2) == {"sent": 2, "retry": 0, "failed": 0}
    statuses = {n: message(db, f"batch:{n}").status for n in range(3)}
    assert statuses == {0: OutboxStatus.SENT, 1: OutboxStatus.SENT, 2: OutboxStatus.PENDING}
    assert deliver(db, NOW, mailer)["sent"] == 1  # the rest on the next run
    for n in range(3):
        mail.wait_for(f"p{n}@acme.test")
    assert len(mail.messages) == 3


def test_given_up_after_max_attempts(db):
    outbox.enqueue_email(db, email(), key="doomed", now=NOW)
    when = NOW
    for attempt in range(1, 4):
        counts = deliver(db, when, closed_mailer(), max_attempts=3)
        m = message(db, "doomed")
        assert m.attempts == attempt
        if attempt < 3:
            assert counts["retry"] == 1 and m.status == OutboxStatus.PENDING
            when = m.next_attempt_at
        else:
            assert counts["failed"] == 1 and m.status == OutboxStatus.FAILED
    assert deliver(db, when + timedelta(days=7), closed_mailer(), max_attempts=3) == {
        "sent": 0, "retry": 0, "failed": 0}


def test_a_claimed_message_is_left_to_its_run(db, mailer, mail):
    """A run that died after claiming: its messages come back after the lease, not before
    (two runs at once never take the same message)."""
    outbox.enqueue_email(db, email(), key="claimed", now=NOW)
    assert len(outbox._claim(db, NOW, 10)) == 1
    assert deliver(db, NOW + timedelta(minutes=5), mailer)["sent"] == 0
    assert deliver(db, NOW + outbox.CLAIM_LEASE, mailer)["sent"] == 1
    assert message(db, "claimed").attempts == 2
    mail.wait_for("ann@acme.test")


def test_send_each_reports_per_message(mailer, mail):
    assert mailer.send_each([email(to="a@acme.test"), email(to="b@acme.test")]) == [None, None]
    mail.wait_for("b@acme.test")
    errors = closed_mailer().send_each([email(), email()])
    assert len(errors) == 2 and all(isinstance(e, ConnectionRefusedError) for e in errors)
    assert Mailer(server="").send_each([email()]) == [None]  # the console mailer
    assert mailer.send_each([]) == []


# --- the job --------------------------------------------------------------------------------


def test_the_job_is_declared_every_minute():
    spec = REGISTRY["notifications.deliver"]
    assert spec.trigger == {"trigger": "interval", "minutes": 1}
    assert spec.scheduler_options()["coalesce"] is True and spec.misfire_grace_time > 0


def test_the_job_delivers_once_and_twice_changes_nothing(app, db, mail):
    outbox.enqueue_email(db, email(to="job@acme.test"), key="job:1", now=NOW)
    db.flush()
    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        first = run_job(app, "notifications.deliver")
    assert first.status == JobStatus.OK, first.error
    assert first.summary == {"sent": 1, "retry": 0, "failed": 0}
    mail.wait_for("job@acme.test")
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        second = run_job(app, "notifications.deliver")
    assert second.summary == {"sent": 0, "retry": 0, "failed": 0}
    assert message(db, "job:1").status == OutboxStatus.SENT
    assert len(mail.to("job@acme.test")) == 1


def test_the_job_retries_while_smtp_is_down(app, db, mail, monkeypatch):
    outbox.enqueue_email(db, email(to="down@acme.test"), key="job:down", now=NOW)
    db.flush()
    up = app.extensions["relais_mailer"]
    monkeypatch.setitem(app.extensions, "relais_mailer", closed_mailer())
    with time_machine.travel(NOW, tick=False):
        assert run_job(app, "notifications.deliver").summary["retry"] == 1
        assert run_job(app, "notifications.deliver").summary["retry"] == 0  # backing off
    m = message(db, "job:down")
    assert (m.status, m.attempts) == (OutboxStatus.PENDING, 1)
    monkeypatch.setitem(app.extensions, "relais_mailer", up)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert run_job(app, "notifications.deliver").summary["sent"] == 1
        assert run_job(app, "notifications.deliver").summary["sent"] == 0
    assert len(mail.to("down@acme.test")) == 1
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_job_reads_its_settings(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 1)
    monkeypatch.setitem(app.extensions, "relais_mailer", closed_mailer())
    outbox.enqueue_email(db, email(), key="job:once", now=NOW)
    db.flush()
    with time_machine.travel(NOW, tick=False):
        assert run_job(app, "notifications.deliver").summary == {"sent": 0, "retry": 0,
                                                                  "failed": 1}
    assert message(db, "job:once").status == OutboxStatus.FAILED


# --- e-mails someone waits for on screen (send_soon) -------------------------------------------


def test_a_password_reset_mail_goes_out_right_after_the_commit(app, client, db, mail):
    """Invitations, resets and answers go through the outbox too, but are sent at once."""
    from tests.factories import UserFactory

    UserFactory(email="soon@acme.example")
    db.flush()
    assert client.post("/forgot-password", data={"email": "soon@acme.example"}).status_code == 302
    assert mail.wait_for("soon@acme.example")  # before the delivery job ever ran
    sent = db.scalars(select(OutboxMessage)).all()
    assert [(m.status, m.attempts) for m in sent] == [(OutboxStatus.SENT, 1)]
    # the delivery job finds nothing left to send
    assert run_job(app, "notifications.deliver").summary["sent"] == 0
    assert len(mail.to("soon@acme.example")) == 1


def test_with_the_mail_server_down_the_reset_mail_waits_for_the_job(
        app, client, db, mail, monkeypatch):
    from tests.factories import UserFactory

    UserFactory(email="later@acme.example")
    db.flush()
    up = app.extensions["relais_mailer"]
    monkeypatch.setitem(app.extensions, "relais_mailer", closed_mailer())
    response = client.post("/forgot-password", data={"email": "later@acme.example"})
    assert response.status_code == 302  # the person is not told about our mail server
    db.expire_all()
    waiting = db.scalar(select(OutboxMessage))
    assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 1)
    assert waiting.last_error and not mail.to("later@acme.example")
    monkeypatch.setitem(app.extensions, "relais_mailer", up)
    with time_machine.travel(waiting.next_attempt_at + timedelta(seconds=1), tick=False):
        assert run_job(app, "notifications.deliver").summary["sent"] == 1
    assert mail.wait_for("later@acme.example")


def test_a_rolled_back_change_sends_nothing(app, db, mail, mailer):
    outbox.send_soon(db, [email(to="never@acme.test")], mailer=mailer)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert not mail.to("never@acme.test")
