"""The versioned social-media policy: publish, accept, and the gate's lookup."""

from __future__ import annotations

import time

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import PolicyAcceptance, PolicyVersion, User
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError

#: the latest version number, cached briefly per process: the gate reads it on every
#: request; a new version reaches every worker within this many seconds
_CACHE_SECONDS = 5.0
_cache: dict[str, tuple[float, int | None]] = {}


def latest_policy(db: Session) -> PolicyVersion | None:
    return db.scalar(select(PolicyVersion).order_by(PolicyVersion.version.desc()).limit(1))


def all_versions(db: Session) -> list[PolicyVersion]:
    """Every published version, newest first (the admin policy page)."""
    return list(db.scalars(select(PolicyVersion).order_by(PolicyVersion.version.desc())))


def latest_version_number(db: Session) -> int | None:
    return db.scalar(select(func.max(PolicyVersion.version)))


def current_policy_version() -> int | None:
    """The gate's cached lookup (web requests only)."""
    from flask import current_app

    from app.common.web import db

    key = current_app.config["DATABASE_URL"]
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is None or now - hit[0] > _CACHE_SECONDS or current_app.testing:
        hit = (now, latest_version_number(db()))
        _cache[key] = hit
    return hit[1]


def publish_policy(db: Session, actor: Actor, *, title: str, body_md: str) -> PolicyVersion:
    title, body_md = (title or "").strip(), (body_md or "").strip()
    if not title:
        raise ServiceError(_("Enter a title."), field="title")
    if not body_md:
        raise ServiceError(_("Enter the policy text."), field="body_md")
    number = (latest_version_number(db) or 0) + 1
    version = PolicyVersion(version=number, title=title[:200], body_md=body_md,
                            published_by_id=actor.user_id)
    db.add(version)
    db.flush()
    _cache.clear()
    record(db, actor, "policy.published", target=version, version=number)
    return version


def accept_policy(db: Session, actor: Actor, user: User, version: PolicyVersion) -> None:
    exists = db.scalar(select(PolicyAcceptance.id).where(
        PolicyAcceptance.user_id == user.id, PolicyAcceptance.policy_version_id == version.id))
    if exists is None:
        db.add(PolicyAcceptance(user_id=user.id, policy_version_id=version.id))
        record(db, actor, "policy.accepted", target=user, version=version.version)
    user.accepted_policy_version = max(user.accepted_policy_version or 0, version.version)
    db.flush()


def acceptance_counts(db: Session) -> dict[int, int]:
    rows = db.execute(select(PolicyAcceptance.policy_version_id, func.count())
                      .group_by(PolicyAcceptance.policy_version_id))
    return dict(rows.all())
