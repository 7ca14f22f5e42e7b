"""The admin's webhook endpoint form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.forms import as_choices
from app.notifications.models import WebhookFlavour
from app.notifications.webhooks import EVENTS, FLAVOUR_LABELS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class WebhookForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip],
                       validators=[DataRequired(), Length(max=100)])
    url = StringField(_l("Webhook address"), filters=[_strip],
                      validators=[DataRequired(), Length(max=2000)])
    flavour = SelectField(_l("Format"), choices=as_choices(
                              (f.value, label) for f, label in FLAVOUR_LABELS.items()),
                          default=WebhookFlavour.SLACK.value)
    events = SelectMultipleField(_l("Announce"), choices=as_choices(EVENTS.items()),
                                 widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput())
    active = BooleanField(_l("Active"), default=True)
