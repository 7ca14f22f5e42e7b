"""Training: courses, lessons, quizzes, certificates and the training gate."""

from flask import Blueprint

bp = Blueprint("training", __name__)


@bp.app_template_filter("training_date")
def _training_date(value) -> str:
    """A date (due dates, certificate dates) in the reader's locale."""
    from flask_babel import format_date

    return format_date(value, "medium") if value else "—"


# each view module registers its routes on bp (imported at the end: they import bp); the
# export module registers the training part of a person's data export
from app.training import (  # noqa: E402,F401
    export,
    manage_views,
    report_views,
    views,
)
