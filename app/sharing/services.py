"""Sharing rules: the one place that decides whether someone may share an item now, the
creation of a share with its tracked link and reach snapshot, and the redirect target.

Services flush and never commit (DESIGN.md). The training gate is in ``may_share`` and
nowhere else (``training_gate``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.accounts.models import Network, SocialAccount, User, UserStatus
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.content.models import ContentItem, ContentStatus
from app.content.networks import compose, count
from app.db import utcnow
from app.sharing.models import ConnectedAccount, Share, ShareMethod, ShareStatus
from app.sharing.networks import SHARE_NETWORKS

#: 8 random bytes → 11 URL-safe characters (64 bits: unguessable, still short)
CODE_BYTES = 8


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    #: where to send the person to lift the block (e.g. the course that unlocks sharing)
    action_url: str | None = None
    action_label: str | None = None


def may_share(db: Session, user: User, item: ContentItem, now: datetime | None = None
              ) -> Decision:
    """THE decision point: may ``user`` share ``item`` now? (The training gate is the
    last check: a required course not passed yet.)"""
    now = now or utcnow()
    if user.status != UserStatus.ACTIVE:
        return Decision(False, _("Your account cannot share."))
    if item.status != ContentStatus.PUBLISHED or (item.expire_at and item.expire_at <= now):
        return Decision(False, _("This item is no longer available for sharing."))
    if not is_targeted_to(db, item, user):
        return Decision(False, _("This item is not meant for you."))
    gate = training_gate(db, user)
    if gate is not None:
        return gate
    return Decision(True)


def training_gate(db: Session, user: User) -> Decision | None:
    """The training gate: a refusal naming the course that unlocks sharing, or None.

    One statement when nothing blocks (``blocking_course_id``); the course's version in
    the person's language is looked up only for a refusal.
    """
    from app.training.links import course_path
    from app.training.services import blocking_course_id, version_for

    blocking = blocking_course_id(db, user)
    if blocking is None:
        return None
    course = version_for(db, blocking, user.language)
    if course is None:  # unpublished meanwhile: blocking_course_id checked it was not
        return None
    return Decision(False, _("Sharing unlocks once you pass the course “%(title)s”.",
                             title=course.title),
                    action_url=course_path(course.id), action_label=_("Go to the course"))


def is_targeted_to(db: Session, item: ContentItem, user: User) -> bool:
    """The queue's targeting rule (app.content.queue.targeted_to), for one item."""
    from app.content.queue import targeted_to

    return bool(db.scalar(select(exists().where(ContentItem.id == item.id,
                                                targeted_to(user)))))


def new_code(db: Session) -> str:
    while True:
        code = secrets.token_urlsafe(CODE_BYTES)
        if db.scalar(select(Share.id).where(Share.code == code)) is None:
            return code


def reach_snapshot(db: Session, user: User, network: str) -> int:
    """Followers of the person's account on that network now (connected, else declared)."""
    connected = db.scalar(select(ConnectedAccount.followers).where(
        ConnectedAccount.user_id == user.id, ConnectedAccount.network == network))
    if connected:
        return connected
    if network not in {n.value for n in Network}:  # e-mail: no declared account, no reach
        return 0
    declared = db.scalar(select(SocialAccount.followers).where(
        SocialAccount.user_id == user.id, SocialAccount.network == network))
    return declared or 0


def final_text(item: ContentItem, network: str, edited: str | None) -> str:
    """The text as shared: the employee's edit unless the item is locked, with hashtags
    and disclaimer; checked against the network's limit (the link included)."""
    rules = SHARE_NETWORKS[network]
    base = item.text_for(rules.text_network) if rules.text_network else ""
    if not item.text_locked and edited is not None:
        base = edited.strip()
    base = base or item.title
    text = compose(rules.text_network or "linkedin", base, hashtags=item.hashtags,
                   disclaimer=item.disclaimer)
    if rules.limit is not None:
        used = count(rules.text_network, compose(rules.text_network, text,
                                                 link="https://r.example/" + "x" * 11))
        if used > rules.limit:
            raise ServiceError(_("Your text is too long for %(network)s: %(n)d of %(limit)d "
                                 "characters with the link.", network=rules.label, n=used,
                                 limit=rules.limit), field="text")
    return text


def create_share(db: Session, actor: Actor, user: User, item: ContentItem, *, network: str,
                 text: str | None, method: ShareMethod = ShareMethod.INTENT,
                 status: ShareStatus = ShareStatus.OPENED,
                 connected_account_id: int | None = None,
                 scheduled_for: datetime | None = None) -> Share:
    if network not in SHARE_NETWORKS:
        raise ServiceError(_("Unknown network."), field="network")
    decision = may_share(db, user, item)
    if not decision.allowed:
        raise ServiceError(decision.reason)
    share = Share(code=new_code(db), user_id=user.id, item_id=item.id, network=network,
                  method=method, status=status, text=final_text(item, network, text),
                  connected_account_id=connected_account_id, scheduled_for=scheduled_for,
                  reach=reach_snapshot(db, user, network), created_at=utcnow())
    db.add(share)
    db.flush()
    record(db, actor, "share.created", target=share, item_id=item.id, network=network,
           method=method.value)
    return share


def redirect_target(item_url: str, *, network: str, campaign: str, code: str) -> str:
    """The item's URL with our UTM parameters, keeping the target's own query string."""
    parts = urlsplit(item_url)
    ours = {"utm_source": network, "utm_medium": "employee_advocacy",
            "utm_campaign": campaign, "utm_content": code}
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ours]
    query.extend(ours.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query),
                       parts.fragment))


def shared_item_ids_subquery(user_id: int):
    """Items this person already shared (the queue leaves them out)."""
    return select(Share.item_id).where(Share.user_id == user_id,
                                       Share.status != ShareStatus.FAILED)


def connected_accounts(db: Session, user: User) -> dict[str, ConnectedAccount]:
    """The person's OAuth-connected accounts that can post, by network."""
    rows = db.scalars(select(ConnectedAccount).where(ConnectedAccount.user_id == user.id))
    return {row.network: row for row in rows}
