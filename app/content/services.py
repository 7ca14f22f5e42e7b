"""Content rules: create and edit items, the lifecycle, scheduling, suggestions, dismissals.

Lifecycle: draft → in_review → scheduled → published → expired / archived. Curators and
admins approve; the employee who suggested a link never approves it. Every move writes a
ContentEvent (who, what, when). Services flush and never commit.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Group, Role, Topic, User
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.common.mail import Mailer
from app.content.models import (
    ContentEvent,
    ContentItem,
    ContentOrigin,
    ContentStatus,
    ContentText,
    Dismissal,
)
from app.content.networks import NETWORKS, compose, count
from app.db import utcnow
from app.notifications.outbox import send_soon

S = ContentStatus
#: what the character limits count in place of each employee's tracked link (a 23-character
#: address, like the shorteners the networks count links as)
PLACEHOLDER_LINK = "https://x.co/" + "x" * 10
#: lifecycle actions, in the order their buttons show
ACTIONS = ("submit", "approve", "publish", "reject", "expire", "archive", "reopen")
#: the actions only curators and admins may take
_APPROVER_ACTIONS = {"approve", "publish", "reject"}
#: which statuses each action starts from
_FROM = {
    "submit": {S.DRAFT},
    "approve": {S.IN_REVIEW},
    "publish": {S.DRAFT, S.IN_REVIEW},
    "reject": {S.IN_REVIEW},
    "expire": {S.PUBLISHED, S.SCHEDULED},
    "archive": {S.DRAFT, S.IN_REVIEW, S.SCHEDULED, S.PUBLISHED, S.EXPIRED},
    "reopen": {S.EXPIRED, S.ARCHIVED},
}


@dataclass
class ItemInput:
    url: str
    title: str
    summary: str = ""
    image_url: str = ""
    language: str = "en"
    topic_ids: Iterable[int] = ()
    group_ids: Iterable[int] = ()
    target_languages: Iterable[str] = ()
    texts: dict[str, str] = field(default_factory=dict)
    hashtags: str = ""
    disclaimer: str = ""
    text_locked: bool = False
    priority: int = 0
    featured: bool = False
    curator_notes: str = ""
    publish_at: datetime | None = None
    expire_at: datetime | None = None


def check_url(url: str) -> str:
    url = (url or "").strip()
    if not re.match(r"^https?://[^\s/?#]+\.[^\s]*$", url, re.IGNORECASE) or len(url) > 2000:
        raise ServiceError(_("Enter the full address of the page, starting with https://"),
                           field="url")
    return url


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "item"


def unique_slug(db: Session, title: str) -> str:
    base = slugify(title)
    slug = base
    while db.scalar(select(ContentItem.id).where(ContentItem.slug == slug)) is not None:
        slug = f"{base}-{secrets.token_hex(2)}"
    return slug


def _event(db: Session, actor: Actor | None, item: ContentItem, action: str,
           from_status: ContentStatus | None, note: str = "") -> None:
    db.add(ContentEvent(item_id=item.id, actor_id=actor.user_id if actor else None,
                        action=action, from_status=from_status.value if from_status else None,
                        to_status=item.status.value, note=note[:2000], at=utcnow()))
    if item.featured and item.status == ContentStatus.PUBLISHED \
            and from_status != ContentStatus.PUBLISHED:
        # every way into "published" (curator, scheduled job) passes here: webhooks
        from app.notifications import webhooks

        webhooks.content_featured(db, item)


def _apply(db: Session, item: ContentItem, data: ItemInput) -> None:
    title = (data.title or "").strip()
    if not title:
        raise ServiceError(_("Enter a title."), field="title")
    if data.language not in ("en", "fr"):
        raise ServiceError(_("Unknown language."), field="language")
    if data.publish_at and data.expire_at and data.expire_at <= data.publish_at:
        raise ServiceError(_("The expiry must come after the publication."), field="expire_at")
    for network, text in data.texts.items():
        if network not in NETWORKS:
            raise ServiceError(_("Unknown network."))
        full = compose(network, text or "", link=PLACEHOLDER_LINK,
                       hashtags=data.hashtags, disclaimer=data.disclaimer)
        if text and count(network, full) > NETWORKS[network].limit:
            raise ServiceError(_("The %(network)s text is too long: %(n)d of %(limit)d "
                                 "characters with the link, hashtags and disclaimer.",
                                 network=NETWORKS[network].label, n=count(network, full),
                                 limit=NETWORKS[network].limit), field=f"text_{network}")
    topic_ids, group_ids = set(data.topic_ids or ()), set(data.group_ids or ())
    topics = list(db.scalars(select(Topic).where(Topic.id.in_(topic_ids)))) if topic_ids else []
    groups = list(db.scalars(select(Group).where(Group.id.in_(group_ids)))) if group_ids else []
    if len(topics) != len(topic_ids) or len(groups) != len(group_ids):
        raise ServiceError(_("Unknown topic or group."))
    item.url = check_url(data.url)
    item.title = title[:300]
    item.summary = (data.summary or "").strip()[:5000]
    image = (data.image_url or "").strip()
    if image and not image.startswith(("https://", "http://", "/")):
        raise ServiceError(_("The image must be an http(s) address."), field="image_url")
    item.image_url = image[:2000]
    item.language = data.language
    item.topics = topics
    item.groups = groups
    item.target_languages = ",".join(sorted({lang for lang in data.target_languages
                                             if lang in ("en", "fr")}))
    item.hashtags = " ".join(t.lstrip("#") for t in (data.hashtags or "").split())[:500]
    item.disclaimer = (data.disclaimer or "").strip()[:1000]
    item.text_locked = bool(data.text_locked)
    item.priority = max(0, min(2, int(data.priority or 0)))
    item.featured = bool(data.featured)
    item.curator_notes = (data.curator_notes or "").strip()[:5000]
    item.publish_at = data.publish_at
    item.expire_at = data.expire_at
    existing = {t.network: t for t in item.texts}
    for network in NETWORKS:
        text = (data.texts.get(network) or "").strip()
        if network in existing:
            existing[network].text = text
        elif text:
            item.texts.append(ContentText(network=network, text=text))
    item.updated_at = utcnow()


def create_item(db: Session, actor: Actor, data: ItemInput, *,
                origin: ContentOrigin = ContentOrigin.CURATOR) -> ContentItem:
    item = ContentItem(slug=unique_slug(db, data.title or "item"), origin=origin,
                       status=ContentStatus.DRAFT, created_by_id=actor.user_id)
    _apply(db, item, data)
    db.add(item)
    db.flush()
    _event(db, actor, item, "created", None)
    record(db, actor, "content.created", target=item, title=item.title)
    return item


def update_item(db: Session, actor: Actor, item: ContentItem, data: ItemInput) -> None:
    if item.status == ContentStatus.ARCHIVED:
        raise ServiceError(_("Archived items cannot be edited. Reopen it first."))
    _apply(db, item, data)
    if item.status == ContentStatus.SCHEDULED and not item.publish_at:
        raise ServiceError(_("A scheduled item needs a publication time."), field="publish_at")
    _event(db, actor, item, "edited", item.status)
    db.flush()


def _move(db: Session, actor: Actor | None, item: ContentItem, action: str,
          to: ContentStatus, note: str = "") -> None:
    if item.status not in _FROM[action]:
        raise ServiceError(_("This item cannot do that now (it is %(status)s).",
                             status=status_label(item.status)))
    before = item.status
    item.status = to
    item.updated_at = utcnow()
    if to == ContentStatus.PUBLISHED:
        item.published_at = utcnow()
    _event(db, actor, item, action, before, note)
    db.flush()


def allowed_actions(item: ContentItem, user: User) -> list[str]:
    """The lifecycle actions that make sense for ``item`` now, for ``user``, in button order.
    In review, "approve" says it all: no second "publish"."""
    allowed = [a for a in ACTIONS if item.status in _FROM[a]]
    if item.status == ContentStatus.IN_REVIEW:
        allowed = [a for a in allowed if a != "publish"]
    if not user.has_role(Role.CURATOR):
        allowed = [a for a in allowed if a not in _APPROVER_ACTIONS]
    return allowed


def _check_approver(user: User, item: ContentItem) -> None:
    if not user.has_role(Role.CURATOR):
        raise ServiceError(_("Only curators and admins approve content."))
    if item.suggested_by_id is not None and item.suggested_by_id == user.id:
        raise ServiceError(_("You suggested this link: another curator must approve it."))


def submit_for_review(db: Session, actor: Actor, item: ContentItem) -> None:
    _move(db, actor, item, "submit", ContentStatus.IN_REVIEW)


def approve(db: Session, actor: Actor, user: User, item: ContentItem, *,
            mailer: Mailer | None = None, now: datetime | None = None,
            action: str = "approve") -> None:
    """In review (or draft, for "publish") → scheduled if publish_at is ahead, else published."""
    _check_approver(user, item)
    now = now or utcnow()
    if item.expire_at and item.expire_at <= now:
        raise ServiceError(_("The expiry time is already past."), field="expire_at")
    target = ContentStatus.SCHEDULED if item.publish_at and item.publish_at > now \
        else ContentStatus.PUBLISHED
    _move(db, actor, item, action, target)
    record(db, actor, f"content.{target.value}", target=item)
    if item.origin == ContentOrigin.SUGGESTION and item.suggested_by_id and mailer:
        _notify_suggester(db, mailer, item, accepted=True)


def publish(db: Session, actor: Actor, user: User, item: ContentItem, *,
            mailer: Mailer | None = None) -> None:
    """A curator's one step from draft: approve at once (scheduled if publish_at is ahead)."""
    approve(db, actor, user, item, mailer=mailer, action="publish")


