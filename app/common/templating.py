"""Template globals and filters: dates in the viewer's time zone, Markdown, navigation."""

from __future__ import annotations

from datetime import datetime

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


def init_app(app: Flask) -> None:
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["number"] = lambda value: format_decimal(value or 0)
    app.jinja_env.filters["filesize"] = format_size
    app.jinja_env.globals["get_locale"] = get_locale

    @app.context_processor
    def _globals():
        # outside a request (emails from jobs and the CLI) there is no current user
        signed_in = getattr(current_user, "is_authenticated", False)
        role = current_user.role.value if signed_in else None
        return {"app_version": __version__, "current_role": role,
                "languages": app.config["LANGUAGES"]}
