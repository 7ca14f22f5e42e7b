"""Leaderboards: period × scope × metric, through ``app.gamification.leaderboards.board``
— the page's own board, with its rules: people who opted out are left out of everyone
else's board (the caller always sees their own row), anonymous boards show initials (and
no ids) except for the caller's row, the board has the admins' size, and the caller's own
rank comes with it wherever they stand.

Who may ask for which board, as on the page: everyone the company board and any group's;
the team board (direct and indirect reports) is for people who manage a team.
"""

from __future__ import annotations

import marshmallow as ma
from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Group, Role
from app.api.core import ApiBlueprint
from app.api.errors import ApiError
from app.api.pagination import Id, PageArgs, page_body, page_of
from app.common.pagination import Page
from app.common.web import db
from app.gamification import leaderboards
from app.gamification.leaderboards import BoardPeriod, BoardSpec, Row, Scope
from app.gamification.models import Metric

blp = ApiBlueprint("api_leaderboards", __name__, scope="gamification",
                   description="Leaderboards by period, scope and metric, as on the "
                               "Leaderboards page.")

#: the periods the API offers (a challenge's window board is read on its page)
PERIODS = [p.value for p in BoardPeriod if p is not BoardPeriod.CHALLENGE]


class BoardRowSchema(ma.Schema):
    rank = ma.fields.Integer(required=True, metadata={
        "description": "Competition rank: equal values share a rank (1, 2, 2, 4)."})
    user_id = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": "Null on an anonymous board, except on your own row."})
    name = ma.fields.String(required=True, metadata={
        "description": "The person's name; initials only on an anonymous board (your own "
                       "row keeps your name)."})
    value = ma.fields.Integer(required=True)
    is_you = ma.fields.Boolean(required=True)


class LeaderboardSchema(page_of(BoardRowSchema, "LeaderboardRowPage")):
    period = ma.fields.String(required=True, validate=ma.validate.OneOf(PERIODS))
    period_start = ma.fields.Date(required=True, metadata={
        "description": "First day (UTC) of the period; 1970-01-01 for all time."})
    scope = ma.fields.Enum(Scope, by_value=True, required=True)
    group_id = ma.fields.Integer(required=True, allow_none=True)
    metric = ma.fields.Enum(Metric, by_value=True, required=True)
    anonymous = ma.fields.Boolean(required=True)
    board_size = ma.fields.Integer(required=True, metadata={
        "description": "How many rows the board has at most (the admins' setting); "
                       "`total` counts the rows it has now."})
    you = ma.fields.Nested(BoardRowSchema, required=True, allow_none=True, metadata={
        "description": "Your own row and rank, wherever you stand (null: you have no "
                       "value in this period and scope). Also there when you opted out of "
                       "the leaderboards: only you see it."})


class LeaderboardArgs(PageArgs):
    period = ma.fields.String(load_default=BoardPeriod.MONTH.value,
                              validate=ma.validate.OneOf(PERIODS),
                              metadata={"description": "The current week (ISO, from Monday), "
                                                       "month, quarter (UTC), or all time."})
    scope = ma.fields.Enum(Scope, by_value=True, load_default=Scope.COMPANY, metadata={
        "description": "company; group (with `group_id`); team: your direct and indirect "
                       "reports (for people who manage a team)."})
    group_id = Id(metadata={"description": "The group (scope=group only)."})
    metric = ma.fields.Enum(Metric, by_value=True, load_default=Metric.POINTS)

    @ma.validates_schema
    def _group_with_group_scope(self, data, **_kwargs):
        if data.get("scope") is Scope.GROUP and data.get("group_id") is None:
            raise ma.ValidationError(_("Give the group's id for a group board."), "group_id")
        if data.get("scope") is not Scope.GROUP and data.get("group_id") is not None:
            raise ma.ValidationError(_("A group id goes with scope=group only."), "group_id")


def _row(row: Row, anonymous: bool) -> dict:
    hidden = anonymous and not row.is_viewer
    return {"rank": row.rank, "user_id": None if hidden else row.user_id, "name": row.name,
            "value": row.value, "is_you": row.is_viewer}


def _spec(args: dict) -> BoardSpec:
    scope, extra = args["scope"], {}
    if scope is Scope.GROUP:
        if db().get(Group, args["group_id"]) is None:
            abort(404)
        extra["group_id"] = args["group_id"]
    elif scope is Scope.TEAM:
        if not current_user.has_role(Role.MANAGER):
            raise ApiError(403, "forbidden", _("Forbidden"),
                           _("The team board is for people who manage a team."))
        extra["manager_id"] = current_user.id
    return BoardSpec(period=BoardPeriod(args["period"]), metric=args["metric"], scope=scope,
                     **extra)


@blp.route("/leaderboards", methods=["GET"])
@blp.arguments(LeaderboardArgs, location="query")
@blp.response(200, LeaderboardSchema)
def get_leaderboard(args):
    """Get a leaderboard

    The current `period` (week, month, quarter or all time) × `scope` (company, a group,
    your team) × `metric` (points, unique clicks, conversions, reach), best first, as on
    the Leaderboards page: the top rows (as many as the admins' board size), paginated,
    and your own row and rank in `you` wherever you stand.
    """
    board = leaderboards.board(db(), _spec(args), viewer_id=current_user.id)
    rows = [_row(row, board.anonymous) for row in board.rows]
    start = (args["page"] - 1) * args["per_page"]
    page = Page(items=rows[start:start + args["per_page"]], page=args["page"],
                per_page=args["per_page"], total=len(rows))
    body, headers = page_body(page, page.items)
    body.update(period=board.spec.period.value, period_start=board.spec.start,
                scope=board.spec.scope, group_id=board.spec.group_id,
                metric=board.spec.metric, anonymous=board.anonymous, board_size=board.limit,
                you=_row(board.viewer, board.anonymous) if board.viewer else None)
    return body, headers
