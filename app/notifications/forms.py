"""Forms of the notifications pages (CSRF through Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField

from app.accounts.forms import as_choices
from app.notifications.models import DigestFrequency


class PreferencesForm(FlaskForm):
    digest = RadioField(_l("Digest of new content"), default=DigestFrequency.WEEKLY.value,
                        choices=as_choices([
                            (DigestFrequency.WEEKLY.value, _l("Weekly, on Mondays")),
                            (DigestFrequency.DAILY.value, _l("Daily")),
                            (DigestFrequency.NEVER.value, _l("Never"))]))
    email_badges = BooleanField(_l("My new badges and levels"))
    email_challenges = BooleanField(_l("Challenges: when one starts, and its results"))
    email_reminders = BooleanField(_l("Reminders: training due dates, and a nudge when I "
                                      "have not shared for a while"))
