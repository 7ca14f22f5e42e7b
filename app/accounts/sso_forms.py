"""Forms of the single sign-on admin page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SsoSettingsForm(FlaskForm):
    enabled = BooleanField(_l("Offer single sign-on on the sign-in page"))
    provider_name = StringField(_l("Provider name, shown on the sign-in button"),
                                filters=[_strip], validators=[Optional(), Length(max=80)])
    issuer = StringField(_l("Issuer URL"), filters=[_strip],
                         validators=[Optional(), Length(max=500)])
    client_id = StringField(_l("Client ID"), filters=[_strip],
                            validators=[Optional(), Length(max=255)])
    client_secret = PasswordField(_l("Client secret"), filters=[_strip],
                                  validators=[Optional(), Length(max=1000)])
    scopes = StringField(_l("Scopes"), filters=[_strip], validators=[Optional(),
                                                                    Length(max=500)])
    groups_claim = StringField(_l("Groups claim"), filters=[_strip],
                               validators=[Optional(), Length(max=100)])
    auto_provision = BooleanField(_l("Create an account at first sign-in for addresses of "
                                     "the allowed email domains"))
    password_login_disabled = BooleanField(_l("People linked to the provider cannot sign in "
                                              "or reset their password with a password"))


class SsoMappingForm(FlaskForm):
    claim_value = StringField(_l("Value in the groups claim"), filters=[_strip],
                              validators=[DataRequired(), Length(max=200)])
    group_id = SelectField(_l("Relais group"), coerce=int, choices=[])
