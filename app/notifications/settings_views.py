"""E-mail preferences page and the unsubscribe link of every notification e-mail."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.common.forms import ConfirmForm, require_post_form
from app.common.web import db, render_invalid
from app.extensions import csrf
from app.notifications import bp, preferences
from app.notifications.emails import read_unsubscribe_token
from app.notifications.forms import PreferencesForm
from app.notifications.models import DigestFrequency


@bp.route("/settings/notifications", methods=["GET", "POST"], endpoint="preferences")
def preferences_page():
    form = PreferencesForm()
    if not form.is_submitted():
        saved = preferences.preferences_for(db(), current_user.id)
        form.digest.data = DigestFrequency(saved.digest).value
        form.email_badges.data = saved.email_badges
        form.email_challenges.data = saved.email_challenges
        form.email_reminders.data = saved.email_reminders
    elif form.validate():
        preferences.save(db(), current_user.id, digest=DigestFrequency(form.digest.data),
                         badges=form.email_badges.data, challenges=form.email_challenges.data,
                         reminders=form.email_reminders.data)
        flash(_("Your e-mail preferences are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    else:
        return render_invalid("notifications/preferences.html", form=form)
    return render_template("notifications/preferences.html", form=form)


def _token_owner(token: str) -> tuple[User, str]:
    found = read_unsubscribe_token(token)
    if found is None:
        abort(404)
    user = db().get(User, found[0])
    if user is None or user.erased_at is not None:
        abort(404)
    return user, found[1]


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """GET: what the link turns off, and a button (a GET never changes anything: mail
    scanners open links). POST: turn it off. A POST whose body is
    ``List-Unsubscribe=One-Click`` (RFC 8058: the mail client's own unsubscribe button)
    needs no CSRF token: the signed token in the URL is the authentication, and all it can
    do is turn one category off."""
    one_click = (request.method == "POST"
                 and request.form.get("List-Unsubscribe") == "One-Click")
    if request.method == "POST" and not one_click:
        require_post_form()  # the page's own button: a CSRF token, as on every form
    user, category = _token_owner(token)
    label = preferences.CATEGORY_LABELS[category]
    if request.method == "GET":
        return render_template("notifications/unsubscribe.html", label=label,
                               form=ConfirmForm())
    preferences.turn_off(db(), user.id, category)
    if one_click:
        return _("You are unsubscribed."), 200, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("notifications/unsubscribe_done.html", label=label)


# the one-click POST comes from a mail client, without a CSRF token (checked above for the
# page's own button)
csrf.exempt(unsubscribe)
