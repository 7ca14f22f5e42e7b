"""WTForms (CSRF from Flask-WTF) for the training pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.accounts.forms import LANGUAGE_CHOICES, as_choices
from app.common.uploads import validate_image_field
from app.training.models import QuestionKind
from app.training.services import MAX_CHOICES


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip],
                        validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), filters=[_strip],
                            validators=[Optional(), Length(max=2000)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    estimated_minutes = IntegerField(_l("Estimated time (minutes)"), default=15,
                                     validators=[DataRequired(), NumberRange(1, 600)])
    cover_file = FileField(_l("Cover image (PNG, JPEG, WebP or GIF, up to 2 MB)"))
    remove_cover = BooleanField(_l("Remove the cover image"))
    group_ids = SelectMultipleField(_l("Audience: groups"), coerce=int, choices=[])
    due_on = DateField(_l("Due date"), validators=[Optional()])
    pass_mark = IntegerField(_l("Pass mark (%)"), default=80,
                             validators=[DataRequired(), NumberRange(1, 100)])
    max_attempts = IntegerField(_l("Attempts allowed (0: unlimited)"), default=3,
                                validators=[Optional(), NumberRange(0, 100)])
    cooldown_minutes = IntegerField(_l("Wait after a failed attempt (minutes)"), default=60,
                                    validators=[Optional(), NumberRange(0, 60 * 24 * 30)])

    def validate_cover_file(self, field) -> None:
        validate_image_field(field)


class LessonForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip],
                        validators=[DataRequired(), Length(max=200)])
    body_md = TextAreaField(_l("Lesson (Markdown)"), validators=[Optional(), Length(max=50_000)])
    video_url = StringField(_l("Video (YouTube or Vimeo address, optional)"), filters=[_strip],
                            validators=[Optional(), Length(max=500)])


class ChoiceForm(FlaskForm):
    class Meta:
        csrf = False  # a sub-form: the question form carries the token

    text = StringField(_l("Answer"), filters=[_strip], validators=[Optional(), Length(max=500)])
    correct = BooleanField(_l("Right answer"))


def kind_choices():
    return as_choices([(QuestionKind.SINGLE.value, _l("Single choice (one right answer)")),
                       (QuestionKind.MULTIPLE.value,
                        _l("Multiple choice (one or more right answers)"))])


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=kind_choices, default=QuestionKind.SINGLE.value)
    text = TextAreaField(_l("Question"), filters=[_strip],
                         validators=[DataRequired(), Length(max=2000)])
    choices = FieldList(FormField(ChoiceForm), min_entries=MAX_CHOICES, max_entries=MAX_CHOICES)
    explanation = TextAreaField(_l("Explanation (shown with the results)"), filters=[_strip],
                                validators=[Optional(), Length(max=4000)])


class MoveForm(FlaskForm):
    direction = SelectField(choices=as_choices([("up", "up"), ("down", "down")]))


class RequiredForm(FlaskForm):
    required = BooleanField(_l("Required before sharing"))
