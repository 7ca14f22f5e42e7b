"""People: list (filter by group, role, status), get, create, update, deactivate and
reactivate — admins only, with the admin pages' rules (app.accounts.services); and ``/me``
for any token."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, url_for
from flask_login import current_user

from app.accounts.models import Role, User, UserStatus
from app.accounts.queries import PeopleFilter, people_statement
from app.accounts.settings import account_settings
from app.api import services
from app.api.auth import current_token, scope
from app.api.core import ApiBlueprint
from app.api.groups import GroupRefSchema
from app.api.idempotency import IdempotencyHeaders, idempotent
from app.api.meta import id_param
from app.api.pagination import Id, PageArgs, Text, in_range_id, page_body, page_of, paginated
from app.api.services import EMPLOYEE_NUMBER_PATTERN
from app.common.web import current_actor, db, mailer
from app.gamification import team_queries

blp = ApiBlueprint("api_users", __name__, scope="users",
                   description="People: the employees enrolled as ambassadors, their managers, "
                               "curators and admins.")

LANGUAGES = ("en", "fr")


class UserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    role = ma.fields.Enum(Role, by_value=True, required=True)
    status = ma.fields.Enum(UserStatus, by_value=True, required=True)
    language = ma.fields.String(required=True)
    timezone = ma.fields.String(required=True)
    employee_number = ma.fields.String(required=True, allow_none=True)
    manager_id = ma.fields.Integer(required=True, allow_none=True)
    groups = ma.fields.List(ma.fields.Nested(GroupRefSchema), required=True)
    created_at = ma.fields.DateTime(required=True)
    last_login_at = ma.fields.DateTime(required=True, allow_none=True)
    erased = ma.fields.Boolean(required=True, attribute="erased_at",
                               metadata={"description": "The person's data was erased (GDPR)."})

    @ma.post_dump(pass_original=True)
    def _erased_flag(self, data, original, **_kwargs):
        data["erased"] = original.erased_at is not None
        return data


UserPage = page_of(UserSchema, "UserPage")


class TokenInfoSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    prefix = ma.fields.String(required=True)
    scopes = ma.fields.List(ma.fields.String(), required=True)
    created_at = ma.fields.DateTime(required=True)
    expires_at = ma.fields.DateTime(required=True, allow_none=True)


class MeSchema(ma.Schema):
    user = ma.fields.Nested(UserSchema, required=True)
    token = ma.fields.Nested(TokenInfoSchema, required=True)


class UsersArgs(PageArgs):
    group = Id(metadata={"description": "Only members of this group (id)."})
    role = ma.fields.Enum(Role, by_value=True)
    status = ma.fields.Enum(UserStatus, by_value=True)
    q = Text(validate=ma.validate.Length(max=100),
             metadata={"description": "Part of the name or email."})
    employee_number = Text(validate=ma.validate.Length(min=1, max=64))


class _PersonFields(ma.Schema):
    name = Text(validate=ma.validate.Length(min=1, max=200))
    role = ma.fields.Enum(Role, by_value=True)
    manager_id = Id(allow_none=True, metadata={"description": "The person's manager (id); "
                                                               "null: none."})
    group_ids = ma.fields.List(Id(), validate=ma.validate.Length(max=100))
    employee_number = Text(allow_none=True, validate=ma.validate.Regexp(EMPLOYEE_NUMBER_PATTERN),
                           metadata={"description": "The HR system's stable key; unique."})


class UserCreateSchema(_PersonFields):
    email = Text(required=True, validate=ma.validate.Length(min=3, max=254),
                 metadata={"format": "email"})
    language = ma.fields.String(load_default="en", validate=ma.validate.OneOf(LANGUAGES))
    send_invitation = ma.fields.Boolean(load_default=True, metadata={
        "description": "Send the invitation email now (default). False: the person waits, "
                       "invited, until an admin sends it from the Invitations page."})


class UserUpdateSchema(_PersonFields):
    """Only the fields given change."""


def user_or_404(user_id: int) -> User:
    user = db().get(User, user_id) if in_range_id(user_id) else None
    if user is None:
        abort(404)
    return user


def visible_person_or_404(user_id: int, *, curators: bool = False) -> User:
    """A person whose numbers (points, badges, courses, stats) the caller may read, as on
    the pages: themself; their reports, direct and indirect, if they manage people (the
    team activity page); anyone for an admin — and for a curator where the pages show
    everyone to curators (training reports, the company dashboard). Anyone else is a 404:
    their existence is not told."""
    person = user_or_404(user_id)
    me = current_user
    if person.id == me.id or me.has_role(Role.ADMIN) or (curators and me.has_role(Role.CURATOR)):
        return person
    if person.erased_at is None and me.has_role(Role.MANAGER) and team_queries.in_team(
            db(), me.id, person.id):
        return person
    abort(404)


@blp.route("/me", methods=["GET"])
@scope(None)
@blp.response(200, MeSchema)
def me():
    """Who am I

    The token's owner and the token itself. Any valid token may call it.
    """
    token = current_token()
    return {"user": current_user, "token": {
        "id": token.id, "name": token.name, "kind": token.kind.value, "prefix": token.prefix,
        "scopes": sorted(token.scope_set), "created_at": token.created_at,
        "expires_at": token.expires_at}}


@blp.route("/users", methods=["GET"])
@blp.arguments(UsersArgs, location="query")
@blp.response(200, UserPage)
def list_users(args):
    """List people

    By name. Filter by `group`, `role`, `status`, `employee_number` or `q` (part of the
    name or email).
    """
    flt = PeopleFilter(q=args.get("q", "").strip(),
                       role=args["role"].value if args.get("role") else "",
                       status=args["status"].value if args.get("status") else "",
                       group_id=args.get("group"))
    stmt = people_statement(flt)
    if args.get("employee_number"):
        stmt = stmt.where(User.employee_number == args["employee_number"].strip())
    page = paginated(db(), stmt, args)
    return page_body(page, page.items)


@blp.route("/users/<int:user_id>", methods=["GET"], parameters=[id_param("user_id")])
@blp.response(200, UserSchema)
def get_user(user_id: int):
    """Get a person"""
    return user_or_404(user_id)


@blp.route("/users", methods=["POST"])
@blp.arguments(IdempotencyHeaders, location="headers")
@idempotent
@blp.response(201, UserSchema)
@blp.arguments(UserCreateSchema)
def create_user(data):
    """Create a person

    Like the admin's invitation form: the email is normalised (lower case), the person is
    *invited* and gets the invitation email after the call succeeds — unless
    `send_invitation` is false. An email or employee number already taken is a 409.
    """
    user = services.create_person(db(), account_settings(), mailer(), current_actor(),
                                  services.NewPerson(
                                      email=data["email"], name=data.get("name", ""),
                                      role=data.get("role") or Role.EMPLOYEE,
                                      language=data["language"],
                                      manager_id=data.get("manager_id"),
                                      group_ids=data.get("group_ids") or (),
                                      employee_number=data.get("employee_number"),
                                      send_invitation=data["send_invitation"]))
    return user, 201, {"Location": url_for("api_users.get_user", user_id=user.id)}


@blp.route("/users/<int:user_id>", methods=["PATCH"], parameters=[id_param("user_id")])
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
def update_user(data, user_id: int):
    """Update a person

    Name, role, manager, groups, employee number: only the fields given change. You cannot
    remove your own admin role; nobody can report to themself.
    """
    user = user_or_404(user_id)
    services.update_person(db(), current_actor(), user, **data)
    return user


@blp.route("/users/<int:user_id>/deactivate", methods=["POST"],
           parameters=[id_param("user_id")])
@blp.response(200, UserSchema)
def deactivate_user(user_id: int):
    """Deactivate a person

    Their sessions end at once and their API tokens are revoked; their shares and numbers
    stay. Deactivating someone already deactivated changes nothing.
    """
    user = user_or_404(user_id)
    services.set_active(db(), current_actor(), user, False)
    return user


@blp.route("/users/<int:user_id>/reactivate", methods=["POST"],
           parameters=[id_param("user_id")])
@blp.response(200, UserSchema)
def reactivate_user(user_id: int):
    """Reactivate a person

    Back to active (or invited, if they never set a password). Their old tokens stay revoked.
    """
    user = user_or_404(user_id)
    services.set_active(db(), current_actor(), user, True)
    return user
