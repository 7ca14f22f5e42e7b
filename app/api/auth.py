"""Who calls the API: a personal access token in ``Authorization: Bearer``, never the
session cookie.

Order of a request to an API endpoint (one whose permission entry has ``token=True``):

1. ``authenticate`` (a URL-value preprocessor, which Flask runs before every
   ``before_request`` function): refuses a token in the query string, finds the token,
   makes its owner the request's ``current_user`` (whatever the cookie says) and checks the
   token's scopes for this endpoint and method;
2. the permission table (``app.common.authz``) checks the owner's role, exactly as for a
   signed-in session; API endpoints are reachable before the policy is accepted (nothing is
   shared through the API);
3. CSRF: API blueprints are exempt; that is safe because no cookie ever authenticates them;
4. the rate limit, per token (``rate_key``).

Admin actions done through the API are audited as their owner's, with the token id added to
the audit event's details (``_annotate_audit``). Deactivating a person (from the UI, the
API, the CLI or single sign-on) revokes their tokens (``_revoke_tokens_of_deactivated``).
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.accounts.models import User, UserStatus
from app.api import tokens
from app.api.errors import ApiError
from app.api.models import ApiToken
from app.common.permissions import access_for
from app.common.web import db
from app.db import utcnow

#: query parameters that would carry a token in the URL (then in every log and history)
TOKEN_QUERY_NAMES = frozenset({"access_token", "token", "api_key", "apikey", "bearer"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: attribute a view sets (``@scope(...)``) to name its scope; None: any token may call it
_SCOPE_ATTR = "_api_scope"
_UNSET = object()


def scope(name: str | None):
    """Decorator: the scope a view needs (default: its blueprint's family + read/write).
    Put it right under ``@blp.route``."""

    def decorator(func):
        setattr(func, _SCOPE_ATTR, name)
        return func

    return decorator


def required_scope(endpoint: str, method: str) -> str | None:
    """The scope a call needs: the view's own, else ``<family>:read`` for GET and
    ``<family>:write`` otherwise. An API view without either needs a full ("*") token."""
    view = current_app.view_functions.get(endpoint)
    own = getattr(view, _SCOPE_ATTR, _UNSET)
    if own is not _UNSET:
        return own
    blueprint = current_app.blueprints.get(endpoint.rpartition(".")[0])
    family = getattr(blueprint, "scope", None)
    if family is None:
        return tokens.ALL_SCOPES
    return f"{family}:{'read' if method in READ_METHODS else 'write'}"


def current_token() -> ApiToken | None:
    return g.get("api_token")


def _unauthorized(detail: str, *, invalid: bool) -> ApiError:
    challenge = 'Bearer realm="relais"' + (', error="invalid_token"' if invalid else "")
    return ApiError(401, "unauthorized", _("Unauthorized"), detail,
                    headers={"WWW-Authenticate": challenge})


def _token_in_url() -> bool:
    if any(name.lower() in TOKEN_QUERY_NAMES for name in request.args):
        return True
    return any(tokens.TOKEN_PREFIX in value for value in request.args.values())


def authenticate(endpoint: str | None, _values: dict | None) -> None:
    access = access_for(endpoint)
    if access is None or not getattr(access, "token", False):
        return
    # the cookie never authenticates an API call (no CSRF token is checked on them): the
    # request's user is the token's owner or nobody, whatever the session says
    g.api_token = None
    g._login_user = current_app.login_manager.anonymous_user()
    if _token_in_url():
        raise ApiError(400, "token-in-url", _("Token in the URL"),
                       _("Never put a token in a URL (it ends up in logs and browser "
                         "history): send it in the Authorization header. If that was a "
                         "real token, revoke it in your settings and create another."))
    header = request.headers.get("Authorization", "")
    if not header:
        if access.public:
            return
        raise _unauthorized(_("Send a personal access token: \"Authorization: Bearer "
                              "rls_…\". Create one in your settings."), invalid=False)
    scheme, _sep, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise _unauthorized(_("Use the Bearer scheme: \"Authorization: Bearer rls_…\"."),
                            invalid=True)
    now = utcnow()
    token = tokens.find_usable(db(), secret.strip(), now)
    if token is None:
        raise _unauthorized(_("This token is unknown, expired or revoked, or its owner is "
                              "deactivated."), invalid=True)
    g.api_token = token
    g._login_user = token.user
    needed = required_scope(endpoint, request.method)
    if not token.allows(needed):
        raise ApiError(403, "insufficient-scope", _("Insufficient scope"),
                       _("This token's scopes do not include %(scope)s.",
                         scope=needed if needed != tokens.ALL_SCOPES else _("all scopes")),
                       headers={"WWW-Authenticate": f'Bearer realm="relais", '
                                                    f'error="insufficient_scope", '
                                                    f'scope="{needed}"'})
    if tokens.needs_touch(token, request.remote_addr, now):
        _touch(token, now)


def _touch(token: ApiToken, now) -> None:
    """Write the last use in its own short transaction, so that the token's row is not
    locked for the whole request (concurrent calls with one token would queue on it) and a
    read request stays a reader (on SQLite, upgrading a reader to a writer can fail at once
    rather than wait). Except for a write request on SQLite: its session already holds the
    database's only write lock, so it writes there (a refused request forgets it: fine)."""
    from app.db import get_database

    database = get_database()
    if request.method not in READ_METHODS and database.is_sqlite:
        tokens.touch(db(), token.id, request.remote_addr, now)
        return
    with database.unit_of_work() as session:
        tokens.touch(session, token.id, request.remote_addr, now)


def rate_key() -> str:
    """Rate limits count per token (an integration and its owner's script do not share a
    budget); calls without a token count per client address."""
    token = current_token()
    if token is not None:
        return f"api-token:{token.id}:{token.prefix}"
    return f"api-ip:{request.remote_addr}"


def rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT") or "600 per minute"


# --- ORM hooks ---------------------------------------------------------------------------------


def _annotate_audit(session: Session, _flush_context, _instances) -> None:
    """Audit events written during an API call say which token did it."""
    if not has_request_context():
        return
    token = g.get("api_token")
    if token is None:
        return
    from app.audit.models import AuditEvent

    for obj in session.new:
        if isinstance(obj, AuditEvent) and "api_token_id" not in (obj.details or {}):
            obj.details = {**(obj.details or {}), "via": "api", "api_token_id": token.id}


def _revoke_tokens_of_deactivated(session: Session, _flush_context, _instances) -> None:
    """A deactivated person's tokens are revoked, like their sessions end: reactivating them
    later does not bring old tokens back. An erased person's tokens and stored API answers
    are deleted (names, addresses, bodies: personal data)."""
    for obj in session.dirty:
        if not isinstance(obj, User):
            continue
        if obj.erased_at is not None and inspect(obj).attrs.erased_at.history.added:
            tokens.forget_all_of(session, obj.id)
            continue
        # set to "deactivated" in this flush (a deactivated person holds no usable token,
        # so revoking again when it already was is harmless)
        if UserStatus.DEACTIVATED in inspect(obj).attrs.status.history.added:
            tokens.revoke_all_of(session, obj.id)


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(authenticate)

    @app.teardown_request
    def _forget_token(_exc):
        # tests reuse one app context for many requests: never leak a token to the next
        g.pop("api_token", None)

    if not event.contains(Session, "before_flush", _annotate_audit):
        event.listen(Session, "before_flush", _annotate_audit)
        event.listen(Session, "before_flush", _revoke_tokens_of_deactivated)
