"""Leaderboards: period × scope × metric, read from ``PeriodTotal`` (or, for a challenge's
window, from ``ChallengeProgress``), never from the events.

Rules (docs/gamification-boards.md):

* **Who is ranked**: active, non-erased people with a value above 0 in the period, in the
  scope (company; members of a group; a manager's direct and indirect reports). People
  who opted out (``GamificationProfile.leaderboard_opt_out``) are left out of everyone
  else's board, but the viewer always sees their own row and rank.
* **Ranks**: ordered by value (highest first), then by user id (lowest first), so the
  order is deterministic. Ranks are *competition* ranks ("1, 2, 2, 4"): people with the
  same value share a rank, and the next rank counts everybody above. The viewer's rank is
  ``1 + COUNT(visible people with a higher value)``, one COUNT query: the board itself is
  never loaded to find it, however far down the viewer is.
* **Anonymous boards** (an admin setting) show initials only, except the viewer's own row.
* **Cost**: a constant number of SQL statements whatever the board size: the top N
  (cached, viewer-independent) and the viewer's row with its rank (one statement), plus
  the settings row. The manager's team is a recursive CTE inside the same statements.
* **Cache**: the top-N part is cached per board (``app.common.cache``, TTL
  ``LEADERBOARD_CACHE_SECONDS``); ``invalidate()`` is THE invalidation (one generation
  counter for every board), called after the commit of anything that changes totals.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import lru_cache

from sqlalchemy import ColumnElement, Integer, bindparam, func, select
from sqlalchemy.orm import Session

from app.accounts.models import User, UserStatus, user_groups
from app.accounts.queries import team_members
from app.common.cache import bump_everywhere, cached, get_cache
from app.gamification import services
from app.gamification.models import (
    ChallengeProgress,
    GamificationProfile,
    Metric,
    Period,
    PeriodTotal,
)
from app.gamification.services import period_start

#: the cache namespace of every board; ``invalidate()`` bumps its generation
NAMESPACE = "leaderboards"
DEFAULT_BOARD_SIZE = 10
#: a board never shows more rows than this, whatever the settings say
MAX_BOARD_SIZE = 100


class BoardPeriod(enum.StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    ALL = "all"
    CHALLENGE = "challenge"  # the window of one challenge (its progress rows)


class Scope(enum.StrEnum):
    COMPANY = "company"
    GROUP = "group"
    TEAM = "team"  # a manager's direct and indirect reports


#: the PeriodTotal rows each board period reads
PERIOD_ROWS = {BoardPeriod.WEEK: Period.WEEK, BoardPeriod.MONTH: Period.MONTH,
               BoardPeriod.QUARTER: Period.QUARTER, BoardPeriod.ALL: Period.ALL}


def utc_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(UTC).date()


@dataclass(frozen=True)
class BoardSpec:
    """Which board: what the period/scope/metric pickers chose."""

    period: BoardPeriod = BoardPeriod.MONTH
    metric: Metric = Metric.POINTS
    scope: Scope = Scope.COMPANY
    #: Scope.GROUP
    group_id: int | None = None
    #: Scope.TEAM: whose reports
    manager_id: int | None = None
    #: BoardPeriod.CHALLENGE (the metric is then the challenge's goal)
    challenge_id: int | None = None
    #: first day of the period; None: the current one (UTC)
    start: date | None = None

    def __post_init__(self):
        if self.scope is Scope.GROUP and self.group_id is None:
            raise ValueError("a group board needs group_id")
        if self.scope is Scope.TEAM and self.manager_id is None:
            raise ValueError("a team board needs manager_id")
        if self.period is BoardPeriod.CHALLENGE and self.challenge_id is None:
            raise ValueError("a challenge board needs challenge_id")

    def resolved(self, today: date | None = None) -> BoardSpec:
        """The same board with ``start`` filled in (the current period when unset)."""
        if self.period is BoardPeriod.CHALLENGE or self.start is not None:
            return self
        return replace(self, start=period_start(PERIOD_ROWS[self.period], today or utc_today()))

    def cache_key(self, limit: int) -> str:
        metric = "-" if self.period is BoardPeriod.CHALLENGE else self.metric.value
        return (f"{self.period.value}:{self.start}:{metric}:{self.scope.value}:"
                f"{self.group_id}:{self.manager_id}:{self.challenge_id}:{limit}")


@dataclass(frozen=True)
class Row:
    rank: int
    user_id: int
    #: the person's name, or their initials on an anonymous board
    name: str
    value: int
    is_viewer: bool = False


@dataclass
class Board:
    spec: BoardSpec
    #: the top rows (at most ``limit``), the viewer's included when they are among them
    rows: list[Row]
    #: the viewer's own row when they are ranked (value > 0, in scope), wherever it is
    viewer: Row | None
    anonymous: bool
    limit: int
    #: the viewer's row is not among ``rows`` (show it below the table)
    viewer_below: bool = field(default=False)


def initials(name: str) -> str:
    """"Mia van Manager" → "M. M.": the first letters of the first and last words."""
    words = [w for w in (name or "").replace("-", " ").split() if w[:1].isalpha()]
    if not words:
        return "?"
    picked = [words[0]] if len(words) == 1 else [words[0], words[-1]]
    return " ".join(f"{w[0].upper()}." for w in picked)


# --- the SQL --------------------------------------------------------------------------------
#
# The statements are built once per shape (source × metric × scope kind) with bound
# parameters and reused: building a SELECT costs more Python time than running it on a
# small board, and the same statement object also reuses SQLAlchemy's compiled SQL.

_totals = PeriodTotal.__table__
_progress = ChallengeProgress.__table__
_users = User.__table__
_profiles = GamificationProfile.__table__


def _source(kind: str, metric: str, name: str):
    """(table alias, user id column, value column, row filters) of the board's rows."""
    if kind == "challenge":
        t = _progress.alias(name)
        return t, t.c.user_id, t.c.value, [t.c.challenge_id == bindparam("challenge_id")]
    t = _totals.alias(name)
    return (t, t.c.user_id, t.c[metric],
            [t.c.period == bindparam("period"), t.c.period_start == bindparam("start")])


