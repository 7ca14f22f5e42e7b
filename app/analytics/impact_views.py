"""The employee's "My impact" page: their own figures over a period from the rollups, how
each network compares with their own average, their level and badges; its tables as CSV
(docs/analytics.md "My impact"). Everyone sees their own data only: the person is always
the signed-in one, never a parameter."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from app.analytics import bp, exports, impact
from app.analytics import dashboard as dash
from app.analytics.dashboard_forms import FIGURE_LABELS, DashboardFilter
from app.common.web import db
from app.db import utcnow
from app.gamification import levels


def _filter() -> DashboardFilter:
    return DashboardFilter.from_args(request.args, utcnow().date(), groups=False)


@bp.get("/me/impact")
def my_impact():
    flt = _filter()
    return render_template("analytics/impact.html", flt=flt, presets=dash.PRESETS,
                           data=impact.my_impact(db(), current_user.id, flt.period),
                           figures=FIGURE_LABELS, levels=levels,
                           min_shares=impact.MIN_SHARES_TO_RANK)


@bp.get("/me/impact/export/<table>.csv")
def my_impact_export(table: str):
    flt = _filter()
    if flt.error:  # never export another period than the one asked for
        abort(400)
    return exports.download(exports.IMPACT_TABLES, table, db(), flt.period,
                            dash.Scope.person(current_user.id), "my-impact") or abort(404)
