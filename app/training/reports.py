"""Training reports (read-only): completion of each course — overall, by group, by
manager's team — the people with their status, the overdue list, CSV rows.

A report is about a course *family* (its original and translations: passing any version
counts) and its *audience*: the active people it is assigned to (everyone, or the members
of its groups). ``scope`` narrows everything to a set of people (a manager's team, direct
and indirect reports); None means the whole company (curators and admins).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from app.accounts.models import Group, User, UserStatus, user_groups
from app.training.models import Certificate, Course, CourseProgress
from app.training.services import audience_condition

#: person statuses in a course report
PASSED, IN_PROGRESS, NOT_STARTED, OVERDUE = "passed", "in_progress", "not_started", "overdue"
STATUSES = (PASSED, IN_PROGRESS, NOT_STARTED, OVERDUE)


def _certificates(family_id: int):
    return (select(Certificate.user_id, Certificate.issued_at, Certificate.score,
                   Certificate.course_id)
            .where(Certificate.family_id == family_id).subquery("cert"))


def _progress(family_id: int):
    return (select(CourseProgress.user_id,
                   func.sum(CourseProgress.attempts).label("attempts"),
                   func.max(CourseProgress.best_score).label("best"),
                   func.min(CourseProgress.started_at).label("started"))
            .join(Course, Course.id == CourseProgress.course_id)
            .where(func.coalesce(Course.translation_of_id, Course.id) == family_id)
            .group_by(CourseProgress.user_id).subquery("prog"))


def _audience_filter(original: Course, scope: Iterable[int] | None):
    conditions = [User.status == UserStatus.ACTIVE, User.erased_at.is_(None),
                  audience_condition(literal(original.id), User.id)]
    if scope is not None:
        conditions.append(User.id.in_(list(scope)))
    return and_(*conditions)


def is_overdue_day(original: Course, today: date) -> bool:
    return original.due_on is not None and today > original.due_on


@dataclass
class Summary:
    audience: int
    completed: int
    in_progress: int
    overdue: int
    #: average best score of the people who submitted at least one attempt
    average_score: float | None

    @property
    def not_started(self) -> int:
        return self.audience - self.completed - self.in_progress

    @property
    def percent(self) -> int:
        return self.completed * 100 // self.audience if self.audience else 0


def summary(db: Session, original: Course, scope: Iterable[int] | None, today: date) -> Summary:
    """One statement: the course's completion numbers over its (scoped) audience."""
    cert, prog = _certificates(original.id), _progress(original.id)
    row = db.execute(
        select(func.count(User.id), func.count(cert.c.user_id),
               func.count(case((and_(cert.c.user_id.is_(None), prog.c.user_id.is_not(None)),
                                User.id))),
               func.avg(prog.c.best))
        .select_from(User)
        .outerjoin(cert, cert.c.user_id == User.id)
        .outerjoin(prog, prog.c.user_id == User.id)
        .where(_audience_filter(original, scope))).one()
    audience, completed, in_progress, average = row
    overdue = audience - completed if is_overdue_day(original, today) else 0
    return Summary(audience=audience, completed=completed, in_progress=in_progress,
                   overdue=overdue,
                   average_score=round(float(average), 1) if average is not None else None)


@dataclass
class GroupRow:
    group: Group
    audience: int
    completed: int
    average_score: float | None
    overdue: int

    @property
    def percent(self) -> int:
        return self.completed * 100 // self.audience if self.audience else 0


def by_group(db: Session, original: Course, scope: Iterable[int] | None, today: date
             ) -> list[GroupRow]:
    """Completion per group, for the groups that have people in the audience."""
    cert, prog = _certificates(original.id), _progress(original.id)
    rows = db.execute(
        select(user_groups.c.group_id, func.count(User.id), func.count(cert.c.user_id),
               func.avg(prog.c.best))
        .select_from(User)
        .join(user_groups, user_groups.c.user_id == User.id)
        .outerjoin(cert, cert.c.user_id == User.id)
        .outerjoin(prog, prog.c.user_id == User.id)
        .where(_audience_filter(original, scope))
        .group_by(user_groups.c.group_id)).all()
    groups = {g.id: g for g in db.scalars(select(Group).where(
        Group.id.in_([r[0] for r in rows])))}
    late = is_overdue_day(original, today)
    out = [GroupRow(group=groups[gid], audience=n, completed=done,
                    average_score=round(float(avg), 1) if avg is not None else None,
                    overdue=(n - done) if late else 0)
           for gid, n, done, avg in rows if gid in groups]
    out.sort(key=lambda r: (r.group.kind.value, r.group.name))
    return out


@dataclass
class TeamRow:
    manager_id: int
    manager_name: str
    audience: int
    completed: int
    overdue: int
    average_score: float | None

    @property
    def percent(self) -> int:
        return self.completed * 100 // self.audience if self.audience else 0


