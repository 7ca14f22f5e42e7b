"""WTForms (CSRF from Flask-WTF) for the curator pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from app.accounts.forms import LANGUAGE_CHOICES, as_choices
from app.common.uploads import validate_image_field

_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def priority_choices():
    return as_choices([(0, _l("Normal")), (1, _l("High")), (2, _l("Urgent"))])


class ItemForm(FlaskForm):
    url = StringField(_l("Link to share"), filters=[_strip],
                      validators=[DataRequired(), Length(max=2000)])
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(),
                                                                   Length(max=300)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])
    image_url = StringField(_l("Image address"), filters=[_strip],
                            validators=[Optional(), Length(max=2000)])
    image_file = FileField(_l("…or upload an image (PNG, JPEG, WebP or GIF, up to 2 MB)"))
    topic_ids = SelectMultipleField(_l("Topics"), coerce=int, choices=[])
    language = SelectField(_l("Language of the content"), choices=LANGUAGE_CHOICES)
    group_ids = SelectMultipleField(_l("Groups"), coerce=int, choices=[])
    target_languages = SelectMultipleField(_l("Languages of the employees"),
                                           choices=LANGUAGE_CHOICES)
    text_linkedin = TextAreaField("LinkedIn", validators=[Optional(), Length(max=5000)])
    text_x = TextAreaField("X", validators=[Optional(), Length(max=5000)])
    text_facebook = TextAreaField("Facebook", validators=[Optional(), Length(max=70000)])
    hashtags = StringField(_l("Hashtags"), validators=[Optional(), Length(max=500)])
    disclaimer = TextAreaField(_l("Compliance disclaimer (added to every share)"),
                               validators=[Optional(), Length(max=1000)])
    text_locked = BooleanField(_l("Text locked: employees share it as written"))
    priority = SelectField(_l("Priority"), coerce=int, choices=priority_choices, default=0)
    featured = BooleanField(_l("Featured"))
    curator_notes = TextAreaField(_l("Notes for curators"),
                                  validators=[Optional(), Length(max=5000)])
    publish_at = DateTimeLocalField(_l("Publish at"), format=_DATETIME_FORMATS,
                                    validators=[Optional()])
    expire_at = DateTimeLocalField(_l("Expire at"), format=_DATETIME_FORMATS,
                                   validators=[Optional()])

    def validate_image_file(self, field) -> None:
        validate_image_field(field)  # sets field.image = (kind, bytes) when valid


class PreviewForm(FlaskForm):
    url = StringField(_l("Link to share"), filters=[_strip],
                      validators=[DataRequired(), Length(max=2000)])


class RejectForm(FlaskForm):
    note = TextAreaField(_l("Note for the author (why it is sent back)"),
                         validators=[Optional(), Length(max=2000)])


class BulkForm(FlaskForm):
    action = SelectField(_l("With the selected items"), choices=lambda: as_choices(
        [("archive", _l("Archive")), ("expire", _l("Expire"))]))
    ids = SelectMultipleField(coerce=int, choices=[], validate_choice=False)