def reject(db: Session, actor: Actor, user: User, item: ContentItem, note: str = "", *,
           mailer: Mailer | None = None) -> None:
    _check_approver(user, item)
    if item.origin == ContentOrigin.SUGGESTION:
        _move(db, actor, item, "reject", ContentStatus.ARCHIVED, note)
        if mailer and item.suggested_by_id:
            _notify_suggester(db, mailer, item, accepted=False, note=note)
    else:
        _move(db, actor, item, "reject", ContentStatus.DRAFT, note)
    record(db, actor, "content.rejected", target=item)


def expire(db: Session, actor: Actor | None, item: ContentItem) -> None:
    _move(db, actor, item, "expire", ContentStatus.EXPIRED)


def archive(db: Session, actor: Actor, item: ContentItem) -> None:
    _move(db, actor, item, "archive", ContentStatus.ARCHIVED)


def reopen(db: Session, actor: Actor, item: ContentItem) -> None:
    _move(db, actor, item, "reopen", ContentStatus.DRAFT)  # refuses before changing anything
    item.publish_at = None
    item.expire_at = None
    db.flush()


BULK_ACTIONS = {"archive": archive, "expire": expire}


def bulk(db: Session, actor: Actor, item_ids: Iterable[int], action: str) -> tuple[int, int]:
    """Apply archive/expire to many items; returns (done, skipped)."""
    if action not in BULK_ACTIONS:
        raise ServiceError(_("Unknown action."))
    ids = list({int(i) for i in item_ids})[:500]
    if not ids:
        raise ServiceError(_("Select at least one item."))
    done = skipped = 0
    for item in db.scalars(select(ContentItem).where(ContentItem.id.in_(ids))):
        if item.status in _FROM[action]:
            BULK_ACTIONS[action](db, actor, item)
            done += 1
        else:
            skipped += 1
    return done, skipped + (len(ids) - done - skipped)