def by_team(db: Session, original: Course, today: date, *, within: int | None = None
            ) -> list[TeamRow]:
    """Completion per manager's team (direct and indirect reports). ``within``: only the
    managers inside this manager's own tree (a manager's view), themselves included.

    The reporting lines are read once and walked in Python (each person counts for
    every manager above them), so the cost is one pass over the people, not one
    recursive query per manager."""
    lines = db.execute(select(User.id, User.manager_id, User.name)
                       .where(User.erased_at.is_(None))).all()
    parent = {uid: mid for uid, mid, _name in lines}
    names = {uid: name for uid, _mid, name in lines}
    cert, prog = _certificates(original.id), _progress(original.id)
    people = db.execute(select(User.id, cert.c.user_id.is_not(None), prog.c.best)
                        .select_from(User)
                        .outerjoin(cert, cert.c.user_id == User.id)
                        .outerjoin(prog, prog.c.user_id == User.id)
                        .where(_audience_filter(original, None))).all()
    totals: dict[int, list] = {}
    for uid, passed, best in people:
        seen = set()
        manager = parent.get(uid)
        while manager is not None and manager not in seen:  # guard against a cycle
            seen.add(manager)
            entry = totals.setdefault(manager, [0, 0, 0.0, 0])
            entry[0] += 1
            entry[1] += 1 if passed else 0
            if best is not None:
                entry[2] += best
                entry[3] += 1
            manager = parent.get(manager)
    if within is not None:
        allowed = {within}
        for uid in parent:  # everybody whose chain reaches ``within``
            chain, node = set(), parent.get(uid)
            while node is not None and node not in chain:
                if node == within:
                    allowed.add(uid)
                    break
                chain.add(node)
                node = parent.get(node)
        totals = {mid: t for mid, t in totals.items() if mid in allowed}
    late = is_overdue_day(original, today)
    rows = [TeamRow(manager_id=mid, manager_name=names.get(mid, "?"), audience=t[0],
                    completed=t[1], overdue=(t[0] - t[1]) if late else 0,
                    average_score=round(t[2] / t[3], 1) if t[3] else None)
            for mid, t in totals.items()]
    rows.sort(key=lambda r: (r.manager_id != within, r.manager_name.lower(), r.manager_id))
    return rows


def people_statement(original: Course, scope: Iterable[int] | None, today: date,
                     status: str = "", q: str = "") -> Select:
    """One row per person of the (scoped) audience: user id, name, email, manager name,
    passed at, certificate score, language passed, attempts, best score, started at."""
    cert, prog = _certificates(original.id), _progress(original.id)
    manager = aliased(User)
    passed_version = aliased(Course)
    stmt = (select(User.id, User.name, User.email, manager.name.label("manager"),
                   cert.c.issued_at, cert.c.score, passed_version.language,
                   prog.c.attempts, prog.c.best, prog.c.started)
            .select_from(User)
            .outerjoin(manager, manager.id == User.manager_id)
            .outerjoin(cert, cert.c.user_id == User.id)
            .outerjoin(passed_version, passed_version.id == cert.c.course_id)
            .outerjoin(prog, prog.c.user_id == User.id)
            .where(_audience_filter(original, scope))
            .order_by(User.name, User.id))
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(User.name).like(like),
                              func.lower(User.email).like(like)))
    if status == PASSED:
        stmt = stmt.where(cert.c.user_id.is_not(None))
    elif status == IN_PROGRESS:
        stmt = stmt.where(cert.c.user_id.is_(None), prog.c.user_id.is_not(None))
    elif status == NOT_STARTED:
        stmt = stmt.where(cert.c.user_id.is_(None), prog.c.user_id.is_(None))
    elif status == OVERDUE:
        stmt = stmt.where(cert.c.user_id.is_(None))
        if not is_overdue_day(original, today):
            stmt = stmt.where(literal(False))
    return stmt


def person_status(row, original: Course, today: date) -> str:
    if row.issued_at is not None:
        return PASSED
    if is_overdue_day(original, today):
        return OVERDUE
    return IN_PROGRESS if row.started is not None else NOT_STARTED


def overdue_statement(originals: list[Course], scope: Iterable[int] | None, today: date
                      ) -> Select | None:
    """People who have not passed a course whose due date is over: (course id, course
    title, due date, user id, name, email, manager name), most overdue first. None when no
    course is overdue."""
    late = [c for c in originals if is_overdue_day(c, today)]
    if not late:
        return None
    parts = []
    for original in late:
        manager = aliased(User)
        cert = _certificates(original.id)
        parts.append(
            select(literal(original.id).label("course_id"),
                   literal(original.title).label("course_title"),
                   literal(original.due_on).label("due_on"),
                   User.id.label("user_id"), User.name.label("name"),
                   User.email.label("email"), manager.name.label("manager"))
            .select_from(User)
            .outerjoin(manager, manager.id == User.manager_id)
            .outerjoin(cert, cert.c.user_id == User.id)
            .where(_audience_filter(original, scope), cert.c.user_id.is_(None)))
    union = union_all(*parts).subquery("overdue")
    return select(union).order_by(union.c.due_on, union.c.course_id, union.c.name,
                                  union.c.user_id)
