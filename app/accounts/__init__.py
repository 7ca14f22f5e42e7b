"""Accounts: people, sign-in, invitations, import, enrolment, policy, profile, admin pages."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from app.accounts import (  # noqa: E402,F401
    admin_views,
    import_views,
    profile_views,
    sso,  # single sign-on (OpenID Connect)
    sso_admin_views,
    sso_export,
    views,
)
