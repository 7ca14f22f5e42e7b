"""The dashboards' and My impact's tables as CSV: header and rows for a period and scope
(formula-safe through app.common.csvutil), and the download response. One place for both
pages, so a figure reads the same in every file."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Response
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.analytics import dashboard as dash
from app.analytics import impact
from app.analytics.dashboard_forms import FIGURE_LABELS
from app.common.csvutil import csv_text

#: the most rows a CSV export holds per table
EXPORT_LIMIT = 10_000
#: the figures of a person's network table: points belong to no network
NETWORK_FIGURES = [name for name in FIGURE_LABELS if name != "points"]


def ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def figures(totals: dash.Totals) -> list:
    return [getattr(totals, name) for name in FIGURE_LABELS]


def figure_header() -> list[str]:
    return [str(label) for label in FIGURE_LABELS.values()]


def _summary_rows(db_, period, scope):
    s = dash.summary(db_, period, scope)
    rows = [(_("Enrolled people"), s.enrolled), (_("Active ambassadors"), s.active),
            (_("Participation rate"), ratio(s.participation))]
    rows += [(str(label), getattr(s, name)) for name, label in FIGURE_LABELS.items()]
    rows += [(_("Unique clicks per share"), ratio(s.clicks_per_share)),
             (_("Currency"), s.currency)]
    return [_("Figure"), _("Value")], rows


def trend_rows(db_: Session, period: dash.Period, scope: dash.Scope):
    t = dash.trend(db_, period, scope)
    return ([_("Period start"), *figure_header()],
            [[p.start.isoformat(), *figures(p.totals)] for p in t.points])


def _network_rows(db_, period, scope):
    return ([_("Network"), _("Active ambassadors"), *figure_header()],
            [[r.label, r.active, *figures(r.totals)] for r in dash.by_network(db_, period, scope)])


def _group_rows(db_, period, scope):
    return ([_("Group"), _("Members"), _("Active ambassadors"), _("Participation rate"),
             *figure_header()],
            [[r.name, r.members, r.active, ratio(r.participation), *figures(r.totals)]
             for r in dash.by_group(db_, period, scope)])


def _content_rows(db_, period, scope):
    return ([_("Content"), _("Link"), *figure_header()],
            [[r.title, r.url, *figures(r.totals)]
             for r in dash.top_content(db_, period, scope, limit=EXPORT_LIMIT)])


def _ambassador_rows(db_, period, scope):
    return ([_("Ambassador"), *figure_header()],
            [[r.name, *figures(r.totals)]
             for r in dash.top_ambassadors(db_, period, scope, limit=EXPORT_LIMIT)])


def _concentration_rows(db_, period, scope):
    c = dash.concentration(db_, period, scope)
    header = [_("Top share of ambassadors"), _("People"), _("Share of unique clicks"),
              _("Share of conversions")]
    rows = [[f"{t.percent}%", t.people, ratio(t.unique_clicks), ratio(t.conversions)]
            for t in c.tops]
    rows += [[ratio(p.people), "", ratio(p.unique_clicks), ratio(p.conversions)]
             for p in c.curve]
    return header, rows


def _topic_rows(db_, period, scope):
    header = [_("Topic"), _("Ambassador"), _("Shares"), _("Unique clicks"), _("Conversions"),
              _("Unique clicks per share"), _("Conversions per share")]
    rows = [[t.topic, p.name, p.shares, p.unique_clicks, p.conversions,
             ratio(p.clicks_per_share), ratio(p.conversions_per_share)]
            for t in dash.influence_by_topic(db_, period, scope) for p in t.people]
    return header, rows


#: the dashboards' tables: name → (header, rows) for the period and scope
DASHBOARD_TABLES: dict[str, Callable[..., tuple[list, Iterable]]] = {
    "summary": _summary_rows,
    "trend": trend_rows,
    "networks": _network_rows,
    "groups": _group_rows,
    "content": _content_rows,
    "ambassadors": _ambassador_rows,
    "concentration": _concentration_rows,
    "topics": _topic_rows,
}




def my_network_rows(db_: Session, period: dash.Period, scope: dash.Scope):
    """A person's networks with their per-share figures against their own average."""
    rows = dash.by_network(db_, period, scope)
    comparison = impact.compare_networks(rows)
    header = [_("Network"), *(str(FIGURE_LABELS[name]) for name in NETWORK_FIGURES),
              _("Unique clicks per share"), _("Unique clicks per share ÷ your average"),
              _("Conversions per share"), _("Conversions per share ÷ your average")]
    ratios = {n.network: n for n in comparison.networks}
    return header, [[r.label, *(getattr(r.totals, name) for name in NETWORK_FIGURES),
                     ratio(ratios[r.network].clicks_per_share),
                     ratio(ratios[r.network].clicks_ratio),
                     ratio(ratios[r.network].conversions_per_share),
                     ratio(ratios[r.network].conversions_ratio)] for r in rows]


#: My impact's tables (the scope is the signed-in person)
IMPACT_TABLES: dict[str, Callable[..., tuple[list, Iterable]]] = {
    "trend": trend_rows,
    "networks": my_network_rows,
}


def download(tables: dict, table: str, db_: Session, period: dash.Period, scope: dash.Scope,
             prefix: str) -> Response | None:
    """The CSV file of ``table`` (None: no such table)."""
    if table not in tables:
        return None
    header, rows = tables[table](db_, period, scope)
    name = f"{prefix}-{table}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(csv_text([str(h) for h in header], rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
