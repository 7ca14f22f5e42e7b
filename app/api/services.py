"""People through the API: the admin UI's rules (app.accounts.services) plus what an HR
system needs — the employee number as a stable key, creating someone without sending the
invitation yet, and the provisioning upsert (``provision``).

Services take a Session and plain arguments, flush and never commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import services as accounts
from app.accounts.models import Role, User, UserStatus
from app.accounts.settings import AccountSettings
from app.api.errors import ApiError
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.common.mail import Mailer

#: the HR system's key: letters, digits, dot, dash, underscore (it goes into URLs)
EMPLOYEE_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_EMPLOYEE_NUMBER = re.compile(EMPLOYEE_NUMBER_PATTERN)


def conflict(detail: str, field: str) -> ApiError:
    return ApiError(409, "conflict", _("Conflict"), detail,
                    errors=[{"field": field, "message": detail}])


def check_employee_number(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if not _EMPLOYEE_NUMBER.match(value):
        raise ServiceError(_("An employee number has 1 to 64 letters, digits, dots, dashes or "
                             "underscores."), field="employee_number")
    return value


def user_by_employee_number(db: Session, number: str) -> User | None:
    return db.scalar(select(User).where(User.employee_number == number))


def set_employee_number(db: Session, actor: Actor, user: User, number: str | None) -> None:
    number = check_employee_number(number)
    if number == user.employee_number:
        return
    if number is not None:
        other = user_by_employee_number(db, number)
        if other is not None and other.id != user.id:
            raise conflict(_("Another person has employee number %(n)s.", n=number),
                           "employee_number")
    record(db, actor, "user.employee_number_set", target=user, old=user.employee_number,
           new=number)
    user.employee_number = number
    db.flush()


@dataclass
class NewPerson:
    email: str
    name: str = ""
    role: Role = Role.EMPLOYEE
    language: str = "en"
    manager_id: int | None = None
    group_ids: Iterable[int] = ()
    employee_number: str | None = None
    send_invitation: bool = True


def create_person(db: Session, settings: AccountSettings, mailer: Mailer, actor: Actor,
                  data: NewPerson) -> User:
    """Create an invited person through the admin invitation form's own service
    (``accounts.invite``), plus the API's rules: an email or employee number already taken
    is a 409 (the form would resend a pending invitation instead).

    With ``send_invitation`` (the default) the invitation email goes out after the commit,
    exactly as from the UI. Without it the person waits, invited, until an admin sends
    the invitation from the Invitations page (or they sign in through single sign-on):
    an HR system can create joiners before their first day.
    """
    email = accounts.check_email(data.email)
    if accounts.user_by_email(db, email) is not None:
        raise conflict(_("%(email)s already has an account.", email=email), "email")
    number = check_employee_number(data.employee_number)
    if number is not None and user_by_employee_number(db, number) is not None:
        raise conflict(_("Another person has employee number %(n)s.", n=number),
                       "employee_number")
    user = accounts.invite(db, settings, mailer, actor, email=email, name=data.name,
                           role=data.role, language=data.language, manager_id=data.manager_id,
                           group_ids=data.group_ids, send=data.send_invitation)
    if number is not None:
        user.employee_number = number
        record(db, actor, "user.employee_number_set", target=user, new=number)
    db.flush()
    return user


#: an argument that was not given (PATCH: keep the current value)
UNSET = object()


def update_person(db: Session, actor: Actor, user: User, *, name=UNSET, role=UNSET,
                  manager_id=UNSET, group_ids=UNSET, employee_number=UNSET) -> None:
    """Change what is given, keep the rest (PATCH), through the admin UI's service."""
    if user.erased_at is not None:
        raise conflict(_("This person's data was erased."), "id")
    current_groups = {g.id for g in user.groups}
    new = dict(name=user.name if name is UNSET else (name or "").strip()[:200] or user.name,
               role=user.role if role is UNSET else role,
               manager_id=user.manager_id if manager_id is UNSET else manager_id,
               group_ids=current_groups if group_ids is UNSET else set(group_ids or ()))
    # only call the UI's service (and write "user.updated" to the audit log) for a real
    # change: a nightly HR sync of unchanged people must not flood the log
    if (new["name"], new["role"], new["manager_id"] or None, new["group_ids"]) != (
            user.name, user.role, user.manager_id or None, current_groups):
        accounts.update_person(db, actor, user, name=new["name"], role=new["role"],
                               manager_id=new["manager_id"], group_ids=new["group_ids"])
    if employee_number is not UNSET:
        set_employee_number(db, actor, user, employee_number)


