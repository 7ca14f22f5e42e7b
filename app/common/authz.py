"""Enforces the permission table and the policy gate before every request."""

from __future__ import annotations

import logging

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user

from app.common.permissions import access_for
from app.extensions import login_manager

log = logging.getLogger(__name__)


def init_authorization(app: Flask) -> None:
    # registered before CSRFProtect so an unauthorised call is refused as such (403/login)
    @app.before_request
    def _enforce_permissions():
        if request.endpoint is None:  # unknown URL: let the 404 handler answer
            return None
        access = access_for(request.endpoint)
        if access is None:
            log.error("endpoint %s is missing from the permission table", request.endpoint)
            abort(403)
        if access.public:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.has_role(access.min_role):
            abort(403)
        if not access.before_policy and _policy_pending():
            return redirect(url_for("accounts.policy", next=request.full_path.rstrip("?")))
        return None


def _policy_pending() -> bool:
    from app.accounts.policy import current_policy_version

    latest = current_policy_version()
    return latest is not None and (current_user.accepted_policy_version or 0) < latest
