"""Account emails, rendered in the recipient's language (plain text and HTML)."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _

from app.accounts.models import EnrolmentRequest, User
from app.common.mail import Email, Mailer, render_email


def _render(name: str, to: str, language: str, subject_fn, **context) -> Email:
    return render_email(f"accounts/email/{name}", to, language, subject_fn, **context)


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
