"""Accounts: people, sign-in, invitations, import, enrolment, policy, profile, admin pages."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from app.accounts import admin_views, import_views, profile_views, views  # noqa: E402,F401
