"""Template globals and filters: dates in the viewer's time zone, Markdown, navigation."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from babel.numbers import format_decimal as babel_format_decimal
from babel.numbers import get_group_symbol
from flask import Flask
from flask_babel import format_datetime, format_decimal, get_locale
from flask_login import current_user

from app.common.markdown import render_markdown
from app.version import __version__


def format_size(size: int) -> str:
    """Bytes for people: 512 KB, 5 MB (in the current locale's number format)."""
    if size >= 1_048_576:
        return f"{format_decimal(round(size / 1_048_576, 1))} MB"
    return f"{format_decimal(max(1, round(size / 1024)))} KB"


def _when(value: datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value else "—"


#: integers that show every grouping rule a locale may have (minimum grouping digits, group
#: sizes): a locale whose babel output for these equals "group every 3 digits with its group
#: symbol" takes the fast path of ``format_number``
_PROBES = (0, 7, 42, 999, 1000, 1234, 12345, 123456, 1234567, 9876543210)


@lru_cache(maxsize=64)
def _plain_grouping(locale: str) -> str | None:
    """The locale's group symbol if its integers are grouped by threes with it; else None."""
    symbol = get_group_symbol(locale)
    ok = all(babel_format_decimal(n, locale=locale) == f"{n:,}".replace(",", symbol)
             for n in _PROBES)
    return symbol if ok else None


def format_number(value) -> str:
    """A number in the current locale (the ``number`` filter). Non-negative integers — most
    cells of the dashboards' tables, a thousand on a page — skip babel's pattern machinery,
    where the locale groups plainly by threes (checked once per locale against babel)."""
    value = value or 0
    if type(value) is int and value >= 0:
        symbol = _plain_grouping(str(get_locale()))
        if symbol is not None:
            return f"{value:,}".replace(",", symbol)
    return format_decimal(value)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["filesize"] = format_size
    app.jinja_env.globals["get_locale"] = get_locale

    @app.context_processor
    def _globals():
        # outside a request (emails from jobs and the CLI) there is no current user
        signed_in = getattr(current_user, "is_authenticated", False)
        role = current_user.role.value if signed_in else None
        return {"app_version": __version__, "current_role": role,
                "languages": app.config["LANGUAGES"]}
