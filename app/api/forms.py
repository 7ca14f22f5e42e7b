"""Forms of the token pages (CSRF from Flask-WTF: these pages use the session cookie)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.forms import as_choices
from app.api.tokens import DEFAULT_EXPIRY_DAYS, EXPIRY_CHOICES, SCOPES


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def expiry_choices():
    return as_choices([(str(days), _l("%(n)d days", n=days)) for days in EXPIRY_CHOICES
                       if days is not None] + [("never", _l("Never (not recommended)"))])


def scope_choices(names):
    return as_choices((name, f"{name} — {SCOPES[name][0]}") for name in names)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)],
                       filters=[_strip], description=_l("What uses it, e.g. \"HR sync\" or "
                                                        "\"my reporting script\"."))
    expires = SelectField(_l("Expires after"), default=str(DEFAULT_EXPIRY_DAYS))
    scopes = MultiCheckboxField(_l("Scopes"), description=_l(
        "None ticked: everything your role allows."))

    def __init__(self, *args, scope_names=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.expires.choices = expiry_choices()
        self.scopes.choices = scope_choices(scope_names)

    @property
    def expires_in_days(self) -> int | None:
        return None if self.expires.data == "never" else int(self.expires.data)
