"""Notification e-mails to one person: rendered in their language, plain text and HTML, with
the footer every notification e-mail carries (why you get it, the preferences page, a
signed unsubscribe link) and the RFC 8058 one-click unsubscribe headers.

The unsubscribe token is signed (itsdangerous, with a salt of its own so no other signed
value of the app can stand in for it) and holds the person and the category. It does not
expire: an old e-mail's link must keep working, and all it can do is turn one category of
e-mails off for that person (never on, never anything else).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.accounts.models import User
from app.common.mail import Email, render_email
from app.notifications.preferences import CATEGORIES

_SALT = "relais.notifications.unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(user_id: int, category: str) -> str:
    if category not in CATEGORIES:
        raise ValueError(f"unknown e-mail category {category!r}")
    return _serializer().dumps([user_id, category])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, category) of a genuine token, else None."""
    if not token or len(token) > 200:
        return None
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or value[1] not in CATEGORIES):
        return None
    return value[0], value[1]


def path_for(endpoint: str, **values) -> str:
    """A page's path, with or without a request (jobs have none)."""
    return current_app.url_map.bind("relais").build(endpoint, values)


def absolute_url(path: str) -> str:
    return current_app.extensions["relais_mailer"].url(path)


def user_email(user: User, template: str, category: str, subject_fn: Callable[[], str],
               **ctx) -> Email:
    """``template``.txt/.html rendered for ``user`` in their language. The templates include
    ``notifications/email/_footer.txt``/``.html``, which read ``preferences_url``,
    ``unsubscribe_url`` and ``category`` (and ``digest_frequency`` for digests)."""
    unsubscribe = absolute_url(path_for("notifications.unsubscribe",
                                        token=unsubscribe_token(user.id, category)))
    email = render_email(template, user.email, user.language, subject_fn, user=user,
                         category=category, unsubscribe_url=unsubscribe,
                         preferences_url=absolute_url(path_for("notifications.preferences")),
                         **ctx)
    email.headers = {"List-Unsubscribe": f"<{unsubscribe}>",
                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return email
