"""The signed-in person's own account: profile, password, social accounts, data export."""

from __future__ import annotations

import json
from zoneinfo import available_timezones

from flask import Response, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from app.accounts import bp, services, sessions
from app.accounts.export import export_user_data
from app.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ProfileForm,
    SocialAccountForm,
    as_choices,
)
from app.accounts.models import Network
from app.accounts.queries import all_topics
from app.accounts.settings import account_settings
from app.common.errors import ServiceError
from app.common.forms import require_post_form
from app.common.web import current_actor, db, render_invalid
from app.db import utcnow

_TIMEZONES = sorted(available_timezones())


def _sessions_context() -> dict:
    """The "Where you are signed in" card of the profile page (accounts/_sessions.html)."""
    return dict(signed_in=sessions.active_sessions(db(), current_user.id),
                device_summary=sessions.device_summary)


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    form = ProfileForm(obj=current_user)
    form.timezone.choices = as_choices((tz, tz) for tz in _TIMEZONES)
    form.topic_ids.choices = as_choices((t.id, t.name) for t in all_topics(db()))
    if not form.is_submitted():
        form.topic_ids.data = [t.id for t in current_user.topics]
    if form.validate_on_submit():
        try:
            services.update_profile(db(), current_user, name=form.name.data,
                                    language=form.language.data, timezone=form.timezone.data,
                                    topic_ids=form.topic_ids.data)
        except ServiceError as exc:
            flash(exc.message, "danger")
            return render_invalid("accounts/profile.html", form=form, **_sessions_context())
        session["lang"] = form.language.data
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.profile"))
    if form.is_submitted():
        return render_invalid("accounts/profile.html", form=form, **_sessions_context())
    return render_template("accounts/profile.html", form=form, **_sessions_context())


@bp.post("/profile/sessions/<int:session_id>/revoke")
def revoke_session(session_id: int):
    require_post_form()
    try:
        row = sessions.revoke_own(db(), current_actor(), current_user, session_id)
    except ServiceError:
        abort(404)  # someone else's, or already ended
    if current_user.current_session is not None and row.id == current_user.current_session.id:
        session.clear()  # this very browser: as the sign-out button does
        logout_user()
        flash(_("You are signed out."), "info")
        return redirect(url_for("accounts.login"))
    flash(_("That session is signed out."), "success")
    return redirect(url_for("accounts.profile", _anchor="sessions"))


@bp.post("/profile/sessions/revoke-others")
def revoke_other_sessions():
    require_post_form()
    count = sessions.revoke_others(db(), current_actor(), current_user)
    if count:
        flash(ngettext("%(num)d other session is signed out.",
                       "%(num)d other sessions are signed out.", count), "success")
    else:
        flash(_("You were not signed in anywhere else."), "info")
    return redirect(url_for("accounts.profile", _anchor="sessions"))


@bp.route("/profile/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db(), account_settings(), current_user,
                                     form.current_password.data, form.password.data,
                                     current_actor())
        except ServiceError as exc:
            getattr(form, exc.field or "password").errors.append(exc.message)
            return render_invalid("accounts/change_password.html", form=form)
        # other sessions ended with the version bump; this one goes on with a new id
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        login_user(current_user._get_current_object())
        flash(_("Your password is changed. Your other sessions are signed out."), "success")
        return redirect(url_for("accounts.profile"))
    if form.is_submitted():
        return render_invalid("accounts/change_password.html", form=form)
    return render_template("accounts/change_password.html", form=form)


@bp.route("/profile/social", methods=["GET", "POST"])
def social_accounts():
    form = SocialAccountForm()
    if form.validate_on_submit():
        try:
            services.save_social_account(db(), current_user, network=Network(form.network.data),
                                         handle=form.handle.data,
                                         profile_url=form.profile_url.data or "",
                                         followers=form.followers.data or 0)
        except ServiceError as exc:
            getattr(form, exc.field or "handle").errors.append(exc.message)
            return render_invalid("accounts/social_accounts.html", form=form,
                                  delete_form=ConfirmForm())
        flash(_("Your account is saved."), "success")
        return redirect(url_for("accounts.social_accounts"))
    if form.is_submitted():
        return render_invalid("accounts/social_accounts.html", form=form,
                              delete_form=ConfirmForm())
    return render_template("accounts/social_accounts.html", form=form, delete_form=ConfirmForm())


@bp.post("/profile/social/<int:account_id>/delete")
def delete_social_account(account_id: int):
    require_post_form()
    try:
        services.delete_social_account(db(), current_user, account_id)
    except ServiceError:
        abort(404)
    flash(_("The account is removed."), "success")
    return redirect(url_for("accounts.social_accounts"))


@bp.get("/profile/export.json")
def export_my_data():
    data = export_user_data(db(), current_user)
    stamp = utcnow().strftime("%Y%m%d")
    return Response(json.dumps(data, indent=2, ensure_ascii=False),
                    mimetype="application/json",
                    headers={"Content-Disposition":
                             f'attachment; filename="relais-my-data-{stamp}.json"'})
