"""Account emails, rendered in the recipient's language (plain text and HTML)."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.accounts.models import EnrolmentRequest, User
from app.common.mail import Email, Mailer


def _render(name: str, to: str, language: str, subject_fn, **context) -> Email:
    with force_locale(language or "en"):
        subject = subject_fn()
        text = render_template(f"accounts/email/{name}.txt", **context)
        html = render_template(f"accounts/email/{name}.html", subject=subject, **context)
    return Email(to=to, subject=subject, text=text, html=html)


def _hours(ttl: timedelta) -> int:
    return max(1, int(ttl.total_seconds() // 3600))


def invitation(mailer: Mailer, user: User, token: str, ttl: timedelta) -> Email:
    link = mailer.url(f"/invitation/{token}")
    return _render("invitation", user.email, user.language,
                   lambda: _("You are invited to join Relais"),
                   user=user, link=link, hours=_hours(ttl))


def password_reset(mailer: Mailer, user: User, token: str, ttl: timedelta) -> Email:
    link = mailer.url(f"/reset/{token}")
    return _render("password_reset", user.email, user.language,
                   lambda: _("Reset your Relais password"),
                   user=user, link=link, minutes=int(ttl.total_seconds() // 60))


def enrolment_rejected(mailer: Mailer, req: EnrolmentRequest) -> Email:
    return _render("enrolment_rejected", req.email, "en",
                   lambda: _("Your request to join Relais"), req=req)
