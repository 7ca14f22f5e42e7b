"""The "training.reminders" job: one email per person × course × window (7 days before,
1 day before, overdue), in the person's language (plain text and HTML), after the commit;
nothing for people who passed, left the audience or are deactivated. DESIGN.md: the job
runs twice and the second run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.accounts.models import UserStatus
from app.jobs import REGISTRY
from app.jobs.models import JobStatus
from app.jobs.runner import run_job
from app.training import services
from app.training.models import ReminderSent
from app.training.reminders import OVERDUE, window_for
from tests.factories import GroupFactory, UserFactory
from tests.factories_training import ACTOR, make_course, pass_course

NOW = datetime(2026, 6, 15, 7, 15, tzinfo=UTC)


def sent(db) -> list[tuple[int, str]]:
    db.expire_all()
    return sorted((r.user_id, r.window) for r in db.scalars(select(ReminderSent)))


def test_the_job_is_declared_daily():
    spec = REGISTRY["training.reminders"]
    assert spec.trigger == {"trigger": "cron", "hour": 7, "minute": 15}
    assert spec.scheduler_options()["coalesce"] is True and spec.misfire_grace_time > 0


def test_windows():
    due = NOW.date() + timedelta(days=10)
    days = (7, 1)
    assert window_for(due, NOW.date(), days) is None
    assert window_for(due, due - timedelta(days=7), days) == "7d"
    assert window_for(due, due - timedelta(days=2), days) == "7d"
    assert window_for(due, due - timedelta(days=1), days) == "1d"
    assert window_for(due, due, days) == "1d"
    assert window_for(due, due + timedelta(days=1), days) == OVERDUE


def test_reminders_once_per_window_in_each_language(app, db, mail):
    due = NOW.date() + timedelta(days=5)
    english = UserFactory(email="ann@acme.example", name="Ann", language="en")
    french = UserFactory(email="bea@acme.example", name="Béa", language="fr")
    done = UserFactory(email="done@acme.example")
    gone = UserFactory(email="gone@acme.example", status=UserStatus.DEACTIVATED)
    course = make_course(db, title="Policy course", due_on=due, questions=2)
    copy = services.translate_course(db, ACTOR, course, "fr")
    copy.title = "Cours sur la charte"
    services.publish_course(db, ACTOR, copy)
    pass_course(db, done, course)
    db.flush()

    with time_machine.travel(NOW, tick=False):
        first = run_job(app, "training.reminders")
        deliver(app)
    assert first.status == JobStatus.OK, first.error
    assert first.summary == {"courses": 1, "sent": 2}
    key = f"7d:{due.isoformat()}"
    assert sent(db) == sorted([(english.id, key), (french.id, key)])
    message = mail.wait_for("ann@acme.example")
    assert message["Subject"] == "Training due soon: Policy course"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "is due in 5 days" in text
    assert f"http://relais.test/training/courses/{course.id}" in text
    assert message.get_body(preferencelist=("html",)) is not None
    # the notification footer: preferences, and an unsubscribe from reminders
    assert "http://relais.test/settings/notifications" in text
    assert message["List-Unsubscribe"].startswith("<http://relais.test/unsubscribe/")
    french_mail = mail.wait_for("bea@acme.example")
    assert "Cours sur la charte" in french_mail["Subject"]
    assert f"/training/courses/{copy.id}" in \
        french_mail.get_body(preferencelist=("plain",)).get_content()
    assert not mail.to("done@acme.example") and not mail.to(gone.email)

    mail.clear()
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        second = run_job(app, "training.reminders")
        deliver(app)
    assert second.status == JobStatus.OK and second.summary == {"courses": 1, "sent": 0}
    assert sent(db) == sorted([(english.id, key), (french.id, key)])
    assert mail.messages == []

    # the next window, then overdue: once each
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        assert run_job(app, "training.reminders").summary["sent"] == 2
        assert run_job(app, "training.reminders").summary["sent"] == 0
    with time_machine.travel(NOW + timedelta(days=6), tick=False):
        assert run_job(app, "training.reminders").summary["sent"] == 2
        assert run_job(app, "training.reminders").summary["sent"] == 0
        deliver(app)
    overdue = mail.wait_for("ann@acme.example")
    assert overdue["Subject"] == "Overdue training: Policy course"
    assert [w for uid, w in sent(db) if uid == english.id] == [
        f"1d:{due.isoformat()}", f"7d:{due.isoformat()}", f"overdue:{due.isoformat()}"]


def deliver(app) -> None:
    """The outbox's delivery job: reminders are queued, then sent by it."""
    run = run_job(app, "notifications.deliver")
    assert run.status == JobStatus.OK, run.error


def test_moving_the_due_date_opens_new_windows(app, db, mail):
    person = UserFactory(email="cal@acme.example")
    course = make_course(db, due_on=NOW.date() + timedelta(days=3))
    with time_machine.travel(NOW, tick=False):
        assert run_job(app, "training.reminders").summary["sent"] == 1
        course.due_on = NOW.date() + timedelta(days=6)
        db.flush()
        assert run_job(app, "training.reminders").summary["sent"] == 1
    assert len(sent(db)) == 2 and all(uid == person.id for uid, _w in sent(db))


def test_no_reminders_outside_the_audience_or_without_a_due_date(app, db, mail):
    group = GroupFactory()
    member = UserFactory(email="member@acme.example")
    member.groups = [group]
    UserFactory(email="outsider@acme.example")
    make_course(db, title="Group course", group_ids=[group.id],
                due_on=NOW.date() + timedelta(days=1))
    make_course(db, title="No due date")
    make_course(db, title="Draft", publish=False, due_on=NOW.date())
    with time_machine.travel(NOW, tick=False):
        result = run_job(app, "training.reminders")
        deliver(app)
    assert result.summary == {"courses": 1, "sent": 1}
    assert [uid for uid, _w in sent(db)] == [member.id]
    assert mail.wait_for("member@acme.example")["Subject"] == "Training due soon: Group course"
    assert "due in 1 day," in mail.wait_for("member@acme.example").get_body(
        preferencelist=("plain",)).get_content()
    assert not mail.to("outsider@acme.example")