def set_active(db: Session, actor: Actor, user: User, active: bool) -> None:
    """Deactivate (sessions end at once, tokens are revoked) or reactivate, like the UI.
    Asking for the state someone is already in changes nothing."""
    if active and user.status != UserStatus.DEACTIVATED:
        return
    if not active and user.status == UserStatus.DEACTIVATED:
        return
    accounts.set_active(db, actor, user, active)


# --- provisioning (SCIM-style: the HR system's employee number is the key) -------------------


@dataclass
class ProvisionedPerson:
    email: str
    name: str
    role: Role | None = None
    language: str | None = None
    manager_employee_number: str | None | object = UNSET
    group_ids: Iterable[int] | None = None
    active: bool = True
    send_invitation: bool = True


def provision(db: Session, settings: AccountSettings, mailer: Mailer, actor: Actor,
              number: str, data: ProvisionedPerson) -> tuple[User, bool]:
    """Create or update the person with this employee number; returns (person, created).

    - unknown number and unknown email: a new invited person (invitation sent unless
      ``send_invitation`` is false);
    - unknown number, known email without a number: that account is adopted (gets the
      number), then updated — people invited by hand before the HR sync are not duplicated;
    - known number: name, role, manager, groups updated (what is omitted is kept); the email
      may change (people change names); ``active`` false deactivates (sessions end, tokens
      are revoked), true reactivates.
    """
    number = check_employee_number(number)
    if number is None:
        raise ServiceError(_("An employee number is required."), field="employee_number")
    email = accounts.check_email(data.email)
    manager_id: int | None | object = UNSET
    if data.manager_employee_number is not UNSET:
        manager_id = None
        if data.manager_employee_number:
            manager = user_by_employee_number(db, str(data.manager_employee_number))
            if manager is None:
                raise ServiceError(_("No person has employee number %(n)s (the manager).",
                                     n=data.manager_employee_number),
                                   field="manager_employee_number")
            manager_id = manager.id
    user = user_by_employee_number(db, number)
    created = False
    if user is None:
        by_email = accounts.user_by_email(db, email)
        if by_email is not None:
            if by_email.employee_number not in (None, number):
                raise conflict(_("%(email)s belongs to employee number %(n)s.", email=email,
                                 n=by_email.employee_number), "email")
            user = by_email
            set_employee_number(db, actor, user, number)
        else:
            user = create_person(db, settings, mailer, actor, NewPerson(
                email=email, name=data.name, role=data.role or Role.EMPLOYEE,
                language=data.language or "en",
                manager_id=None if manager_id is UNSET else manager_id,
                group_ids=data.group_ids or (), employee_number=number,
                send_invitation=data.send_invitation and data.active))
            created = True
    if not created:
        if user.erased_at is not None:
            raise conflict(_("This person's data was erased."), "employee_number")
        if user.email != email:
            other = accounts.user_by_email(db, email)
            if other is not None and other.id != user.id:
                raise conflict(_("%(email)s already has an account.", email=email), "email")
            record(db, actor, "user.email_changed", target=user, old=user.email, new=email)
            user.email = email
        update_person(db, actor, user, name=data.name or user.name,
                      role=data.role or user.role,
                      manager_id=user.manager_id if manager_id is UNSET else manager_id,
                      group_ids=[g.id for g in user.groups] if data.group_ids is None
                      else data.group_ids)
        if data.language in ("en", "fr"):
            user.language = data.language
    set_active(db, actor, user, data.active)
    db.flush()
    return user, created
