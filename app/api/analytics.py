"""Analytics rollups and a person's stats, read through ``app.analytics.dashboard`` (the
dashboards' own queries over the daily rollups — never the raw clicks or shares), with the
dashboards' permissions:

- curators and admins: the company (or one group, or one person), like the company
  dashboard;
- managers: their team (direct and indirect reports; one group's members within it, or
  one of them), like the team dashboard;
- employees: themselves, like "My impact" (per day, or their own row).

Periods are UTC days, both ends included: ``from`` and ``to``, or a ``period`` preset
(default: the last 30 days), at most ``dashboard.MAX_SPAN_DAYS`` days.
"""

from __future__ import annotations

import marshmallow as ma
from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Group, Role
from app.analytics import dashboard
from app.analytics.dashboard import Dimension, Period, PeriodError, Scope, Totals
from app.api.core import ApiBlueprint
from app.api.errors import ApiError
from app.api.meta import id_param
from app.api.pagination import Id, PageArgs, page_body, page_of
from app.api.shares import money
from app.api.users import visible_person_or_404
from app.common.pagination import Page
from app.common.web import db
from app.db import utcnow
from app.gamification import badges, levels, services

blp = ApiBlueprint("api_analytics", __name__, scope="analytics",
                   description="Impact numbers from the daily rollups: per person, content "
                               "item, group or day, and one person's stats.")

DIMENSIONS = [d.value for d in Dimension]
#: what an employee (who manages nobody) may break their own numbers down by
OWN_DIMENSIONS = {Dimension.USER, Dimension.DAY}
DIMENSION_PARAM = {"in": "path", "name": "dimension", "required": True,
                   "description": "user, item (content item), group or day.",
                   "schema": {"type": "string", "enum": DIMENSIONS}}


class PeriodArgs(ma.Schema):
    from_ = ma.fields.Date(data_key="from", metadata={
        "description": "First day (UTC), with `to`; instead of `period`."})
    to = ma.fields.Date(metadata={"description": "Last day (UTC), included."})
    period = ma.fields.String(validate=ma.validate.OneOf(list(dashboard.PRESETS)), metadata={
        "description": f"A preset ending today; default {dashboard.DEFAULT_PRESET}."})

    @ma.validates_schema
    def _one_way(self, data, **_kwargs):
        if data.get("period") and ("from_" in data or "to" in data):
            raise ma.ValidationError(_("Give either a period or from and to, not both."),
                                     "period")
        if ("from_" in data) != ("to" in data):
            raise ma.ValidationError(_("Give both from and to."),
                                     "to" if "from_" in data else "from")


class TotalsSchema(ma.Schema):
    shares = ma.fields.Integer(required=True)
    reach = ma.fields.Integer(required=True, metadata={
        "description": "Followers reached: the sum of the shares' reach snapshots."})
    human_clicks = ma.fields.Integer(required=True, metadata={
        "description": "Clicks that are neither bots nor the sharer's own."})
    unique_clicks = ma.fields.Integer(required=True, metadata={
        "description": "Human clicks, a visitor counting once per 24 hours."})
    bot_clicks = ma.fields.Integer(required=True)
    engagements = ma.fields.Integer(required=True)
    conversions = ma.fields.Integer(required=True)
    conversion_value = ma.fields.String(required=True, metadata={
        "description": "A decimal as a string."})
    points = ma.fields.Integer(required=True)
    emv = ma.fields.String(required=True, metadata={
        "description": "Earned media value, a decimal as a string (see `currency`)."})


class BreakdownRowSchema(TotalsSchema):
    id = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": "The person's, item's or group's id; null per day."})
    day = ma.fields.Date(required=True, allow_none=True, metadata={
        "description": "The day (dimension day); null otherwise."})
    label = ma.fields.String(required=True, metadata={
        "description": "The person's name, the item's title or the group's name."})


class ScopeSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(
        ["company", "group", "team", "person"]))
    group_id = ma.fields.Integer(required=True, allow_none=True)
    manager_id = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": "Whose team (kind team; a group within a team keeps it too)."})
    user_id = ma.fields.Integer(required=True, allow_none=True)


class BreakdownSchema(page_of(BreakdownRowSchema, "AnalyticsRowPage")):
    dimension = ma.fields.Enum(Dimension, by_value=True, required=True)
    from_ = ma.fields.Date(data_key="from", required=True)
    to = ma.fields.Date(required=True)
    scope = ma.fields.Nested(ScopeSchema, required=True)
    currency = ma.fields.String(required=True)


class BreakdownArgs(PageArgs, PeriodArgs):
    group_id = Id(metadata={"description": "Only this group's members (curators and admins; "
                                           "managers: within their team)."})
    user_id = Id(metadata={"description": "Only this person (yourself; one of your reports "
                                          "if you manage people; anyone for curators and "
                                          "admins)."})


def _period(args: dict) -> Period:
    today = utcnow().date()
    try:
        if "from_" in args:
            return Period.custom(args["from_"], args["to"])
        return Period.preset(args.get("period") or dashboard.DEFAULT_PRESET, today)
    except PeriodError as exc:
        raise ApiError(422, "invalid-request", _("Invalid request"), str(exc.message),
                       errors=[{"field": "from", "location": "query",
                                "message": str(exc.message)}]) from None


def _forbidden(detail: str) -> ApiError:
    return ApiError(403, "forbidden", _("Forbidden"), detail)


