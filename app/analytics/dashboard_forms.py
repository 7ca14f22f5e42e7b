"""The dashboards' filters (GET parameters, so a view can be bookmarked) and the labels of
their figures (pages and CSV headers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from app.analytics.dashboard import DEFAULT_PRESET, PRESETS, Period, PeriodError

#: the figures of a ``Totals``, in display and CSV order
FIGURE_LABELS = {
    "shares": _l("Shares"),
    "reach": _l("Potential reach"),
    "human_clicks": _l("Human clicks"),
    "unique_clicks": _l("Unique clicks"),
    "bot_clicks": _l("Bot clicks filtered"),
    "engagements": _l("Engagements"),
    "conversions": _l("Conversions"),
    "conversion_value": _l("Conversion value"),
    "points": _l("Points"),
    "emv": _l("Earned media value"),
}


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass
class DashboardFilter:
    """?period=30d (a preset) or ?period=custom&from=YYYY-MM-DD&to=YYYY-MM-DD, and
    ?group=ID on the company dashboard. An invalid choice falls back to the default
    period with ``error`` set (shown beside the picker)."""

    period: Period
    #: the preset chosen, or "custom"
    choice: str
    start_text: str = ""
    end_text: str = ""
    group_id: int | None = None
    error: str | None = None

    @classmethod
    def from_args(cls, args, today: date, *, groups: bool = True) -> DashboardFilter:
        choice = args.get("period", DEFAULT_PRESET)
        start_text, end_text = args.get("from", "")[:10], args.get("to", "")[:10]
        group = args.get("group", "")
        group_id = int(group) if groups and group.isdigit() else None
        error = None
        try:
            if choice == "custom":
                period = Period.custom(_day(start_text), _day(end_text))
            elif choice in PRESETS:
                period = Period.preset(choice, today)
            else:
                raise PeriodError(_l("Unknown period."))
        except PeriodError as exc:
            error = str(exc.message)
            period = Period.preset(DEFAULT_PRESET, today)
            if choice not in PRESETS:
                choice = "custom"
        if choice != "custom":
            start_text, end_text = period.start.isoformat(), period.end.isoformat()
        return cls(period, choice, start_text, end_text, group_id, error)

    def as_args(self, *, group: bool = True) -> dict:
        """The parameters that give this view again (links, CSV exports); without the
        group (``group=False``) for the team page."""
        args: dict = {"period": self.choice}
        if self.choice == "custom":
            args.update({"from": self.period.start.isoformat(), "to": self.period.end.isoformat()})
        if group and self.group_id:
            args["group"] = self.group_id
        return args
