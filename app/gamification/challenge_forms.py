"""The curator's challenge form (CSRF from Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.accounts.forms import as_choices
from app.gamification.challenges import MAX_TARGET
from app.gamification.models import ChallengeGoal, ChallengeMode

_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def goal_choices():
    return as_choices([(ChallengeGoal.SHARES.value, _l("Shares")),
                       (ChallengeGoal.UNIQUE_CLICKS.value, _l("Unique clicks")),
                       (ChallengeGoal.CONVERSIONS.value, _l("Conversions")),
                       (ChallengeGoal.POINTS.value, _l("Points"))])


def mode_choices():
    return as_choices([(ChallengeMode.EACH.value, _l("Each participant reaches the target")),
                       (ChallengeMode.TEAM.value, _l("Everyone together reaches the target"))])


class ChallengeForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip],
                        validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description (Markdown)"),
                                validators=[Optional(), Length(max=10000)])
    starts_at = DateTimeLocalField(_l("Starts at"), format=_DATETIME_FORMATS,
                                   validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends at"), format=_DATETIME_FORMATS,
                                 validators=[InputRequired()])
    goal = SelectField(_l("What counts"), choices=goal_choices,
                       default=ChallengeGoal.SHARES.value)
    mode = SelectField(_l("Who must reach the target"), choices=mode_choices,
                       default=ChallengeMode.EACH.value)
    target = IntegerField(_l("Target"), default=5,
                          validators=[InputRequired(), NumberRange(min=1, max=MAX_TARGET)])
    topic_id = SelectField(_l("Only items about this topic"), coerce=int, choices=[],
                           default=0)
    group_ids = SelectMultipleField(_l("Audience (groups)"), coerce=int, choices=[])
    reward = StringField(_l("Reward (optional)"), filters=[_strip],
                         validators=[Optional(), Length(max=500)])
