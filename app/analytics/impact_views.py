"""The employee's "My impact" page: their own figures over a period from the rollups, how
each network compares with their own average, their level and badges; its tables as CSV
(docs/analytics.md "My impact"). Everyone sees their own data only: the person is always
the signed-in one, never a parameter."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.analytics import bp, impact
from app.analytics import dashboard as dash
from app.analytics.dashboard_forms import FIGURE_LABELS, DashboardFilter
from app.common.csvutil import csv_text
from app.common.web import db
from app.db import utcnow
from app.gamification import levels

#: the figures of the network table: points belong to no network
NETWORK_FIGURES = [name for name in FIGURE_LABELS if name != "points"]


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
    if table not in EXPORTS:
        abort(404)
    flt = _filter()
    if flt.error:  # never export another period than the one asked for
        abort(400)
    header, rows = EXPORTS[table](flt.period)
    name = f"my-impact-{table}-{flt.period.start.isoformat()}-{flt.period.end.isoformat()}.csv"
    return Response(csv_text([str(h) for h in header], rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- CSV -------------------------------------------------------------------------------------


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _trend_rows(period: dash.Period):
    trend = dash.trend(db(), period, dash.Scope.person(current_user.id))
    return ([_("Period start"), *(str(label) for label in FIGURE_LABELS.values())],
            [[p.start.isoformat(), *(getattr(p.totals, name) for name in FIGURE_LABELS)]
             for p in trend.points])


def _network_rows(period: dash.Period):
    rows = dash.by_network(db(), period, dash.Scope.person(current_user.id))
    comparison = impact.compare_networks(rows)
    header = [_("Network"), *(str(FIGURE_LABELS[name]) for name in NETWORK_FIGURES),
              _("Unique clicks per share"), _("Unique clicks per share ÷ your average"),
              _("Conversions per share"), _("Conversions per share ÷ your average")]
    ratios = {n.network: n for n in comparison.networks}
    return header, [[r.label, *(getattr(r.totals, name) for name in NETWORK_FIGURES),
                     _number(ratios[r.network].clicks_per_share),
                     _number(ratios[r.network].clicks_ratio),
                     _number(ratios[r.network].conversions_per_share),
                     _number(ratios[r.network].conversions_ratio)] for r in rows]


#: table name → (header, rows) of the signed-in person over the period
EXPORTS = {"trend": _trend_rows, "networks": _network_rows}
