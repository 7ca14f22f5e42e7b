"""The analytics dashboards: the company's (curators and admins, with a group filter) and
a manager's team's (direct and indirect reports only), each table also as a CSV file
with the same filters (docs/analytics.md "Dashboards")."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.queries import all_groups
from app.analytics import bp
from app.analytics import dashboard as dash
from app.analytics.dashboard_forms import FIGURE_LABELS, DashboardFilter
from app.common.csvutil import csv_text
from app.common.web import db
from app.db import utcnow

TEMPLATE = "analytics/dashboard.html"
#: rows of the top content / ambassadors tables on the page (the CSV has them all)
TOP = 10
#: the most rows a CSV export holds per table
EXPORT_LIMIT = 10_000


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
    groups = all_groups(db())
    scope = _company_scope(flt, {g.id for g in groups})
    return render_template(TEMPLATE, team=False, flt=flt, groups=groups,
                           data=dash.dashboard(db(), flt.period, scope, top=TOP),
                           has_team=dash.has_reports(db(), current_user.id), **_page())


@bp.get("/analytics/team")
def team_dashboard():
    flt = _filter(groups=False)
    has_team = dash.has_reports(db(), current_user.id)
    data = (dash.dashboard(db(), flt.period, dash.Scope.team(current_user.id), top=TOP)
            if has_team else None)
    return render_template(TEMPLATE, team=True, flt=flt, groups=[], data=data,
                           has_team=has_team, **_page())


@bp.get("/analytics/export/<table>.csv")
def export(table: str):
    flt = _filter(groups=True)
    scope = _company_scope(flt, {g.id for g in all_groups(db())})
    return _csv(table, flt, scope, "company")


@bp.get("/analytics/team/export/<table>.csv")
def team_export(table: str):
    return _csv(table, _filter(groups=False), dash.Scope.team(current_user.id), "team")


# --- CSV -----------------------------------------------------------------------------------------


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _figures(totals: dash.Totals) -> list:
    return [getattr(totals, name) for name in FIGURE_LABELS]


def _figure_header() -> list[str]:
    return [str(label) for label in FIGURE_LABELS.values()]


def _summary_rows(db_, period, scope):
    s = dash.summary(db_, period, scope)
    rows = [(_("Enrolled people"), s.enrolled), (_("Active ambassadors"), s.active),
            (_("Participation rate"), _ratio(s.participation))]
    rows += [(str(label), getattr(s, name)) for name, label in FIGURE_LABELS.items()]
    rows += [(_("Unique clicks per share"), _ratio(s.clicks_per_share)),
             (_("Currency"), s.currency)]
    return [_("Figure"), _("Value")], rows


def _trend_rows(db_, period, scope):
    t = dash.trend(db_, period, scope)
    return ([_("Period start"), *_figure_header()],
            [[p.start.isoformat(), *_figures(p.totals)] for p in t.points])


def _network_rows(db_, period, scope):
    return ([_("Network"), _("Active ambassadors"), *_figure_header()],
            [[r.label, r.active, *_figures(r.totals)] for r in dash.by_network(db_, period, scope)])


def _group_rows(db_, period, scope):
    return ([_("Group"), _("Members"), _("Active ambassadors"), _("Participation rate"),
             *_figure_header()],
            [[r.name, r.members, r.active, _ratio(r.participation), *_figures(r.totals)]
             for r in dash.by_group(db_, period, scope)])


def _content_rows(db_, period, scope):
    return ([_("Content"), _("Link"), *_figure_header()],
            [[r.title, r.url, *_figures(r.totals)]
             for r in dash.top_content(db_, period, scope, limit=EXPORT_LIMIT)])


def _ambassador_rows(db_, period, scope):
    return ([_("Ambassador"), *_figure_header()],
            [[r.name, *_figures(r.totals)]
             for r in dash.top_ambassadors(db_, period, scope, limit=EXPORT_LIMIT)])


def _concentration_rows(db_, period, scope):
    c = dash.concentration(db_, period, scope)
    header = [_("Top share of ambassadors"), _("People"), _("Share of unique clicks"),
              _("Share of conversions")]
    rows = [[f"{t.percent}%", t.people, _ratio(t.unique_clicks), _ratio(t.conversions)]
            for t in c.tops]
    rows += [[_ratio(p.people), "", _ratio(p.unique_clicks), _ratio(p.conversions)]
             for p in c.curve]
    return header, rows


def _topic_rows(db_, period, scope):
    header = [_("Topic"), _("Ambassador"), _("Shares"), _("Unique clicks"), _("Conversions"),
              _("Unique clicks per share"), _("Conversions per share")]
    rows = [[t.topic, p.name, p.shares, p.unique_clicks, p.conversions,
             _ratio(p.clicks_per_share), _ratio(p.conversions_per_share)]
            for t in dash.influence_by_topic(db_, period, scope) for p in t.people]
    return header, rows


#: table name → (header, rows) for the period and scope
EXPORTS: dict[str, Callable[..., tuple[list, Iterable]]] = {
    "summary": _summary_rows,
    "trend": _trend_rows,
    "networks": _network_rows,
    "groups": _group_rows,
    "content": _content_rows,
    "ambassadors": _ambassador_rows,
    "concentration": _concentration_rows,
    "topics": _topic_rows,
}


def _csv(table: str, flt: DashboardFilter, scope: dash.Scope, prefix: str) -> Response:
    if table not in EXPORTS:
        abort(404)
    if flt.error:  # never export another period than the one asked for
        abort(400)
    header, rows = EXPORTS[table](db(), flt.period, scope)
    name = f"{prefix}-{table}-{flt.period.start.isoformat()}-{flt.period.end.isoformat()}.csv"
    return Response(csv_text([str(h) for h in header], rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
