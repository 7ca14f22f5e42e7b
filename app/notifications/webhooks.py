"""Outgoing webhooks: the endpoints admins register (Slack, Teams or any receiver) and the
events Relais announces to them through the outbox (app/notifications/outbox.py).

``emit(db, event, builder)`` queues one outbox message per active endpoint subscribed to
``event``, in the caller's transaction: nothing is sent if the change rolls back, and the
``notifications.deliver`` job sends it (signed, retried) within a minute. The text is
written once, in the installation's default language (a channel has no language of its
own), and shaped per flavour:

* ``slack``: ``{"text": …, "blocks": […]}`` (Slack incoming webhooks; ``text`` is the
  notification's fallback, the blocks hold the title link and the facts);
* ``teams``: a message with one Adaptive Card attachment (what both the Teams
  "Workflows" webhooks and the older incoming-webhook connectors accept);
* ``json``: ``{"event", "id", "occurred_at", "data"}``, for a receiver of your own.

Every delivery carries ``X-Relais-Timestamp``, ``X-Relais-Signature: sha256=<hex>`` (the
HMAC-SHA256 of ``timestamp + "." + body`` with the endpoint's secret) and
``X-Relais-Delivery`` (the outbox key: the same for a retried delivery).

Personal data: "challenge.results" carries counts, and the first names of the top three
only when the challenge board shows names (not on anonymous boards, and never of people
who opted out of the boards) — what every employee already sees on the in-app board.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.services import record
from app.common import fetcher
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.db import utcnow
from app.notifications import outbox
from app.notifications.models import OutboxMessage, WebhookEndpoint, WebhookFlavour
from app.sharing import crypto

CONTENT_FEATURED = "content.featured"
CHALLENGE_RESULTS = "challenge.results"
TEST = "test"

#: the events an endpoint can subscribe to, with their label on the admin page
EVENTS = {
    CONTENT_FEATURED: _l("A featured content item is published"),
    CHALLENGE_RESULTS: _l("A challenge closes (its results)"),
}

FLAVOUR_LABELS = {
    WebhookFlavour.SLACK: _l("Slack"),
    WebhookFlavour.TEAMS: _l("Microsoft Teams"),
    WebhookFlavour.JSON: _l("JSON (your own receiver)"),
}

#: how many deliveries the endpoint's page lists
LOG_SIZE = 20


@dataclass(frozen=True)
class Announcement:
    """What an event says, whatever the flavour. ``ref`` names what it is about (e.g.
    "content:42"): with the event and the endpoint it makes the outbox key, so the same
    thing is announced once per endpoint."""

    ref: str
    title: str
    text: str
    url: str
    #: (label, value) pairs shown under the text
    facts: list[tuple[str, str]] = field(default_factory=list)
    #: the json flavour's "data"
    data: dict = field(default_factory=dict)


# --- emitting -------------------------------------------------------------------------------


def emit(db: Session, event: str, payload_builder: Callable[[], Announcement], *,
         now: datetime | None = None) -> int:
    """Queue ``event`` for every active endpoint subscribed to it; returns how many were
    queued (0 when the same announcement was already queued). ``payload_builder`` is only
    called when someone listens, in the default language."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = [e for e in db.scalars(select(WebhookEndpoint)
                                       .where(WebhookEndpoint.active.is_(True))
                                       .order_by(WebhookEndpoint.id))
                 if event in (e.events or [])]
    if not endpoints:
        return 0
    now = now or utcnow()
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        announcement = payload_builder()
    queued = 0
    for endpoint in endpoints:
        key = f"webhook:{event}:{announcement.ref}:{endpoint.id}"
        queued += outbox.enqueue_webhook(
            db, endpoint_id=endpoint.id, key=key,
            payload=render(endpoint.flavour, event, announcement, key, now), now=now)
    return queued


def render(flavour: WebhookFlavour, event: str, announcement: Announcement, key: str,
           now: datetime) -> dict:
    """The JSON body of ``announcement`` for an endpoint of ``flavour``."""
    a = announcement
    if flavour == WebhookFlavour.SLACK:
        blocks: list[dict] = [{"type": "section", "text": {
            "type": "mrkdwn", "text": f"*<{a.url}|{_slack(a.title)}>*\n{_slack(a.text)}"}}]
        if a.facts:
            blocks.append({"type": "section", "fields": [
                {"type": "mrkdwn", "text": f"*{_slack(label)}*\n{_slack(value)}"}
                for label, value in a.facts[:10]]})
        return {"text": f"{a.title}: {a.text}", "blocks": blocks}
    if flavour == WebhookFlavour.TEAMS:
        body: list[dict] = [
            {"type": "TextBlock", "text": a.title, "weight": "Bolder", "size": "Medium",
             "wrap": True},
            {"type": "TextBlock", "text": a.text, "wrap": True}]
        if a.facts:
            body.append({"type": "FactSet", "facts": [{"title": label, "value": value}
                                                      for label, value in a.facts]})
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard", "version": "1.4", "body": body,
                "actions": [{"type": "Action.OpenUrl", "title": _("Open in Relais"),
                             "url": a.url}]}
        return {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
             "content": card}]}
    return {"event": event, "id": key, "occurred_at": now.isoformat(), "data": a.data}


