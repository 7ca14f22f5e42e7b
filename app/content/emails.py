"""Content emails (in the recipient's language)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.accounts.models import User
from app.common.mail import Email, Mailer, render_email
from app.content.models import ContentItem


def suggestion_outcome(mailer: Mailer, user: User, item: ContentItem, *, accepted: bool,
                       note: str = "") -> Email:
    return render_email("content/email/suggestion_outcome", user.email, user.language,
                   lambda: (_("Your suggestion was accepted") if accepted
                            else _("About your suggestion")),
                   user=user, item=item, accepted=accepted, note=note,
                   link=mailer.url("/"))
