"""Challenges: a goal, a window, an audience, an optional topic and reward.

Rules (docs/gamification-boards.md):

* Curators and admins create, edit and delete challenges. The end must come after the
  start; a challenge cannot start in the past (see "What counts"). Once it has started,
  its goal, mode, target, topic, audience and start are fixed (the title, description,
  reward and end may still change); once closed it is history: read-only, not deletable.
* **What counts**: ``apply_counted`` (called by the award pipeline in the same
  transaction as each new ledger entry) adds an event to the progress of every open
  challenge whose window contains the event's time, whose audience (its groups, or
  everyone) contains the person and whose topic, if any, is a topic of the event's item.
  Since a challenge cannot start before it is created, every event inside its window
  happens after its creation: nothing needs a backfill and no event is counted twice.
  Challenge prizes (CHALLENGE_WON) never count towards another challenge.
* **Closing**: ``close_due`` closes challenges whose end is ``delay`` past (the award job
  counts events a few minutes late; the delay lets the window's last events arrive). EACH:
  every participant whose value reached the target wins; TEAM: when the audience's total
  reached the target, everyone who contributed (value > 0) wins. Winners are paid through
  ``services.award(action=CHALLENGE_WON, key="challenge:<id>:user:<uid>")`` (once per key)
  and told in the bell; the other participants get a "challenge closed" notice.
  ``closed_at`` is set in the same transaction, so closing twice changes nothing.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Group, Topic, User, UserStatus, user_groups
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.content.models import content_item_topics
from app.db import dialect_insert, utcnow
from app.gamification.models import (
    Action,
    Challenge,
    ChallengeGoal,
    ChallengeMode,
    ChallengeProgress,
    challenge_groups,
)
from app.gamification.types import Counted
from app.notifications.kinds import notice_kind
from app.notifications.services import notify

#: which field of a counted event each goal adds up
GOAL_FIELD = {ChallengeGoal.SHARES: "shares", ChallengeGoal.UNIQUE_CLICKS: "unique_clicks",
              ChallengeGoal.CONVERSIONS: "conversions", ChallengeGoal.POINTS: "points"}
#: prizes do not feed other challenges (no win → points → win loop)
NOT_COUNTED = frozenset({Action.CHALLENGE_WON})
#: a start this little in the past (the minutes spent filling the form) means "now"
START_TOLERANCE = timedelta(minutes=5)
MAX_TARGET = 1_000_000_000


class ChallengeState(enum.StrEnum):
    UPCOMING = "upcoming"
    ACTIVE = "active"
    CLOSING = "closing"  # ended; the closing job has not paid the winners yet
    CLOSED = "closed"


def state(challenge: Challenge, now: datetime) -> ChallengeState:
    if challenge.closed_at is not None:
        return ChallengeState.CLOSED
    if now < challenge.starts_at:
        return ChallengeState.UPCOMING
    if now < challenge.ends_at:
        return ChallengeState.ACTIVE
    return ChallengeState.CLOSING


def state_label(value: ChallengeState) -> str:
    return {ChallengeState.UPCOMING: _("upcoming"), ChallengeState.ACTIVE: _("active"),
            ChallengeState.CLOSING: _("results coming"),
            ChallengeState.CLOSED: _("closed")}[value]


def goal_label(goal: ChallengeGoal) -> str:
    return {ChallengeGoal.SHARES: _("shares"), ChallengeGoal.UNIQUE_CLICKS: _("unique clicks"),
            ChallengeGoal.CONVERSIONS: _("conversions"), ChallengeGoal.POINTS: _("points")}[goal]


def mode_label(mode: ChallengeMode) -> str:
    return {ChallengeMode.EACH: _("each participant"),
            ChallengeMode.TEAM: _("everyone together")}[mode]


def goal_text(challenge: Challenge) -> str:
    """"5 shares each" / "200 unique clicks together, on items about Cloud"."""
    # one whole sentence per goal and mode, with its plural forms: translators get the
    # grammar right ("1 share", "2 partages") instead of a number glued to a plural label
    n, each = challenge.target, challenge.mode is ChallengeMode.EACH
    phrases = {
        ChallengeGoal.SHARES: (
            ngettext("%(num)s share each", "%(num)s shares each", n) if each
            else ngettext("%(num)s share together", "%(num)s shares together", n)),
        ChallengeGoal.UNIQUE_CLICKS: (
            ngettext("%(num)s unique click each", "%(num)s unique clicks each", n) if each
            else ngettext("%(num)s unique click together", "%(num)s unique clicks together",
                          n)),
        ChallengeGoal.CONVERSIONS: (
            ngettext("%(num)s conversion each", "%(num)s conversions each", n) if each
            else ngettext("%(num)s conversion together", "%(num)s conversions together", n)),
        ChallengeGoal.POINTS: (
            ngettext("%(num)s point each", "%(num)s points each", n) if each
            else ngettext("%(num)s point together", "%(num)s points together", n)),
    }
    text = phrases[challenge.goal]
    if challenge.topic is not None:
        text = _("%(goal)s, on items about %(topic)s", goal=text, topic=challenge.topic.name)
    return text


# --- create, edit, delete ----------------------------------------------------------------


@dataclass
class ChallengeInput:
    title: str
    ends_at: datetime
    goal: ChallengeGoal
    mode: ChallengeMode
    target: int
    #: None: now
    starts_at: datetime | None = None
    description: str = ""
    topic_id: int | None = None
    group_ids: Sequence[int] = ()
    reward: str = ""


def _groups(db: Session, ids: Iterable[int]) -> list[Group]:
    wanted = set(ids)
    if not wanted:
        return []
    found = list(db.scalars(select(Group).where(Group.id.in_(wanted)).order_by(Group.name)))
    if len(found) != len(wanted):
        raise ServiceError(_("One of the chosen groups no longer exists."), field="group_ids")
    return found


def _check(db: Session, data: ChallengeInput, starts_at: datetime) -> None:
    if not (data.title or "").strip():
        raise ServiceError(_("Give the challenge a title."), field="title")
    if not 1 <= data.target <= MAX_TARGET:
        raise ServiceError(_("The target must be a whole number of at least 1."),
                           field="target")
    if data.ends_at <= starts_at:
        raise ServiceError(_("The end must come after the start."), field="ends_at")
    if data.topic_id is not None and db.get(Topic, data.topic_id) is None:
        raise ServiceError(_("This topic no longer exists."), field="topic_id")


def _start(data: ChallengeInput, now: datetime) -> datetime:
    starts_at = data.starts_at or now
    if starts_at < now - START_TOLERANCE:
        raise ServiceError(_("A challenge cannot start in the past: only events from its "
                             "creation on are counted."), field="starts_at")
    return max(starts_at, now)


def create(db: Session, actor: Actor, data: ChallengeInput, *,
           now: datetime | None = None) -> Challenge:
    now = now or utcnow()
    starts_at = _start(data, now)
    _check(db, data, starts_at)
    challenge = Challenge(
        title=data.title.strip(), description=data.description or "", starts_at=starts_at,
        ends_at=data.ends_at, goal=data.goal, mode=data.mode, target=data.target,
        topic_id=data.topic_id, reward=(data.reward or "").strip(),
        created_by_id=actor.user_id, created_at=now, groups=_groups(db, data.group_ids))
    db.add(challenge)
    db.flush()
    record(db, actor, "challenge.created", target=challenge, title=challenge.title)
    return challenge


def update(db: Session, actor: Actor, challenge: Challenge, data: ChallengeInput, *,
           now: datetime | None = None) -> None:
    now = now or utcnow()
    if challenge.closed_at is not None:
        raise ServiceError(_("This challenge is closed: it can no longer change."))
    if now >= challenge.starts_at:
        # started: what people are competing for is fixed
        changed = (data.goal != challenge.goal or data.mode != challenge.mode
                   or data.target != challenge.target or data.topic_id != challenge.topic_id
                   or set(data.group_ids) != {g.id for g in challenge.groups}
                   or (data.starts_at is not None
                       and abs(data.starts_at - challenge.starts_at) >= timedelta(minutes=1)))
        if changed:
            raise ServiceError(_("The challenge has started: its goal, target, topic, audience "
                                 "and start can no longer change."), field="goal")
        if data.ends_at != challenge.ends_at and data.ends_at <= now:
            raise ServiceError(_("A running challenge can only end in the future."),
                               field="ends_at")
        starts_at = challenge.starts_at
    else:
        starts_at = _start(data, now)
    _check(db, data, starts_at)
    challenge.title = data.title.strip()
    challenge.description = data.description or ""
    challenge.reward = (data.reward or "").strip()
    challenge.ends_at = data.ends_at
    if now < challenge.starts_at:
        challenge.starts_at = starts_at
        challenge.goal, challenge.mode, challenge.target = data.goal, data.mode, data.target
        challenge.topic_id = data.topic_id
        challenge.groups = _groups(db, data.group_ids)
    db.flush()
    record(db, actor, "challenge.updated", target=challenge, title=challenge.title)


def delete(db: Session, actor: Actor, challenge: Challenge) -> None:
    if challenge.closed_at is not None:
        raise ServiceError(_("A closed challenge is history: it cannot be deleted."))
    record(db, actor, "challenge.deleted", target=challenge, title=challenge.title)
    db.delete(challenge)
    db.flush()


# --- counting ------------------------------------------------------------------------------


def _progress_upsert(db: Session, increments: dict[tuple[int, int], int]) -> None:
    """Add to (challenge, person) progress rows, creating them: one INSERT … ON CONFLICT DO
    UPDATE for the batch, so two concurrent awards never lose an increment."""
    if not increments:
        return
    table = ChallengeProgress.__table__
    stmt = dialect_insert(db, table).values([
        {"challenge_id": cid, "user_id": uid, "value": value, "won": False}
        for (cid, uid), value in sorted(increments.items())])
    db.execute(stmt.on_conflict_do_update(
        index_elements=[table.c.challenge_id, table.c.user_id],
        set_={"value": table.c.value + stmt.excluded.value}))


def apply_counted(db: Session, counted: list[Counted]) -> None:
    """Add newly counted events to the progress of the open challenges they belong to.

    At most four statements per batch, whatever its size: the open challenges whose window
    meets the batch, their groups, the people's memberships / the items' topics when a
    challenge needs them, and one upsert.
    """
    events = [c for c in counted if c.action not in NOT_COUNTED]
    if not events:
        return
    first = min(c.occurred_at for c in events)
    last = max(c.occurred_at for c in events)
    open_ = db.execute(
        select(Challenge.id, Challenge.starts_at, Challenge.ends_at, Challenge.goal,
               Challenge.topic_id)
        .where(Challenge.closed_at.is_(None), Challenge.starts_at <= last,
               Challenge.ends_at > first)).all()
    if not open_:
        return
    audience: dict[int, set[int]] = defaultdict(set)
    for cid, gid in db.execute(select(challenge_groups.c.challenge_id,
                                      challenge_groups.c.group_id)
                               .where(challenge_groups.c.challenge_id.in_(
                                   [c.id for c in open_]))):
        audience[cid].add(gid)
    pairs = [(c, ch) for c in events for ch in open_
             if ch.starts_at <= c.occurred_at < ch.ends_at and getattr(c, GOAL_FIELD[ch.goal])]
    if not pairs:
        return
    memberships: dict[int, set[int]] = defaultdict(set)
    wanted_groups = set().union(*(audience[ch.id] for _c, ch in pairs))
    if wanted_groups:
        for uid, gid in db.execute(select(user_groups.c.user_id, user_groups.c.group_id).where(
                user_groups.c.user_id.in_({c.user_id for c, _ch in pairs}),
                user_groups.c.group_id.in_(wanted_groups))):
            memberships[uid].add(gid)
    topics: dict[int, set[int]] = defaultdict(set)
    wanted_topics = {ch.topic_id for _c, ch in pairs if ch.topic_id is not None}
    wanted_items = {c.item_id for c, _ch in pairs if c.item_id is not None}
    if wanted_topics and wanted_items:
        for iid, tid in db.execute(
                select(content_item_topics.c.item_id, content_item_topics.c.topic_id).where(
                    content_item_topics.c.item_id.in_(wanted_items),
                    content_item_topics.c.topic_id.in_(wanted_topics))):
            topics[iid].add(tid)
    increments: dict[tuple[int, int], int] = defaultdict(int)
    for c, ch in pairs:
        if audience[ch.id] and not audience[ch.id] & memberships[c.user_id]:
            continue
        if ch.topic_id is not None and (c.item_id is None
                                        or ch.topic_id not in topics[c.item_id]):
            continue
        increments[(ch.id, c.user_id)] += int(getattr(c, GOAL_FIELD[ch.goal]))
    _progress_upsert(db, {k: v for k, v in increments.items() if v})


# --- closing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Winner:
    challenge_id: int
    user_id: int
    value: int


def _participants(db: Session, challenge_id: int) -> list[ChallengeProgress]:
    """Progress rows of active, non-erased people with something to show, best first."""
    return list(db.scalars(
        select(ChallengeProgress).join(User, User.id == ChallengeProgress.user_id)
        .where(ChallengeProgress.challenge_id == challenge_id, ChallengeProgress.value > 0,
               User.status == UserStatus.ACTIVE, User.erased_at.is_(None))
        .order_by(ChallengeProgress.value.desc(), ChallengeProgress.user_id)
        # the progress upsert bypasses the identity map: never trust a loaded copy
        .execution_options(populate_existing=True)))


def close_due(db: Session, now: datetime, *, delay: timedelta = timedelta(0)) -> list[Winner]:
    """Close every open challenge that ended at least ``delay`` before ``now``: mark and pay
    the winners, tell the participants. Idempotent (closed challenges are skipped; each
    prize has its own ledger key)."""
    from app.gamification import services  # the award pipeline imports this module

    winners: list[Winner] = []
    due = db.scalars(select(Challenge)
                     .where(Challenge.closed_at.is_(None), Challenge.ends_at <= now - delay)
                     .order_by(Challenge.ends_at, Challenge.id)).all()
    for challenge in due:
        rows = _participants(db, challenge.id)
        total = int(db.scalar(select(func.coalesce(func.sum(ChallengeProgress.value), 0))
                              .where(ChallengeProgress.challenge_id == challenge.id,
                                     ChallengeProgress.value > 0)) or 0)
        if challenge.mode is ChallengeMode.EACH:
            won = [p for p in rows if p.value >= challenge.target]
        else:
            won = rows if total >= challenge.target else []
        won_ids = {p.user_id for p in won}
        params = {"title": challenge.title, "challenge_id": challenge.id,
                  "mode": challenge.mode.value, "target": challenge.target, "total": total,
                  "reward": challenge.reward}
        link = ("gamification.challenge", {"challenge_id": challenge.id})
        for p in rows:
            if p.user_id in won_ids:
                p.won = True
                services.award(db, user_id=p.user_id, action=Action.CHALLENGE_WON,
                               key=f"challenge:{challenge.id}:user:{p.user_id}",
                               occurred_at=now, source_type="challenge",
                               source_id=challenge.id, now=now)
                notify(db, user_id=p.user_id, kind="gamification.challenge_won",
                       params={**params, "value": p.value}, link=link, now=now)
                winners.append(Winner(challenge.id, p.user_id, p.value))
            else:
                notify(db, user_id=p.user_id, kind="gamification.challenge_closed",
                       params={**params, "value": p.value}, link=link, now=now)
        challenge.closed_at = now
        db.flush()
        from app.notifications import webhooks  # imports the boards, which import us

        webhooks.challenge_results(db, challenge, winners=len(won_ids), total=total, now=now)
    return winners


def announce_started(db: Session, now: datetime) -> int:
    """Tell the audience of each challenge that has started, once: a "challenge started"
    notice per active person of its audience (e-mailed as their preferences allow, loaded
    once per challenge). ``announced_at`` is set in the same transaction, so a second run
    tells nobody again; a challenge that ended before it could be announced is only
    marked. Returns how many notices were written."""
    from app.notifications.preferences import recipients

    due = db.scalars(select(Challenge)
                     .where(Challenge.announced_at.is_(None), Challenge.closed_at.is_(None),
                            Challenge.starts_at <= now)
                     .options(selectinload(Challenge.groups))
                     .order_by(Challenge.starts_at, Challenge.id)).all()
    told = 0
    for challenge in due:
        if challenge.ends_at > now:
            people = select(User.id).where(User.status == UserStatus.ACTIVE,
                                           User.erased_at.is_(None))
            if challenge.groups:
                people = people.where(User.id.in_(select(user_groups.c.user_id).where(
                    user_groups.c.group_id.in_([g.id for g in challenge.groups]))))
            ids = list(db.scalars(people.order_by(User.id)))
            known = recipients(db, ids)
            params = {"title": challenge.title, "challenge_id": challenge.id,
                      "reward": challenge.reward}
            link = ("gamification.challenge", {"challenge_id": challenge.id})
            for uid in ids:
                notify(db, user_id=uid, kind="gamification.challenge_started", params=params,
                       link=link, now=now, recipients=known)
            told += len(ids)
        challenge.announced_at = now
    db.flush()
    return told


# --- reading ---------------------------------------------------------------------------------


def audience_condition(user_id: int):
    """Challenges whose audience contains ``user_id`` (no groups: everyone)."""
    mine = select(user_groups.c.group_id).where(user_groups.c.user_id == user_id)
    return or_(~Challenge.groups.any(), Challenge.groups.any(Group.id.in_(mine)))


def in_audience(db: Session, challenge: Challenge, user_id: int) -> bool:
    if not challenge.groups:
        return True
    return db.scalar(select(func.count()).select_from(user_groups).where(
        user_groups.c.user_id == user_id,
        user_groups.c.group_id.in_([g.id for g in challenge.groups]))) > 0


def for_person(db: Session, user_id: int, now: datetime) -> dict[str, list[Challenge]]:
    """The challenges of ``user_id``'s audience: active (ending first), upcoming (starting
    first) and the 20 most recent past ones."""
    base = (select(Challenge).where(audience_condition(user_id))
            .options(selectinload(Challenge.topic)))
    active = db.scalars(base.where(Challenge.starts_at <= now, Challenge.ends_at > now)
                        .order_by(Challenge.ends_at, Challenge.id)).all()
    upcoming = db.scalars(base.where(Challenge.starts_at > now)
                          .order_by(Challenge.starts_at, Challenge.id)).all()
    past = db.scalars(base.where(Challenge.ends_at <= now)
                      .order_by(Challenge.ends_at.desc(), Challenge.id.desc()).limit(20)).all()
    return {"active": list(active), "upcoming": list(upcoming), "past": list(past)}


def curator_statement() -> Select:
    return (select(Challenge).options(selectinload(Challenge.groups),
                                      selectinload(Challenge.topic))
            .order_by(Challenge.starts_at.desc(), Challenge.id.desc()))


def board_challenges(db: Session, user_id: int, now: datetime, limit: int = 10
                     ) -> list[Challenge]:
    """Challenges offered as a leaderboard period: started ones of the person's audience,
    most recent first."""
    return list(db.scalars(select(Challenge)
                           .where(audience_condition(user_id), Challenge.starts_at <= now)
                           .order_by(Challenge.starts_at.desc(), Challenge.id.desc())
                           .limit(limit)))


@dataclass(frozen=True)
class Progress:
    #: the viewer's own count (0 without a progress row)
    mine: int
    won: bool
    #: everyone's counts added up
    total: int
    #: people with a count above 0
    participants: int
    #: people whose count reached the target
    reached: int
    #: active people in the audience
    audience: int
    target: int
    mode: ChallengeMode

    @property
    def mine_pct(self) -> int:
        return min(100, round(100 * self.mine / self.target)) if self.target else 0

    @property
    def team_value(self) -> int:
        """The team bar: the total (TEAM) or how many reached the target (EACH)."""
        return self.total if self.mode is ChallengeMode.TEAM else self.reached

    @property
    def team_max(self) -> int:
        return self.target if self.mode is ChallengeMode.TEAM else max(1, self.audience)

    @property
    def team_pct(self) -> int:
        return min(100, round(100 * self.team_value / self.team_max)) if self.team_max else 0


def progress(db: Session, challenge: Challenge, user_id: int | None) -> Progress:
    """The viewer's and the audience's progress: three statements."""
    mine_row = None
    if user_id is not None:
        mine_row = db.execute(select(ChallengeProgress.value, ChallengeProgress.won).where(
            ChallengeProgress.challenge_id == challenge.id,
            ChallengeProgress.user_id == user_id)).first()
    total, participants, reached = db.execute(
        select(func.coalesce(func.sum(ChallengeProgress.value), 0),
               func.count(ChallengeProgress.id),
               func.coalesce(func.sum(
                   case((ChallengeProgress.value >= challenge.target, 1), else_=0)), 0))
        .where(ChallengeProgress.challenge_id == challenge.id,
               ChallengeProgress.value > 0)).one()
    people = select(func.count(User.id)).where(User.status == UserStatus.ACTIVE,
                                               User.erased_at.is_(None))
    if challenge.groups:
        people = people.where(User.id.in_(select(user_groups.c.user_id).where(
            user_groups.c.group_id.in_([g.id for g in challenge.groups]))))
    return Progress(mine=int(mine_row[0]) if mine_row else 0,
                    won=bool(mine_row[1]) if mine_row else False, total=int(total),
                    participants=int(participants), reached=int(reached),
                    audience=int(db.scalar(people) or 0), target=challenge.target,
                    mode=challenge.mode)


def values_of(db: Session, user_id: int, challenge_ids: Iterable[int]) -> dict[int, int]:
    """``user_id``'s count in each of these challenges (one statement; missing: 0)."""
    ids = list(challenge_ids)
    if not ids:
        return {}
    return dict(db.execute(select(ChallengeProgress.challenge_id, ChallengeProgress.value)
                           .where(ChallengeProgress.user_id == user_id,
                                  ChallengeProgress.challenge_id.in_(ids))).all())