def _scope(scope: Scope):
    """A function user id column → the conditions putting it in the board's scope (one
    team CTE per statement, however many times the statement refers to it)."""
    if scope is Scope.GROUP:
        members = (select(user_groups.c.user_id)
                   .where(user_groups.c.group_id == bindparam("group_id")).correlate(None))
    elif scope is Scope.TEAM:
        members = team_members(bindparam("manager_id")).correlate(None)
    else:
        return lambda user_id: []
    return lambda user_id: [user_id.in_(members)]


def _visible(person, user_id) -> list[ColumnElement]:
    """Active, not erased, not opted out (``person`` is the joined users alias)."""
    opted_out = (select(_profiles.c.user_id)
                 .where(_profiles.c.leaderboard_opt_out.is_(True)).correlate(None))
    return [person.c.status == UserStatus.ACTIVE, person.c.erased_at.is_(None),
            user_id.not_in(opted_out)]


def _shape(spec: BoardSpec) -> tuple[str, str, Scope]:
    if spec.period is BoardPeriod.CHALLENGE:
        return "challenge", "value", spec.scope
    return "totals", spec.metric.value, spec.scope


@lru_cache(maxsize=64)
def _top_template(kind: str, metric: str, scope: Scope):
    t, user_id, value, filters = _source(kind, metric, "s")
    person = _users.alias("u")
    return (select(user_id, person.c.name, value)
            .select_from(t.join(person, person.c.id == user_id))
            .where(*filters, value > 0, *_visible(person, user_id), *_scope(scope)(user_id))
            .order_by(value.desc(), user_id.asc())
            .limit(bindparam("limit", type_=Integer)))


def _hidden():
    """People who never show on anyone else's board: not active (erasure deactivates for
    good, see ``accounts.services.erase_person``), or opted out. A small set, read through
    the index on ``users.status`` and the profiles table."""
    return (select(_users.c.id)
            .where(_users.c.status.in_([s for s in UserStatus if s is not UserStatus.ACTIVE]))
            .union(select(_profiles.c.user_id)
                   .where(_profiles.c.leaderboard_opt_out.is_(True))))


@lru_cache(maxsize=64)
def _viewer_template(kind: str, metric: str, scope: Scope):
    """The viewer's row and how many visible people are above them, counted as everyone
    above (an index-only range count) minus the hidden people above (a few index probes):
    ten times faster on a 100,000-person board than joining every row above to its
    person."""
    mine, my_id, my_value, my_filters = _source(kind, metric, "mine")
    me = _users.alias("me")
    in_scope = _scope(scope)

    def above(name: str, *extra):
        others, other_id, other_value, other_filters = _source(kind, metric, name)
        return (select(func.count()).select_from(others)
                .where(*other_filters, other_value > my_value, *in_scope(other_id),
                       *(condition(other_id) for condition in extra))
                .correlate(mine).scalar_subquery())

    hidden = _hidden().subquery("hidden")
    everyone = above("others")
    not_shown = above("hidden_others", lambda uid: uid.in_(select(hidden.c.id)))
    return (select(my_value, me.c.name, (everyone - not_shown).label("above"))
            .select_from(mine.join(me, me.c.id == my_id))
            .where(my_id == bindparam("viewer_id"), *my_filters, my_value > 0,
                   *in_scope(my_id)))