# --- jobs ---------------------------------------------------------------------------------


def publish_due(db: Session, now: datetime) -> int:
    """Scheduled items whose time has come are published (idempotent)."""
    items = db.scalars(select(ContentItem).where(ContentItem.status == ContentStatus.SCHEDULED,
                                                 ContentItem.publish_at <= now))
    done = 0
    for item in items:
        if item.expire_at and item.expire_at <= now:
            _move(db, None, item, "expire", ContentStatus.EXPIRED, "expired before publication")
        else:
            _publish_scheduled(db, item)
        done += 1
    return done


def _publish_scheduled(db: Session, item: ContentItem) -> None:
    before = item.status
    item.status = ContentStatus.PUBLISHED
    item.published_at = item.publish_at or utcnow()
    item.updated_at = utcnow()
    _event(db, None, item, "published_on_schedule", before)
    db.flush()


def expire_due(db: Session, now: datetime) -> int:
    """Published items past their expiry time expire (idempotent)."""
    items = list(db.scalars(select(ContentItem).where(
        ContentItem.status == ContentStatus.PUBLISHED, ContentItem.expire_at <= now)))
    for item in items:
        expire(db, None, item)
    return len(items)


# --- employees --------------------------------------------------------------------------


def suggest(db: Session, actor: Actor, user: User, *, url: str, title: str = "",
            comment: str = "", summary: str = "", image_url: str = "") -> ContentItem:
    """An employee suggests a link: it goes straight to review, marked with its suggester."""
    url = check_url(url)
    comment = (comment or "").strip()
    if not comment:
        raise ServiceError(_("Say in a few words why colleagues should share it."),
                           field="comment")
    title = (title or "").strip() or url.split("//", 1)[1].split("/", 1)[0]
    item = create_item(db, actor, ItemInput(url=url, title=title, summary=summary,
                                            image_url=image_url, language=user.language),
                       origin=ContentOrigin.SUGGESTION)
    item.suggested_by_id = user.id
    item.suggestion_comment = comment[:2000]
    submit_for_review(db, actor, item)
    record(db, actor, "content.suggested", target=item, url=url)
    return item


def dismiss(db: Session, user: User, item: ContentItem) -> None:
    exists = db.scalar(select(Dismissal.id).where(Dismissal.user_id == user.id,
                                                  Dismissal.item_id == item.id))
    if exists is None:
        db.add(Dismissal(user_id=user.id, item_id=item.id))
        db.flush()


def undismiss(db: Session, user: User, item: ContentItem) -> None:
    row = db.scalar(select(Dismissal).where(Dismissal.user_id == user.id,
                                            Dismissal.item_id == item.id))
    if row is not None:
        db.delete(row)
        db.flush()


def _notify_suggester(db: Session, mailer: Mailer, item: ContentItem, *, accepted: bool,
                      note: str = "") -> None:
    """Tell the employee what became of their suggestion (email after commit)."""
    from app.content import emails

    suggester = db.get(User, item.suggested_by_id)
    if suggester is not None and suggester.erased_at is None:
        send_soon(db, [emails.suggestion_outcome(mailer, suggester, item, accepted=accepted,
                                                 note=note)], mailer=mailer)


def status_label(status: ContentStatus) -> str:
    return {S.DRAFT: _("draft"), S.IN_REVIEW: _("in review"), S.SCHEDULED: _("scheduled"),
            S.PUBLISHED: _("published"), S.EXPIRED: _("expired"),
            S.ARCHIVED: _("archived")}[status]