def winners(db: Session, challenge_id: int, limit: int = 100) -> list[tuple[int, str, int]]:
    """(user id, name, value) of the winners, best first, at most ``limit``."""
    return [tuple(r) for r in db.execute(
        select(User.id, User.name, ChallengeProgress.value)
        .join(User, User.id == ChallengeProgress.user_id)
        .where(ChallengeProgress.challenge_id == challenge_id, ChallengeProgress.won.is_(True),
               User.erased_at.is_(None))
        .order_by(ChallengeProgress.value.desc(), User.id).limit(limit))]


# --- notices ---------------------------------------------------------------------------------


@notice_kind("gamification.challenge_won", email_category="challenges")
def _won_notice(params: dict) -> str:
    text = _("You won the challenge “%(title)s”!", title=params.get("title", ""))
    if params.get("reward"):
        text += " " + _("Reward: %(reward)s", reward=params["reward"])
    return text


@notice_kind("gamification.challenge_closed", email_category="challenges")
def _closed_notice(params: dict) -> str:
    title = params.get("title", "")
    if params.get("mode") == ChallengeMode.TEAM.value:
        return _("The challenge “%(title)s” is over: together you reached %(total)s of "
                 "%(target)s.", title=title, total=params.get("total", 0),
                 target=params.get("target", 0))
    return _("The challenge “%(title)s” is over: you reached %(value)s of %(target)s.",
             title=title, value=params.get("value", 0), target=params.get("target", 0))

