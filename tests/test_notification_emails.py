"""Notification e-mails: the preferences page (every role), notice e-mails (badges, levels,
challenges) as the preferences allow, in the person's language, text and HTML, with the
footer and the RFC 8058 headers; the unsubscribe link end to end (page, button with its
CSRF token, one-click POST without one, tampered tokens); the challenge-start notice once;
training reminders respect the "reminders" preference. Real mail through the outbox job to
the local SMTP server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.accounts.models import Role, UserStatus
from app.jobs.models import JobStatus
from app.jobs.runner import run_job
from app.notifications import preferences
from app.notifications.emails import read_unsubscribe_token, unsubscribe_token
from app.notifications.models import (
    DigestFrequency,
    Notice,
    NotificationPreferences,
    OutboxMessage,
)
from app.notifications.services import notify
from tests.conftest import Auth
from tests.factories import GroupFactory, UserFactory
from tests.factories_boards import challenge

BADGE = {"badge_id": 1, "emoji": "🏅", "name_en": "First share", "name_fr": "Premier partage"}


def deliver(app) -> None:
    run = run_job(app, "notifications.deliver")
    assert run.status == JobStatus.OK, run.error


def plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def unsubscribe_url(message) -> str:
    header = str(message["List-Unsubscribe"]).strip()  # long: folded on its own line
    assert header.startswith("<http://relais.test/unsubscribe/") and header.endswith(">")
    return header[1:-1]


def prefs_row(db, user) -> NotificationPreferences | None:
    db.expire_all()
    return db.scalar(select(NotificationPreferences)
                     .where(NotificationPreferences.user_id == user.id))


def outbox_keys(db) -> list[str]:
    db.expire_all()
    return sorted(db.scalars(select(OutboxMessage.key)))


# --- preferences page ----------------------------------------------------------------------


def test_the_preferences_page_needs_a_sign_in(client):
    response = client.get("/settings/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/settings/notifications", data={"digest": "daily"}).status_code == 302


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_defaults_and_saves_its_preferences(client, db, auth, role):
    user = auth.as_role(role)
    page = client.get("/settings/notifications")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="weekly"', body)
    assert not re.search(r'<input checked[^>]*value="daily"', body)
    assert prefs_row(db, user) is None  # reading never writes

    response = client.post("/settings/notifications", data={
        "digest": "daily", "email_badges": "y", "email_reminders": "y"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/settings/notifications")
    row = prefs_row(db, user)
    assert (row.digest, row.email_badges, row.email_challenges, row.email_reminders) == \
        (DigestFrequency.DAILY, True, False, True)
    follow = client.get("/settings/notifications")
    assert "Your e-mail preferences are saved." in follow.get_data(as_text=True)

    bad = client.post("/settings/notifications", data={"digest": "hourly"})
    assert bad.status_code == 422
    assert prefs_row(db, user).digest == DigestFrequency.DAILY


def test_the_user_menu_links_to_the_preferences(client, auth):
    auth.as_role(Role.EMPLOYEE)
    body = client.get("/").get_data(as_text=True)
    assert 'href="/settings/notifications"' in body


# --- notice e-mails ------------------------------------------------------------------------


def test_a_badge_notice_is_emailed_in_each_persons_language(app, db, mail):
    ann = UserFactory(email="ann@acme.test", name="Ann", language="en")
    bea = UserFactory(email="bea@acme.test", name="Béa", language="fr")
    notices = [notify(db, user_id=u.id, kind="gamification.badge", params=BADGE,
                      link=("gamification.my_points", {})) for u in (ann, bea)]
    assert outbox_keys(db) == sorted(f"notice:{n.id}" for n in notices)
    db.commit()
    deliver(app)

    message = mail.wait_for("ann@acme.test")
    assert message["Subject"] == "You earned the badge 🏅 First share."
    text, page = plain(message), html(message)
    for part in (text, page):
        assert "You earned the badge 🏅 First share." in part
        assert "http://relais.test/me/points" in part
        assert "http://relais.test/settings/notifications" in part
        assert "e-mails about your badges and levels are on" in part
        assert unsubscribe_url(message) in part
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert read_unsubscribe_token(unsubscribe_url(message).rsplit("/", 1)[1]) == \
        (ann.id, "badges")

    french = mail.wait_for("bea@acme.test")
    assert french["Subject"] == "Vous avez obtenu le badge 🏅 Premier partage."
    assert "Vous avez obtenu le badge 🏅 Premier partage." in plain(french)
    assert "Premier partage" in html(french)


def test_notice_emails_follow_the_preferences_and_skip_inactive_people(app, db, mail):
    quiet = UserFactory(email="quiet@acme.test")
    preferences.save(db, quiet.id, digest=DigestFrequency.WEEKLY, badges=False,
                     challenges=True, reminders=True)
    gone = UserFactory(email="gone@acme.test", status=UserStatus.DEACTIVATED)
    loud = UserFactory(email="loud@acme.test")
    for user in (quiet, gone, loud):
        notify(db, user_id=user.id, kind="gamification.level", params={"level": 3},
               link=("gamification.my_points", {}))
    # a challenge notice still goes to the person who only turned badges off
    won = notify(db, user_id=quiet.id, kind="gamification.challenge_won",
                 params={"title": "Spring sprint", "reward": "A mug"},
                 link=("gamification.challenge", {"challenge_id": 7}))
    db.commit()
    # every notice is in the bell, whatever the e-mail preferences
    assert db.scalar(select(func.count()).select_from(Notice)) == 4
    deliver(app)

    assert mail.wait_for("loud@acme.test")["Subject"] == "You reached level 3: Share & connect."
    message = mail.wait_for("quiet@acme.test")
    assert message["Subject"] == "You won the challenge “Spring sprint”! Reward: A mug"
    assert "http://relais.test/challenges/7" in plain(message)
    assert "e-mails about challenges are on" in plain(message)
    assert len(mail.to("quiet@acme.test")) == 1 and not mail.to("gone@acme.test")
    assert outbox_keys(db) == sorted([f"notice:{won.id}", f"notice:{_notice_of(db, loud)}"])


def _notice_of(db, user) -> int:
    return db.scalar(select(Notice.id).where(Notice.user_id == user.id))


def test_bell_only_kinds_are_not_emailed(app, db):
    from app.notifications.kinds import email_category

    assert email_category("gamification.badge") == "badges"
    assert email_category("gamification.level") == "badges"
    assert email_category("gamification.challenge_started") == "challenges"
    assert email_category("gamification.challenge_won") == "challenges"
    assert email_category("gamification.challenge_closed") == "challenges"
    assert email_category("no.such.kind") is None


# --- unsubscribe ---------------------------------------------------------------------------


def _email_and_link(app, db, mail, address: str) -> tuple:
    user = UserFactory(email=address)
    notify(db, user_id=user.id, kind="gamification.badge", params=BADGE)
    db.commit()
    deliver(app)
    message = mail.wait_for(address)
    url = unsubscribe_url(message)
    assert url in plain(message)
    return user, url.removeprefix("http://relais.test")


def test_unsubscribe_page_then_button_with_csrf(csrf_app, db, mail):
    user, path = _email_and_link(csrf_app, db, mail, "unsub@acme.test")
    client = csrf_app.test_client()
    page = client.get(path)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "You will no longer receive e-mails about your new badges and levels." in body
    assert prefs_row(db, user) is None  # GET changes nothing

    assert client.post(path, data={}).status_code == 400  # the button needs its token
    assert prefs_row(db, user) is None
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    done = client.post(path, data={"csrf_token": token})
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "You are unsubscribed" in text and 'href="/settings/notifications"' in text
    row = prefs_row(db, user)
    assert row.email_badges is False
    assert (row.digest, row.email_challenges, row.email_reminders) == \
        (DigestFrequency.WEEKLY, True, True)

    # no more badge e-mails
    mail.clear()
    notify(db, user_id=user.id, kind="gamification.badge", params=BADGE)
    db.commit()
    deliver(csrf_app)
    assert not mail.to("unsub@acme.test")


def test_one_click_unsubscribe_needs_no_csrf_token(csrf_app, db, mail):
    user, path = _email_and_link(csrf_app, db, mail, "oneclick@acme.test")
    client = csrf_app.test_client()  # a mail client: no cookie, no CSRF token
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert prefs_row(db, user).email_badges is False
    # twice is fine
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200


def test_each_category_has_its_own_link_and_a_digest_link_stops_the_digest(app, db, client):
    user = UserFactory()
    client.post(f"/unsubscribe/{unsubscribe_token(user.id, 'digest')}",
                data={"List-Unsubscribe": "One-Click"})
    assert prefs_row(db, user).digest == DigestFrequency.NEVER
    client.post(f"/unsubscribe/{unsubscribe_token(user.id, 'reminders')}",
                data={"List-Unsubscribe": "One-Click"})
    row = prefs_row(db, user)
    assert (row.email_reminders, row.email_badges, row.email_challenges) == (False, True, True)


def test_tampered_or_foreign_tokens_are_refused(app, db, client):
    from itsdangerous import URLSafeSerializer

    user = UserFactory()
    good = unsubscribe_token(user.id, "badges")
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    # signed with the app's key but another salt (e.g. another feature's token)
    foreign = URLSafeSerializer(app.config["SECRET_KEY"], salt="other").dumps([user.id, "badges"])
    wrong_category = URLSafeSerializer(app.config["SECRET_KEY"],
                                       salt="relais.notifications.unsubscribe").dumps(
        [user.id, "everything"])
    for token in (tampered, foreign, wrong_category, "x" * 300):
        assert client.get(f"/unsubscribe/{token}").status_code == 404
        assert client.post(f"/unsubscribe/{token}",
                           data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert prefs_row(db, user) is None
    # a person erased since the e-mail
    user.erased_at = datetime.now(UTC)
    db.flush()
    assert client.get(f"/unsubscribe/{good}").status_code == 404


def test_unsubscribe_works_when_signed_in_as_someone_else(app, db, client):
    auth = Auth(client, db)
    auth.as_role(Role.ADMIN)
    user = UserFactory()
    path = f"/unsubscribe/{unsubscribe_token(user.id, 'challenges')}"
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200  # CSRF is off in this app
    assert prefs_row(db, user).email_challenges is False


# --- challenge start -----------------------------------------------------------------------


def test_a_challenge_start_is_announced_once_to_its_audience(app, db, mail):
    team = GroupFactory()
    ann = UserFactory(email="ann.start@acme.test", groups=[team])
    bob = UserFactory(email="bob.start@acme.test", groups=[team])
    UserFactory(email="out@acme.test")
    gone = UserFactory(email="gone.start@acme.test", groups=[team],
                       status=UserStatus.DEACTIVATED)
    preferences.save(db, bob.id, digest=DigestFrequency.WEEKLY, badges=True,
                     challenges=False, reminders=True)
    now = datetime.now(UTC)
    upcoming = challenge(db, title="Later", starts_at=now + timedelta(days=2), groups=[team],
                         now=now)
    started = challenge(db, title="Team sprint", groups=[team], reward="Lunch", now=now)
    db.commit()

    first = run_job(app, "gamification.close_challenges")
    assert first.status == JobStatus.OK, first.error
    assert first.summary["announced"] == 2
    db.expire_all()
    told = db.execute(select(Notice.user_id, Notice.params).where(
        Notice.kind == "gamification.challenge_started")).all()
    assert sorted(uid for uid, _params in told) == sorted([ann.id, bob.id])
    assert all(params["challenge_id"] == started.id for _uid, params in told)
    assert started.announced_at is not None and upcoming.announced_at is None

    second = run_job(app, "gamification.close_challenges")
    assert second.summary["announced"] == 0
    assert db.scalar(select(func.count()).select_from(Notice).where(
        Notice.kind == "gamification.challenge_started")) == 2

    deliver(app)
    message = mail.wait_for("ann.start@acme.test")
    assert message["Subject"] == "The challenge “Team sprint” has started: take part! " \
                                 "Reward: Lunch"
    assert f"http://relais.test/challenges/{started.id}" in plain(message)
    assert not mail.to("bob.start@acme.test")  # challenges e-mails off: the bell only
    assert not mail.to("out@acme.test") and not mail.to(gone.email)

    # the upcoming one is announced when its time comes
    with time_machine.travel(now + timedelta(days=2, minutes=1), tick=False):
        later = run_job(app, "gamification.close_challenges")
    assert later.summary["announced"] == 2


def test_a_challenge_that_ended_before_its_announcement_is_only_marked(app, db):
    now = datetime.now(UTC)
    ch = challenge(db, title="Short", now=now, ends_at=now + timedelta(hours=1))
    UserFactory()
    db.flush()
    from app.gamification.challenges import announce_started

    assert announce_started(db, now + timedelta(hours=2)) == 0
    assert ch.announced_at == now + timedelta(hours=2)
    assert db.scalar(select(func.count()).select_from(Notice).where(
        Notice.kind == "gamification.challenge_started")) == 0


# --- training reminders ----------------------------------------------------------------------


def test_training_reminders_respect_the_reminders_preference(app, db, mail):
    from tests.factories_training import make_course

    when = datetime(2026, 6, 15, 7, 15, tzinfo=UTC)
    keen = UserFactory(email="keen@acme.test")
    quiet = UserFactory(email="quiet.training@acme.test")
    preferences.turn_off(db, quiet.id, preferences.REMINDERS)
    make_course(db, title="Policy course", due_on=when.date() + timedelta(days=5))
    db.flush()
    with time_machine.travel(when, tick=False):
        run = run_job(app, "training.reminders")
        deliver(app)  # reminders go through the outbox too
    assert run.status == JobStatus.OK, run.error
    assert mail.wait_for("keen@acme.test")
    assert not mail.to("quiet.training@acme.test") and keen.id != quiet.id


def test_the_preferences_are_in_the_persons_data_export(client, db, auth):
    user = auth.as_role(Role.EMPLOYEE)
    preferences.save(db, user.id, digest=DigestFrequency.DAILY, badges=False,
                     challenges=True, reminders=False)
    data = client.get("/profile/export.json").get_json()
    assert data["email_preferences"] == {"digest": "daily", "badges": False,
                                         "challenges": True, "reminders": False,
                                         "last_digest_at": None, "last_nudge_at": None}
