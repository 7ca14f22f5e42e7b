"""WTForms (CSRF from Flask-WTF) for the account pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional

from app.accounts.models import GroupKind, Network, Role
from app.common.forms import ConfirmForm  # noqa: F401 - re-exported for the account views


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def as_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def role_choices():
    return as_choices([(Role.EMPLOYEE.value, _l("Employee")), (Role.MANAGER.value, _l("Manager")),
            (Role.CURATOR.value, _l("Curator")), (Role.ADMIN.value, _l("Admin"))])


LANGUAGE_CHOICES = as_choices([("en", "English"), ("fr", "Français")])


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), filters=[_strip],
                        validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class ForgotPasswordForm(FlaskForm):
    email = StringField(_l("Email"), filters=[_strip],
                        validators=[DataRequired(), Email(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password",
                                                                _l("The passwords differ."))])


class AcceptInvitationForm(NewPasswordForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class EnrolForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("Work email"), filters=[_strip],
                        validators=[DataRequired(), Email(), Length(max=254)])
    message = TextAreaField(_l("Message for the administrators (optional)"),
                            validators=[Optional(), Length(max=1000)])


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Time zone"), choices=[])
    topic_ids = SelectMultipleField(_l("Topics that interest you"), coerce=int, choices=[])


class SocialAccountForm(FlaskForm):
    network = SelectField(_l("Network"), choices=as_choices(
        (n.value, n.value.capitalize() if n != Network.X else "X") for n in Network))
    handle = StringField(_l("Handle or profile name"), validators=[DataRequired(),
                                                                   Length(max=200)])
    profile_url = StringField(_l("Profile link"), validators=[Optional(), Length(max=500)])
    followers = IntegerField(_l("Followers"), default=0,
                             validators=[Optional(), NumberRange(min=0, max=1_000_000_000)])


class InviteForm(FlaskForm):
    email = StringField(_l("Email"), filters=[_strip],
                        validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices)
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    manager_id = SelectField(_l("Reports to"), coerce=int, choices=[])
    group_ids = SelectMultipleField(_l("Groups"), coerce=int, choices=[])


class InviteManyForm(FlaskForm):
    emails = TextAreaField(_l("One person per line: email, name"),
                           validators=[DataRequired(), Length(max=100_000)])
    role = SelectField(_l("Role"), choices=role_choices)
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    group_ids = SelectMultipleField(_l("Groups"), coerce=int, choices=[])


class PersonForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices)
    manager_id = SelectField(_l("Reports to"), coerce=int, choices=[])
    group_ids = SelectMultipleField(_l("Groups"), coerce=int, choices=[])


class GroupForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=as_choices([
        (GroupKind.DEPARTMENT.value, _l("Department")), (GroupKind.LOCATION.value, _l("Location")),
        (GroupKind.TEAM.value, _l("Team"))]))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])


class TopicForm(FlaskForm):
    name = StringField(_l("Topic"), validators=[DataRequired(), Length(max=80)])


class DomainForm(FlaskForm):
    domain = StringField(_l("Email domain"), filters=[_strip],
                        validators=[DataRequired(), Length(max=253)])


class PolicyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body_md = TextAreaField(_l("Policy text (Markdown)"),
                            validators=[DataRequired(), Length(max=100_000)])


class ImportUploadForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[
        FileRequired(), FileAllowed(["csv", "txt"], _l("Upload a .csv file."))])


class ImportConfirmForm(FlaskForm):
    send_invitations = BooleanField(_l("Send invitation emails to the imported people"),
                                    default=True)