def _scope(dimension: Dimension, args: dict) -> tuple[Scope, dict]:
    """The scope the caller asked for, within what their role allows; and its
    description."""
    session = db()
    me = current_user
    group_id, user_id = args.get("group_id"), args.get("user_id")
    everyone = me.has_role(Role.CURATOR)
    manages = me.has_role(Role.MANAGER)
    described = {"kind": "company", "group_id": None, "manager_id": None, "user_id": None}
    if not (everyone or manages):
        if dimension not in OWN_DIMENSIONS:
            raise _forbidden(_("Your numbers are your own: break them down by user or by "
                               "day."))
        if group_id is not None:
            raise _forbidden(_("Your numbers are your own: a group's are for managers, "
                               "curators and admins."))
    if group_id is not None:
        if session.get(Group, group_id) is None:
            abort(404)
    if user_id is not None:
        visible_person_or_404(user_id, curators=True)
        return Scope.person(user_id), {**described, "kind": "person", "user_id": user_id}
    if everyone:
        if group_id is not None:
            return Scope.group(group_id), {**described, "kind": "group", "group_id": group_id}
        return Scope.company(), described
    if manages:
        team = dashboard.team_members(me.id)
        described = {**described, "kind": "team", "manager_id": me.id}
        if group_id is not None:
            # the group's members within the team (a person outside it never counts)
            in_group = Scope.group(group_id).members()
            members = team.where(team.selected_columns[0].in_(in_group))
            return Scope.people(members), {**described, "group_id": group_id}
        return Scope.team(me.id), described
    return Scope.person(me.id), {**described, "kind": "person", "user_id": me.id}


def _totals(totals: Totals) -> dict:
    return {"shares": totals.shares, "reach": totals.reach,
            "human_clicks": totals.human_clicks, "unique_clicks": totals.unique_clicks,
            "bot_clicks": totals.bot_clicks, "engagements": totals.engagements,
            "conversions": totals.conversions,
            "conversion_value": money(totals.conversion_value), "points": totals.points,
            "emv": money(totals.emv)}


@blp.route("/analytics/<dimension>", methods=["GET"], parameters=[DIMENSION_PARAM])
@blp.arguments(BreakdownArgs, location="query")
@blp.response(200, BreakdownSchema)
def analytics_breakdown(args, dimension: str):
    """Break impact down

    Every metric summed per `user`, `item`, `group` or `day` over the period (`from` and
    `to`, or a `period` preset; default the last 30 days), ordered by id (or day),
    paginated. Whose numbers, as on the dashboards: the company for curators and admins
    (or `group_id`'s members, or `user_id`), your team for managers (direct and indirect
    reports; narrowed by `group_id` or `user_id`), your own for everyone else (by user or
    by day only).
    """
    if dimension not in DIMENSIONS:
        abort(404)
    dim = Dimension(dimension)
    period = _period(args)
    scope, described = _scope(dim, args)
    session = db()
    context = dashboard.page_context(session)
    found = dashboard.breakdown(session, dim, period, scope, limit=args["per_page"],
                                offset=(args["page"] - 1) * args["per_page"],
                                context=context)
    page = Page(items=found.rows, page=args["page"], per_page=args["per_page"],
                total=found.total)
    items = [{"id": None if dim is Dimension.DAY else row.key,
              "day": row.key if dim is Dimension.DAY else None,
              "label": row.label, **_totals(row.totals)} for row in found.rows]
    body, headers = page_body(page, items)
    body.update({"dimension": dim, "from_": period.start, "to": period.end,
                 "scope": described, "currency": context.currency})
    return body, headers


# --- a person's stats ---------------------------------------------------------------------------


class StatsSchema(ma.Schema):
    user_id = ma.fields.Integer(required=True)
    from_ = ma.fields.Date(data_key="from", required=True)
    to = ma.fields.Date(required=True)
    currency = ma.fields.String(required=True)
    totals = ma.fields.Nested(TotalsSchema, required=True, metadata={
        "description": "Over the period (points: earned in the period)."})
    points_balance = ma.fields.Integer(required=True, metadata={
        "description": "All-time points."})
    level = ma.fields.Integer(required=True, metadata={"description": "1 to 5."})
    level_name = ma.fields.String(required=True)
    badges = ma.fields.Integer(required=True, metadata={"description": "Badges earned."})


@blp.route("/users/<int:user_id>/stats", methods=["GET"], parameters=[id_param("user_id")])
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, StatsSchema)
def user_stats(args, user_id: int):
    """Get the stats of a person

    Shares, reach, clicks, unique clicks, engagements, conversions, earned media value and
    points over the period (`from` and `to`, or a `period` preset; default the last 30
    days), with the all-time points balance, level and number of badges. Yours; your
    reports' if you manage people; anyone's for curators and admins (404 otherwise).
    """
    person = visible_person_or_404(user_id, curators=True)
    period = _period(args)
    session = db()
    found = dashboard.summary(session, period, Scope.person(person.id))
    level = services.profile(session, person.id).level
    return {"user_id": person.id, "from_": period.start, "to": period.end,
            "currency": found.currency, "totals": _totals(found),
            "points_balance": services.points_balance(session, person.id), "level": level,
            "level_name": levels.level_name(level),
            "badges": len(badges.earned(session, person.id))}
