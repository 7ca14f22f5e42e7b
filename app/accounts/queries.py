"""Read-only selects for the account pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from app.accounts.models import (
    AllowedDomain,
    EnrolmentRequest,
    EnrolmentStatus,
    Group,
    GroupKind,
    PolicyAcceptance,
    Role,
    Topic,
    User,
    UserStatus,
    user_groups,
)


@dataclass
class PeopleFilter:
    q: str = ""
    role: str = ""
    status: str = ""
    group_id: int | None = None

    @classmethod
    def from_args(cls, args) -> "PeopleFilter":
        group = args.get("group", "")
        return cls(q=args.get("q", "").strip()[:100],
                   role=args.get("role", "") if args.get("role", "") in Role._value2member_map_
                   else "",
                   status=args.get("status", "")
                   if args.get("status", "") in UserStatus._value2member_map_ else "",
                   group_id=int(group) if group.isdigit() else None)

    def as_args(self) -> dict:
        return {k: v for k, v in {"q": self.q, "role": self.role, "status": self.status,
                                  "group": self.group_id}.items() if v}


def people_statement(flt: PeopleFilter) -> Select:
    """People matching the filter, with what the list shows loaded in a constant number
    of statements (manager joined, groups by selectinload)."""
    manager = aliased(User)
    stmt = (select(User)
            .outerjoin(manager, User.manager_id == manager.id)
            .options(selectinload(User.groups), selectinload(User.manager))
            .order_by(User.name, User.id))
    if flt.q:
        like = f"%{flt.q.lower()}%"
        stmt = stmt.where(or_(User.email.ilike(like), User.name.ilike(like)))
    if flt.role:
        stmt = stmt.where(User.role == Role(flt.role))
    if flt.status:
        stmt = stmt.where(User.status == UserStatus(flt.status))
    if flt.group_id:
        stmt = stmt.where(User.id.in_(select(user_groups.c.user_id)
                                      .where(user_groups.c.group_id == flt.group_id)))
    return stmt


def all_groups(db: Session) -> list[Group]:
    return list(db.scalars(select(Group).order_by(Group.kind, Group.name)))


def group_options(db: Session) -> list:
    """Every group's ``id``, ``name`` and ``kind`` (rows, not ORM objects), ordered by kind
    and name: for the pickers of busy pages (500 groups as objects cost 8 ms a page)."""
    return list(db.execute(select(Group.id, Group.name, Group.kind)
                           .order_by(Group.kind, Group.name)))


def groups_by_kind(db: Session) -> dict[GroupKind, list[Group]]:
    out: dict[GroupKind, list[Group]] = {kind: [] for kind in GroupKind}
    for group in all_groups(db):
        out[group.kind].append(group)
    return out


def group_member_counts(db: Session) -> dict[int, int]:
    from sqlalchemy import func

    return dict(db.execute(select(user_groups.c.group_id, func.count())
                           .group_by(user_groups.c.group_id)).all())


def all_topics(db: Session) -> list[Topic]:
    return list(db.scalars(select(Topic).order_by(Topic.name)))


def managers(db: Session) -> list[User]:
    """People who can be chosen as a manager (anyone active or invited)."""
    return list(db.scalars(select(User).where(User.status != UserStatus.DEACTIVATED,
                                              User.erased_at.is_(None))
                           .order_by(User.name)))


def domains(db: Session) -> list[AllowedDomain]:
    return list(db.scalars(select(AllowedDomain).order_by(AllowedDomain.domain)))


def enrolment_requests(db: Session, status: EnrolmentStatus) -> list[EnrolmentRequest]:
    return list(db.scalars(select(EnrolmentRequest).where(EnrolmentRequest.status == status)
                           .order_by(EnrolmentRequest.created_at.desc()).limit(200)))


def invited_people(db: Session) -> Select:
    return (select(User).where(User.status == UserStatus.INVITED)
            .order_by(User.created_at.desc(), User.id.desc()))


def team_members(manager_id) -> Select:
    """THE definition of a manager's team: direct and indirect reports, as a SELECT of ids
    to embed in another statement (a team of any size costs no extra statement and no huge
    IN list). ``manager_id`` is an id or a bind parameter. A recursive CTE with UNION, not
    UNION ALL: a reporting cycle ends the recursion instead of looping."""
    tree = select(User.id).where(User.manager_id == manager_id).cte("team", recursive=True)
    tree = tree.union(select(User.id).where(User.manager_id == tree.c.id))
    return select(tree.c.id)


def team_ids(db: Session, manager_id: int) -> list[int]:
    """Direct and indirect reports of a manager (one statement)."""
    return list(db.scalars(team_members(manager_id)))


def team_statement(db: Session, manager_id: int) -> Select:
    ids = team_ids(db, manager_id)
    return (select(User).where(User.id.in_(ids), User.erased_at.is_(None))
            .options(selectinload(User.groups), selectinload(User.manager))
            .order_by(User.name, User.id))


def policy_acceptances(db: Session, user_id: int) -> list[PolicyAcceptance]:
    return list(db.scalars(select(PolicyAcceptance)
                           .where(PolicyAcceptance.user_id == user_id)
                           .options(selectinload(PolicyAcceptance.policy_version))
                           .order_by(PolicyAcceptance.accepted_at)))
