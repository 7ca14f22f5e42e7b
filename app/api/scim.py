"""Provisioning (SCIM-style, not the SCIM 2.0 protocol): the HR system keeps people in sync
with its employee number as the stable key, so joiners, movers and leavers flow in without
CSV files.

- ``PUT /provisioning/users/{employee_number}`` creates or updates (idempotent by nature:
  sending the same body twice gives the same state); ``active: false`` deactivates;
- ``GET`` reads the person with that number;
- ``DELETE`` deactivates (a leaver: the record and their numbers stay).

Admins only (scope users:write to change, users:read to read), with the admin pages' rules.
"""

from __future__ import annotations

import re

import marshmallow as ma
from flask import Response, abort, url_for

from app.accounts.models import Role, User
from app.accounts.settings import account_settings
from app.api import services
from app.api.core import ApiBlueprint
from app.api.pagination import Id, Text
from app.api.services import EMPLOYEE_NUMBER_PATTERN, ProvisionedPerson
from app.api.users import LANGUAGES, UserSchema
from app.common.web import current_actor, db, mailer

blp = ApiBlueprint("api_provisioning", __name__, scope="users",
                   description="Provisioning from the HR system, keyed by employee number "
                               "(SCIM-style).")

_NUMBER = re.compile(EMPLOYEE_NUMBER_PATTERN)
NUMBER_PARAM = {"in": "path", "name": "employee_number", "required": True,
                "description": "The HR system's employee number.",
                "schema": {"type": "string", "pattern": EMPLOYEE_NUMBER_PATTERN,
                           "maxLength": 64}}


class ProvisionSchema(ma.Schema):
    email = Text(required=True, validate=ma.validate.Length(min=3, max=254),
                 metadata={"format": "email"})
    name = Text(required=True, validate=ma.validate.Length(min=1, max=200))
    role = ma.fields.Enum(Role, by_value=True, metadata={
        "description": "Default for a new person: employee. Omitted: unchanged."})
    language = ma.fields.String(validate=ma.validate.OneOf(LANGUAGES))
    manager_employee_number = Text(allow_none=True,
                                   validate=ma.validate.Regexp(EMPLOYEE_NUMBER_PATTERN),
                                   metadata={"description": "The manager's employee number "
                                                            "(provision managers first); "
                                                            "null: no manager; omitted: "
                                                            "unchanged."})
    group_ids = ma.fields.List(Id(), validate=ma.validate.Length(max=100), metadata={
        "description": "The person's groups (ids); omitted: unchanged."})
    active = ma.fields.Boolean(load_default=True, metadata={
        "description": "False deactivates the person (a leaver): sessions end, tokens are "
                       "revoked."})
    send_invitation = ma.fields.Boolean(load_default=True, metadata={
        "description": "For a new person: send the invitation email now."})


def _person_or_404(number: str) -> User:
    user = services.user_by_employee_number(db(), number) if _NUMBER.match(number) else None
    if user is None:
        abort(404)
    return user


@blp.route("/provisioning/users/<employee_number>", methods=["GET"],
           parameters=[NUMBER_PARAM])
@blp.response(200, UserSchema)
def get_provisioned(employee_number: str):
    """Get a person by employee number"""
    return _person_or_404(employee_number)


@blp.route("/provisioning/users/<employee_number>", methods=["PUT"],
           parameters=[NUMBER_PARAM])
@blp.arguments(ProvisionSchema)
@blp.response(200, UserSchema, description="Updated")
@blp.alt_response(201, schema=UserSchema, description="Created", success=True)
def provision(data, employee_number: str):
    """Create or update a person by employee number

    Unknown number: the person is created (invited), or an existing account with this email
    and no number is adopted. Known number: name, email, role, manager, groups, language
    are brought up to date (omitted fields are kept). `active` false deactivates, true
    reactivates. 201 when created, 200 otherwise.
    """
    if not _NUMBER.match(employee_number):
        abort(404)
    person = ProvisionedPerson(
        email=data["email"], name=data["name"], role=data.get("role"),
        language=data.get("language"), group_ids=data.get("group_ids"),
        active=data["active"], send_invitation=data["send_invitation"],
        manager_employee_number=data["manager_employee_number"]
        if "manager_employee_number" in data else services.UNSET)
    user, created = services.provision(db(), account_settings(), mailer(), current_actor(),
                                       employee_number, person)
    location = url_for("api_provisioning.get_provisioned", employee_number=employee_number)
    return user, 201 if created else 200, {"Location": location}


@blp.route("/provisioning/users/<employee_number>", methods=["DELETE"],
           parameters=[NUMBER_PARAM])
@blp.response(204)
def deprovision(employee_number: str):
    """Deactivate a person by employee number (a leaver)

    Sessions end, tokens are revoked; the record, shares and numbers stay. Repeating it
    changes nothing.
    """
    services.set_active(db(), current_actor(), _person_or_404(employee_number), False)
    return Response(status=204)
