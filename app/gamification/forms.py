"""Forms of the points, badges and levels pages (leaderboards and challenges have theirs)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.accounts.forms import as_choices
from app.gamification.badges import CRITERION_LABELS, MAX_THRESHOLD
from app.gamification.levels import FIELD_LABELS
from app.gamification.levels import MAX_THRESHOLD as LEVEL_MAX
from app.gamification.services import MAX_CORRECTION, MAX_DAILY_CAP, MAX_RULE_POINTS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RuleForm(FlaskForm):
    """One rule; the rules page shows one per action (prefixed by the action)."""

    class Meta:
        csrf = False  # the page's one form carries the token

    points = IntegerField(_l("Points"), validators=[InputRequired(),
                                                    NumberRange(0, MAX_RULE_POINTS)])
    daily_cap = IntegerField(_l("Daily cap (points)"),
                             validators=[Optional(), NumberRange(0, MAX_DAILY_CAP)])
    active = BooleanField(_l("Active"))


class SettingsForm(FlaskForm):
    anonymous_boards = BooleanField(_l("Anonymous boards: show initials instead of names"))
    board_size = IntegerField(_l("People shown per board"),
                              validators=[InputRequired(), NumberRange(3, 100)])


def criterion_choices():
    return as_choices((c.value, label) for c, label in CRITERION_LABELS.items())


class BadgeForm(FlaskForm):
    emoji = StringField(_l("Emoji"), filters=[_strip],
                        validators=[DataRequired(), Length(max=8)])
    name_en = StringField(_l("Name (English)"), filters=[_strip],
                          validators=[DataRequired(), Length(max=120)])
    name_fr = StringField(_l("Name (French)"), filters=[_strip],
                          validators=[DataRequired(), Length(max=120)])
    description_en = TextAreaField(_l("Description (English)"),
                                   validators=[Optional(), Length(max=500)])
    description_fr = TextAreaField(_l("Description (French)"),
                                   validators=[Optional(), Length(max=500)])
    criterion = SelectField(_l("Criterion"), choices=criterion_choices)
    threshold = IntegerField(_l("Threshold"),
                             validators=[Optional(), NumberRange(1, MAX_THRESHOLD)])
    #: COURSE_PASSED only; choices from app.training.queries.course_choices
    course_id = SelectField(_l("Course"), coerce=int, choices=[], validate_choice=False)


class LevelForm(FlaskForm):
    """The requirements of one level (the levels page shows levels 2 to 5, prefixed)."""

    class Meta:
        csrf = False  # the page's one form carries the token

    min_points = IntegerField(FIELD_LABELS["min_points"],
                              validators=[InputRequired(), NumberRange(0, LEVEL_MAX)])
    min_shares = IntegerField(FIELD_LABELS["min_shares"],
                              validators=[InputRequired(), NumberRange(0, LEVEL_MAX)])
    min_unique_clicks = IntegerField(FIELD_LABELS["min_unique_clicks"],
                                     validators=[InputRequired(), NumberRange(0, LEVEL_MAX)])
    min_conversions = IntegerField(FIELD_LABELS["min_conversions"],
                                   validators=[InputRequired(), NumberRange(0, LEVEL_MAX)])
    min_accepted_suggestions = IntegerField(
        FIELD_LABELS["min_accepted_suggestions"],
        validators=[InputRequired(), NumberRange(0, LEVEL_MAX)])
    required_course_id = SelectField(_l("Required course"), coerce=int, choices=[],
                                     validate_choice=False)


class CorrectionForm(FlaskForm):
    points = IntegerField(_l("Points (negative to take away)"),
                          validators=[InputRequired(),
                                      NumberRange(-MAX_CORRECTION, MAX_CORRECTION)])
    reason = TextAreaField(_l("Reason (the person sees it)"), filters=[_strip],
                           validators=[DataRequired(), Length(max=1000)])