def _slack(text: str) -> str:
    """Slack's mrkdwn escapes: a title cannot open a link or mention a channel."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- the two events -------------------------------------------------------------------------


def content_featured(db: Session, item, *, now: datetime | None = None) -> int:
    """A featured item was published (by a curator or on schedule)."""
    def build() -> Announcement:
        from app.notifications.emails import absolute_url, path_for

        url = absolute_url(path_for("sharing.share", item_id=item.id))
        summary = (item.summary or "").strip()
        if len(summary) > 500:
            summary = summary[:499].rstrip() + "…"
        return Announcement(
            ref=f"content:{item.id}", title=item.title,
            text=summary or _("A featured item is ready to share in Relais."), url=url,
            facts=[(_("Featured"), _("Ready to share"))],
            data={"item": {"id": item.id, "title": item.title, "summary": summary,
                           "url": url, "language": item.language,
                           "published_at": item.published_at.isoformat()
                           if item.published_at else None}})

    return emit(db, CONTENT_FEATURED, build, now=now)


def challenge_results(db: Session, challenge, *, winners: int, total: int,
                      now: datetime | None = None) -> int:
    """A challenge closed: counts, and the top three first names unless the board is
    anonymous (see the module's docstring)."""
    def build() -> Announcement:
        from app.gamification.leaderboards import BoardPeriod, BoardSpec, board
        from app.notifications.emails import absolute_url, path_for

        top = board(db, BoardSpec(period=BoardPeriod.CHALLENGE, challenge_id=challenge.id),
                    limit=3, use_cache=False)
        names = [] if top.anonymous else [_first_name(r.name) for r in top.rows]
        url = absolute_url(path_for("gamification.challenge", challenge_id=challenge.id))
        reached = total >= challenge.target
        facts = [(_("Winners"), str(winners)),
                 (_("Total"), _("%(total)d of %(target)d", total=total,
                                target=challenge.target))]
        if names:
            facts.append((_("Top 3"), ", ".join(names)))
        text = ngettext("The challenge is over: %(num)d winner.",
                        "The challenge is over: %(num)d winners.", winners)
        return Announcement(
            ref=f"challenge:{challenge.id}", title=challenge.title, text=text, url=url,
            facts=facts,
            data={"challenge": {"id": challenge.id, "title": challenge.title,
                                "mode": challenge.mode.value, "target": challenge.target,
                                "total": total, "target_reached": reached,
                                "winners": winners, "top_first_names": names,
                                "url": url}})

    return emit(db, CHALLENGE_RESULTS, build, now=now)


def _first_name(name: str) -> str:
    return (name or "").split()[0] if (name or "").split() else "?"


# --- endpoints (admin) ----------------------------------------------------------------------


def _reasons() -> dict[str, str]:
    return {
        "blocked_address": _("This address points to a private or reserved network: Relais "
                             "only calls addresses on the public internet."),
        "bad_scheme": _("Only http:// and https:// addresses can be used."),
        "bad_url": _("This address is not valid."),
        "bad_host": _("This host name is not valid."),
        "no_host": _("This address has no host name."),
        "userinfo": _("Addresses with a user name or password cannot be used."),
        "dns": _("The host name could not be found."),
    }


def error_text(error: str) -> str:
    """A delivery's stored ``last_error`` ("<code>: <detail>", see outbox.py) in the
    reader's language; an unknown code shows as stored."""
    if not error:
        return ""
    code, _sep, detail = error.partition(": ")
    if code.startswith("http_") and code[5:].isdigit():
        status = int(code[5:])
        if 300 <= status < 400:
            return _("The receiver answered HTTP %(code)d, a redirect: redirects are not "
                     "followed.", code=status)
        return _("The receiver answered HTTP %(code)d.", code=status)
    known = {
        "inactive": _("The endpoint is inactive."),
        "secret": _("The signing secret cannot be read: make a new secret."),
        "unreachable": _("The receiver could not be reached."),
        "timeout": _("The receiver took too long to answer."),
        "tls": _("A secure connection to the receiver could not be made."),
        "too_large": _("The receiver's answer was too large."),
        "protocol": _("The receiver sent an invalid answer."),
        "encoding": _("The receiver sent an answer in an unsupported encoding."),
        "decode": _("The receiver sent a corrupted compressed answer."),
        **_reasons(),
    }
    return known.get(code, error)


def check_url(url: str, policy: fetcher.FetchPolicy) -> str:
    """``url`` stripped, or a ``ServiceError`` (field "url") saying why it is refused:
    http(s) only, and every address of the host on the public internet (loopback only
    when the policy allows it: tests). Checked again on every delivery."""
    url = (url or "").strip()
    if not url:
        raise ServiceError(_("Enter the address."), field="url")
    if len(url) > 2000:
        raise ServiceError(_("This address is too long."), field="url")
    try:
        fetcher.check_address(url, policy)
    except fetcher.FetchError as exc:
        raise ServiceError(_reasons().get(exc.reason_code, _("This address cannot be used.")),
                           field="url") from exc
    return url


def _check_fields(name: str, events: list[str], flavour: str) -> tuple[str, list[str],
                                                                       WebhookFlavour]:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the endpoint a name."), field="name")
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise ServiceError(_("Unknown event."), field="events")
    try:
        kind = WebhookFlavour(flavour)
    except ValueError as exc:
        raise ServiceError(_("Unknown format."), field="flavour") from exc
    return name[:100], [e for e in EVENTS if e in events], kind


def new_secret() -> str:
    """256 random bits, URL-safe."""
    return "whsec_" + secrets.token_urlsafe(32)


def _encrypted_new_secret() -> str:
    try:
        return crypto.encrypt(new_secret())
    except RuntimeError:  # production without TOKEN_ENCRYPTION_KEY
        raise ServiceError(_("Set TOKEN_ENCRYPTION_KEY on the server before adding a "
                             "webhook: it encrypts the signing secrets.")) from None


def secret_of(endpoint: WebhookEndpoint) -> str:
    """The signing secret, or "" when it cannot be decrypted (the key changed: make a new
    one)."""
    try:
        return crypto.decrypt(endpoint.secret_encrypted)
    except (crypto.TokenDecryptError, RuntimeError):
        return ""


def create_endpoint(db: Session, actor: Actor, *, name: str, url: str, flavour: str,
                    events: list[str], active: bool, policy: fetcher.FetchPolicy
                    ) -> WebhookEndpoint:
    name, events, kind = _check_fields(name, events, flavour)
    url = check_url(url, policy)
    endpoint = WebhookEndpoint(name=name, url=url, flavour=kind, events=events,
                               active=bool(active), secret_encrypted=_encrypted_new_secret(),
                               created_by_id=actor.user_id, created_at=utcnow(), last_error="")
    db.add(endpoint)
    db.flush()
    record(db, actor, "notifications.webhook_added", target=endpoint, url=url,
           flavour=kind.value, events=events)
    return endpoint


def update_endpoint(db: Session, actor: Actor, endpoint: WebhookEndpoint, *, name: str,
                    url: str, flavour: str, events: list[str], active: bool,
                    policy: fetcher.FetchPolicy) -> None:
    name, events, kind = _check_fields(name, events, flavour)
    url = check_url(url, policy)
    endpoint.name, endpoint.url, endpoint.flavour = name, url, kind
    endpoint.events, endpoint.active = events, bool(active)
    db.flush()
    record(db, actor, "notifications.webhook_updated", target=endpoint, url=url,
           flavour=kind.value, events=events, active=endpoint.active)


def set_active(db: Session, actor: Actor, endpoint: WebhookEndpoint, active: bool) -> None:
    """Deactivating keeps the endpoint and its log; its pending deliveries fail when due."""
    endpoint.active = bool(active)
    db.flush()
    record(db, actor, "notifications.webhook_activated" if active
           else "notifications.webhook_deactivated", target=endpoint)


def rotate_secret(db: Session, actor: Actor, endpoint: WebhookEndpoint) -> None:
    endpoint.secret_encrypted = _encrypted_new_secret()
    db.flush()
    record(db, actor, "notifications.webhook_secret_rotated", target=endpoint)


def delete_endpoint(db: Session, actor: Actor, endpoint: WebhookEndpoint) -> None:
    """The endpoint and its deliveries (the outbox rows cascade) go."""
    record(db, actor, "notifications.webhook_deleted", target=endpoint, url=endpoint.url,
           name=endpoint.name)
    db.delete(endpoint)
    db.flush()


def send_test(db: Session, actor: Actor, endpoint: WebhookEndpoint,
              now: datetime | None = None) -> None:
    """Queue a test message to this endpoint (even inactive ones are refused: say so);
    the delivery job sends it within a minute — a request never waits on the receiver."""
    if not endpoint.active:
        raise ServiceError(_("Activate the endpoint before sending it a test message."))
    now = now or utcnow()
    from app.notifications.emails import absolute_url

    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        announcement = Announcement(
            ref=f"test:{secrets.token_hex(8)}", title=_("Test message from Relais"),
            text=_("This endpoint receives Relais announcements."), url=absolute_url("/"),
            data={"message": "test"})
    key = f"webhook:{TEST}:{announcement.ref}:{endpoint.id}"
    outbox.enqueue_webhook(db, endpoint_id=endpoint.id, key=key,
                           payload=render(endpoint.flavour, TEST, announcement, key, now),
                           now=now)
    record(db, actor, "notifications.webhook_test", target=endpoint)


def list_endpoints(db: Session) -> list[WebhookEndpoint]:
    return list(db.scalars(select(WebhookEndpoint)
                           .order_by(WebhookEndpoint.active.desc(), WebhookEndpoint.name,
                                     WebhookEndpoint.id)))


def delivery_log(db: Session, endpoint_id: int, limit: int = LOG_SIZE) -> list[OutboxMessage]:
    """The endpoint's last deliveries, newest first."""
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.endpoint_id == endpoint_id)
                           .order_by(OutboxMessage.id.desc()).limit(limit)))
