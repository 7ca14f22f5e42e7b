"""Sign-in, sign-out, password reset, invitations, self-enrolment, language, policy."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh as refresh_locale
from flask_login import current_user, login_user, logout_user

from app.accounts import bp, policy, services, sso_services
from app.accounts.forms import (
    AcceptInvitationForm,
    ConfirmForm,
    EnrolForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
)
from app.accounts.models import TokenPurpose
from app.accounts.settings import account_settings
from app.common.errors import ServiceError
from app.common.forms import require_post_form
from app.common.markdown import render_markdown
from app.common.web import current_actor, db, mailer, render_invalid, safe_next
from app.extensions import limiter


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _start_session(user, remember: bool) -> None:
    # a brand-new session at sign-in: nothing from before survives (no session fixation)
    lang = session.get("lang")
    forget = session.get("_remember") == "clear"  # set by a logout_user() just before
    session.clear()
    if lang:
        session["lang"] = lang
    if forget:
        session["_remember"] = "clear"  # still drop the previous person's remember cookie
    login_user(user, remember=remember)
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:  # services.authenticate, refused for people who must use single sign-on
            user = sso_services.password_sign_in(db(), account_settings(),
                                                 sso_services.current_config(),
                                                 form.email.data, form.password.data,
                                                 current_actor())
        except sso_services.PasswordLoginRefused as exc:
            flash(exc.message, "warning")
            return render_template("accounts/login.html", form=form)
        if user is not None:
            _start_session(user, form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("portal.home")))
        # 200 on purpose: the failed-attempt counter and audit entry must be committed
        flash(_("Wrong email or password, or the account cannot sign in."), "danger")
    elif form.is_submitted():
        return render_invalid("accounts/login.html", form=form)
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    require_post_form()
    services.record_logout(db(), current_user, current_actor())
    # clear first: logout_user() leaves a marker in the session that makes Flask-Login
    # delete the remember-me cookie; clearing after it would keep the person signed in
    session.clear()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        sso_services.request_password_reset(db(), account_settings(),
                                            sso_services.current_config(), mailer(),
                                            form.email.data, current_actor())
        flash(_("If an active account uses this address, we sent it a link to choose a new "
                "password. The link works for one hour."), "info")
        return redirect(url_for("accounts.login"))
    if form.is_submitted():
        return render_invalid("accounts/forgot_password.html", form=form)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_password(token: str):
    user = services.usable_token_user(db(), token, TokenPurpose.RESET)
    if user is None:
        return render_template("accounts/token_invalid.html"), 404
    sso = sso_services.current_config()
    if sso_services.is_sso_only(db(), sso, user):  # a link sent before SSO became the rule
        return render_template("accounts/sso_password_refused.html",
                               message=sso_services.sso_only_message(sso)), 403
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(db(), account_settings(), token, form.password.data,
                                    current_actor())
        except ServiceError as exc:
            form.password.errors.append(exc.message)
            return render_invalid("accounts/reset_password.html", form=form)
        flash(_("Your password is changed. Sign in with it now."), "success")
        return redirect(url_for("accounts.login"))
    if form.is_submitted():
        return render_invalid("accounts/reset_password.html", form=form)
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def accept_invitation(token: str):
    user = services.usable_token_user(db(), token, TokenPurpose.INVITE)
    if user is None:
        return render_template("accounts/token_invalid.html", invitation=True), 404
    languages = current_app.config["LANGUAGES"]
    if session.get("lang") not in languages and user.language in languages:
        # the page speaks the language the invitation email was written in, until the
        # visitor picks one with the language switch
        session["lang"] = user.language
        refresh_locale()
    form = AcceptInvitationForm()
    if request.method == "GET":
        form.name.data = user.name
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(db(), account_settings(), token,
                                              form.password.data, current_actor(),
                                              name=form.name.data)
        except ServiceError as exc:
            form.password.errors.append(exc.message)
            return render_invalid("accounts/accept_invitation.html", form=form, invitee=user)
        if current_user.is_authenticated:
            logout_user()
        _start_session(user, remember=False)
        flash(_("Welcome to Relais, %(name)s!", name=user.name), "success")
        return redirect(url_for("portal.home"))
    if form.is_submitted():
        return render_invalid("accounts/accept_invitation.html", form=form, invitee=user)
    return render_template("accounts/accept_invitation.html", form=form, invitee=user)


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def enrol():
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            services.request_enrolment(db(), current_actor(), email=form.email.data,
                                       name=form.name.data, message=form.message.data or "")
        except ServiceError as exc:
            form.email.errors.append(exc.message)
            return render_invalid("accounts/enrol.html", form=form)
        return render_template("accounts/enrol_sent.html")
    if form.is_submitted():
        return render_invalid("accounts/enrol.html", form=form)
    return render_template("accounts/enrol.html", form=form)


@bp.post("/language")
def set_language():
    require_post_form()
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            services.set_language(db(), current_user, lang)
    return redirect(safe_next(request.form.get("next"), url_for("portal.home")))


@bp.get("/policy", endpoint="policy")
def policy_page():
    version = policy.latest_policy(db())
    accepted = version is not None and (current_user.accepted_policy_version or 0) >= \
        version.version
    return render_template("accounts/policy.html", version=version, accepted=accepted,
                           body=render_markdown(version.body_md) if version else None,
                           form=ConfirmForm(), next=request.args.get("next", ""))


@bp.post("/policy")
def accept_policy():
    require_post_form()
    version = policy.latest_policy(db())
    if version is None:
        abort(400)
    if str(version.version) != request.form.get("version"):
        # a newer version was published while the page was open: show it
        flash(_("The policy changed while you were reading. Please read the new version."),
              "warning")
        return redirect(url_for("accounts.policy"))
    policy.accept_policy(db(), current_actor(), current_user, version)
    flash(_("Thank you. You accepted the policy (version %(v)d).", v=version.version), "success")
    return redirect(safe_next(request.form.get("next"), url_for("portal.home")))