def _params(spec: BoardSpec, **extra) -> dict:
    params = dict(extra)
    if spec.period is BoardPeriod.CHALLENGE:
        params["challenge_id"] = spec.challenge_id
    else:
        params["period"] = PERIOD_ROWS[spec.period]
        params["start"] = spec.start
    if spec.scope is Scope.GROUP:
        params["group_id"] = spec.group_id
    elif spec.scope is Scope.TEAM:
        params["manager_id"] = spec.manager_id
    return params


def top_statement(spec: BoardSpec, limit: int):
    """The top ``limit`` visible rows: (user id, name, value), best first; and its
    parameters (``spec`` must be resolved)."""
    return _top_template(*_shape(spec)), _params(spec, limit=limit)


def viewer_statement(spec: BoardSpec, viewer_id: int):
    """The viewer's (value, name, number of visible people above them): one row when the
    viewer is in scope with a value above 0, whether or not they opted out; and its
    parameters."""
    return _viewer_template(*_shape(spec)), _params(spec, viewer_id=viewer_id)


# --- the board --------------------------------------------------------------------------


def _ranked(entries: list[tuple[int, str, int]]) -> list[tuple[int, int, str, int]]:
    """Competition ranks over rows sorted best first: (rank, user id, name, value)."""
    out = []
    for index, (user_id, name, value) in enumerate(entries):
        rank = out[-1][0] if out and out[-1][3] == value else index + 1
        out.append((rank, user_id, name, value))
    return out


def _settings(db: Session) -> tuple[int, bool]:
    row = services.settings(db)
    return max(1, min(MAX_BOARD_SIZE, row.board_size or DEFAULT_BOARD_SIZE)), \
        bool(row.anonymous_boards)


def _cache_ttl() -> float:
    from flask import current_app, has_app_context

    if not has_app_context():
        return 0
    return float(current_app.config.get("LEADERBOARD_CACHE_SECONDS", 0) or 0)


def _top(db: Session, spec: BoardSpec, limit: int, use_cache: bool) -> list[list]:
    def compute() -> list[list]:
        return [[uid, name, int(value)] for uid, name, value
                in db.execute(*top_statement(spec, limit))]

    ttl = _cache_ttl() if use_cache else 0
    if ttl <= 0:
        return compute()
    return cached(get_cache(), NAMESPACE, spec.cache_key(limit), ttl, compute)


def board(db: Session, spec: BoardSpec, *, viewer_id: int | None = None,
          limit: int | None = None, anonymous: bool | None = None,
          today: date | None = None, use_cache: bool = True) -> Board:
    """The board ``spec`` as ``viewer_id`` sees it.

    ``limit`` / ``anonymous`` default to the admins' settings (GamificationSettings);
    ``today`` (UTC) picks the current period when ``spec.start`` is unset. Statements:
    the settings row (unless both are given), the top rows (unless cached) and, with a
    viewer, their own row and rank.
    """
    spec = spec.resolved(today)
    if limit is None or anonymous is None:
        size, anon = _settings(db)
        limit = size if limit is None else limit
        anonymous = anon if anonymous is None else anonymous
    limit = max(1, min(MAX_BOARD_SIZE, limit))
    top = [(uid, name, value) for uid, name, value in _top(db, spec, limit, use_cache)]

    viewer: Row | None = None
    if viewer_id is not None:
        found = db.execute(*viewer_statement(spec, viewer_id)).first()
        if found is not None:
            value, name, above = found
            viewer = Row(rank=int(above) + 1, user_id=viewer_id, name=name, value=int(value),
                         is_viewer=True)
            if all(uid != viewer_id for uid, _n, _v in top):
                # an opted-out viewer is not in the cached list: put them where they belong
                # (the ranks of the people below them shift by one, for their eyes only)
                top.append((viewer_id, name, viewer.value))
                top.sort(key=lambda e: (-e[2], e[0]))
                top = top[:limit]
    rows = []
    for rank, uid, name, value in _ranked(top):
        mine = uid == viewer_id
        rows.append(Row(rank=rank, user_id=uid, name=name if mine or not anonymous
                        else initials(name), value=value, is_viewer=mine))
    if viewer is not None:
        below = not any(r.is_viewer for r in rows)
        return Board(spec=spec, rows=rows, viewer=viewer, anonymous=anonymous, limit=limit,
                     viewer_below=below)
    return Board(spec=spec, rows=rows, viewer=None, anonymous=anonymous, limit=limit)


def invalidate() -> None:
    """THE cache invalidation of every board (one generation counter). Register it with
    ``app.db.after_commit`` whenever totals, progress, opt-outs or settings change."""
    bump_everywhere(NAMESPACE)
