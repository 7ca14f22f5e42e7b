"""Security events: one structured log record per refusal, on the ``relais.security``
logger (docs/security.md item 9; ASVS 16.3). The audit log keeps what people and admins
did; this log keeps what was refused, for an operator's alerting:

=========================  ====================================================
``authz.denied``           a 403: a page or API call the role or object forbids
``csrf.failed``            a form posted without a valid CSRF token
``ratelimit.hit``          a 429: sign-in, reset, enrolment or API budget exceeded
``api.token_refused``      a 401 of the API: missing, unknown, revoked or expired token
``webhook.signature_refused``  a 401 of the conversions webhook (bad or stale signature)
``auth.remember_login``    a session restored from the "keep me signed in" cookie
=========================  ====================================================

Each record carries ``event``, ``method``, ``path`` (secrets redacted, as in the request
log), ``status``, ``endpoint``, ``user_id`` and ``remote_addr`` as structured fields
(``LOG_FORMAT=json``), and the request id. They are WARNING records (INFO for the
remember-me sign-in), so they can be routed apart from the request lines.
"""

from __future__ import annotations

import logging

from flask import Flask, g, request

from app.common.request_log import LOG_PATH_KEY, loaded_user_id

log = logging.getLogger("relais.security")

#: status → event, for the statuses every refusal of that kind ends in
_BY_STATUS = {403: "authz.denied", 429: "ratelimit.hit"}
WEBHOOK_ENDPOINT = "sharing.conversions_webhook"
#: set by the CSRF error handler: the 400 it answers is a refusal of that kind
CSRF_FLAG = "_relais_csrf_failed"


def emit(name: str, status: int | None = None, *, level: int = logging.WARNING,
         **fields) -> None:
    """One security event about the current request."""
    user_id = loaded_user_id()
    path = request.environ.get(LOG_PATH_KEY) or request.path
    log.log(level, "%s %s %s", name, request.method, path, extra={"fields": {
        "event": name, "method": request.method, "path": path, "status": status,
        "endpoint": request.endpoint, "user_id": user_id,
        "remote_addr": request.remote_addr, **fields}})


def classify(status: int, endpoint: str | None, path: str, csrf_failed: bool) -> str | None:
    """The event a response is, if it is a refusal worth one."""
    if csrf_failed:
        return "csrf.failed"
    if status == 401:
        if endpoint == WEBHOOK_ENDPOINT:
            return "webhook.signature_refused"
        if path.startswith("/api/"):
            return "api.token_refused"
        return None
    return _BY_STATUS.get(status)


def init_app(app: Flask) -> None:
    from flask_login import user_loaded_from_cookie

    @app.after_request
    def _refusals(response):
        name = classify(response.status_code, request.endpoint, request.path,
                        bool(g.get(CSRF_FLAG)))
        if name is not None:
            emit(name, response.status_code)
        return response

    @user_loaded_from_cookie.connect_via(app)
    def _remembered(sender, user):
        emit("auth.remember_login", level=logging.INFO, user_id=user.id)
