"""Leaderboards page (period × scope × metric pickers) and a report's activity page for
their manager."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts import queries as account_queries
from app.accounts.models import Group, Role, User
from app.common.pagination import paginate
from app.common.web import db, get_or_404
from app.db import utcnow
from app.gamification import bp, challenges, leaderboards, levels, services, team_queries
from app.gamification.leaderboards import BoardPeriod, BoardSpec, Scope, utc_today
from app.gamification.models import Challenge, ChallengeGoal, Metric

PERIOD_LABELS = {BoardPeriod.WEEK: _l("This week"), BoardPeriod.MONTH: _l("This month"),
                 BoardPeriod.QUARTER: _l("This quarter"), BoardPeriod.ALL: _l("All time")}
METRIC_LABELS = {Metric.POINTS: _l("Points"), Metric.UNIQUE_CLICKS: _l("Unique clicks"),
                 Metric.CONVERSIONS: _l("Conversions"), Metric.REACH: _l("Reach")}
SCOPE_LABELS = {Scope.COMPANY: _l("Company"), Scope.GROUP: _l("A group"),
                Scope.TEAM: _l("My team")}
GOAL_METRIC_LABELS = {ChallengeGoal.SHARES: _l("Shares"),
                      ChallengeGoal.UNIQUE_CLICKS: _l("Unique clicks"),
                      ChallengeGoal.CONVERSIONS: _l("Conversions"),
                      ChallengeGoal.POINTS: _l("Points")}


def _choice(enum_cls, raw: str | None, default):
    try:
        return enum_cls(raw) if raw else default
    except ValueError:
        abort(404)


def _split(raw: str | None, prefix: str) -> int | None:
    """``"group-12"`` → 12 for ``prefix`` "group"; None when ``raw`` is something else."""
    head, _sep, tail = (raw or "").partition("-")
    if head != prefix:
        return None
    if not tail.isdigit():
        abort(404)
    return int(tail)


@dataclass
class Picked:
    spec: BoardSpec
    challenge: Challenge | None
    #: the group picked (Scope.GROUP)
    group: Group | None
    #: the pickers' values, as the form sends them back
    period_value: str
    scope_value: str


def _picked(args) -> Picked:
    """The board asked for by the query string: ``period`` (week, month, quarter, all, or
    challenge-<id>), ``scope`` (company, team, or group-<id>), ``metric``. Unknown values,
    groups and challenges are 404s; team scope is for managers (their own team): 403."""
    period_value = args.get("period") or BoardPeriod.MONTH.value
    scope_value = args.get("scope") or Scope.COMPANY.value
    metric = _choice(Metric, args.get("metric"), Metric.POINTS)
    group = challenge = None
    extra: dict = {}
    challenge_id = _split(period_value, "challenge")
    if challenge_id is not None:
        period = BoardPeriod.CHALLENGE
        challenge = db().get(Challenge, challenge_id)
        if challenge is None or not may_see_challenge(challenge) \
                or challenge.starts_at > utcnow():
            abort(404)
        extra["challenge_id"] = challenge.id
    else:
        period = _choice(BoardPeriod, period_value, BoardPeriod.MONTH)
        if period is BoardPeriod.CHALLENGE:
            abort(404)
    group_id = _split(scope_value, "group")
    if group_id is not None:
        scope = Scope.GROUP
        group = db().get(Group, group_id)
        if group is None:
            abort(404)
        extra["group_id"] = group.id
    else:
        scope = _choice(Scope, scope_value, Scope.COMPANY)
        if scope is Scope.GROUP:
            abort(404)
        if scope is Scope.TEAM:
            if not current_user.has_role(Role.MANAGER):
                abort(403)
            extra["manager_id"] = current_user.id
    return Picked(BoardSpec(period=period, metric=metric, scope=scope, **extra), challenge,
                  group, period_value, scope_value)


def may_see_challenge(challenge: Challenge) -> bool:
    """Curators and admins see every challenge; others those of their audience."""
    return current_user.has_role(Role.CURATOR) or challenges.in_audience(
        db(), challenge, current_user.id)


@bp.get("/leaderboards", endpoint="leaderboards")
def leaderboards_page():
    picked = _picked(request.args)
    today = utc_today()
    board = leaderboards.board(db(), picked.spec, viewer_id=current_user.id, today=today)
    context = dict(
        board=board, spec=board.spec, picked=picked,
        period_labels=PERIOD_LABELS, metric_labels=METRIC_LABELS, scope_labels=SCOPE_LABELS,
        value_label=(GOAL_METRIC_LABELS[picked.challenge.goal] if picked.challenge
                     else METRIC_LABELS[picked.spec.metric]),
        can_team=current_user.has_role(Role.MANAGER),
        opted_out=services.profile(db(), current_user.id).leaderboard_opt_out,
    )
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return render_template("gamification/boards/_board.html", **context)
    return render_template(
        "gamification/boards/leaderboards.html",
        groups=account_queries.group_options(db()),
        board_challenges=challenges.board_challenges(db(), current_user.id, utcnow()),
        **context)


@bp.get("/team/<int:user_id>/activity")
def team_activity(user_id: int):
    """A report's points history, totals, badges and level: for their managers (direct or
    indirect) and admins; 404 for anyone else, as if the person did not exist."""
    person = get_or_404(User, user_id)
    if person.erased_at is not None:
        abort(404)
    if not current_user.has_role(Role.ADMIN) and not team_queries.in_team(
            db(), current_user.id, person.id):
        abort(404)
    page = paginate(db(), services.ledger_statement(person.id),
                    request.args.get("page", 1, type=int), current_app.config["PER_PAGE"])
    return render_template(
        "gamification/boards/activity.html", person=person, page=page,
        activity=team_queries.activity(db(), person.id, utc_today()),
        period_labels=PERIOD_LABELS, action_label=services.action_label,
        reason_label=services.reason_label, level_name=levels.level_name,
        language=str(get_locale() or "en"))
