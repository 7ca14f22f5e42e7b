"""The analytics dashboards: the company's (curators and admins, with a group filter) and
a manager's team's (direct and indirect reports only), each table also as a CSV file
with the same filters (docs/analytics.md "Dashboards")."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.queries import group_options
from app.analytics import bp, dashboard_cache, exports
from app.analytics import dashboard as dash
from app.analytics.dashboard_forms import DashboardFilter
from app.common.web import db
from app.db import utcnow

TEMPLATE = "analytics/dashboard.html"


def _filter(*, groups: bool) -> DashboardFilter:
    return DashboardFilter.from_args(request.args, utcnow().date(), groups=groups)


def _company_scope(flt: DashboardFilter, group_ids: set[int]) -> dash.Scope:
    if flt.group_id is not None and flt.group_id not in group_ids:
        flt.group_id = None
        flt.error = _("That group does not exist (any more): the whole company is shown.")
    return dash.Scope.group(flt.group_id) if flt.group_id else dash.Scope.company()


def _page() -> dict:
    return dict(presets=dash.PRESETS, min_topic_shares=dash.MIN_TOPIC_SHARES)


@bp.get("/analytics")
def dashboard():
    flt = _filter(groups=True)
    groups = group_options(db())
    scope = _company_scope(flt, {g.id for g in groups})
    data, as_of = dashboard_cache.dashboard(db(), flt.period, scope)
    return render_template(TEMPLATE, team=False, flt=flt, groups=groups, data=data,
                           as_of=as_of, has_team=dash.has_reports(db(), current_user.id),
                           **_page())


@bp.get("/analytics/team")
def team_dashboard():
    flt = _filter(groups=False)
    has_team = dash.has_reports(db(), current_user.id)
    data, as_of = (dashboard_cache.dashboard(db(), flt.period, dash.Scope.team(current_user.id))
                   if has_team else (None, None))
    return render_template(TEMPLATE, team=True, flt=flt, groups=[], data=data, as_of=as_of,
                           has_team=has_team, **_page())


@bp.get("/analytics/export/<table>.csv")
def export(table: str):
    flt = _filter(groups=True)
    scope = _company_scope(flt, {g.id for g in group_options(db())})
    return _csv(table, flt, scope, "company")


@bp.get("/analytics/team/export/<table>.csv")
def team_export(table: str):
    return _csv(table, _filter(groups=False), dash.Scope.team(current_user.id), "team")


def _csv(table: str, flt: DashboardFilter, scope: dash.Scope, prefix: str) -> Response:
    if flt.error:  # never export another period than the one asked for
        abort(400)
    return exports.download(exports.DASHBOARD_TABLES, table, db(), flt.period, scope,
                            prefix) or abort(404)
