"""Groups (departments, locations, teams): curators read them (content targeting), admins
create and delete them — as in the web pages."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, abort, url_for
from sqlalchemy import func, select

from app.accounts import queries as account_queries
from app.accounts import services as accounts
from app.accounts.models import Group, GroupKind, user_groups
from app.api.core import ApiBlueprint
from app.api.idempotency import IdempotencyHeaders, idempotent
from app.api.meta import id_param
from app.api.pagination import PageArgs, Text, in_range_id, page_body, page_of, paginated
from app.common.web import current_actor, db

blp = ApiBlueprint("api_groups", __name__, scope="groups",
                   description="Departments, locations and teams people belong to.")


class GroupRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.Enum(GroupKind, by_value=True, required=True)
    name = ma.fields.String(required=True)


class GroupSchema(GroupRefSchema):
    member_count = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)


GroupPage = page_of(GroupSchema, "GroupPage")


class GroupArgs(PageArgs):
    kind = ma.fields.Enum(GroupKind, by_value=True)


class GroupCreateSchema(ma.Schema):
    kind = ma.fields.Enum(GroupKind, by_value=True, required=True)
    name = Text(required=True, validate=ma.validate.Length(min=1, max=120))


def _dump(group: Group, count: int) -> dict:
    return {"id": group.id, "kind": group.kind, "name": group.name, "member_count": count,
            "created_at": group.created_at}


def _group_or_404(group_id: int) -> Group:
    group = db().get(Group, group_id) if in_range_id(group_id) else None
    if group is None:
        abort(404)
    return group


def _count(group_id: int) -> int:
    return db().scalar(select(func.count()).select_from(user_groups)
                       .where(user_groups.c.group_id == group_id)) or 0


@blp.route("/groups", methods=["GET"])
@blp.arguments(GroupArgs, location="query")
@blp.response(200, GroupPage)
def list_groups(args):
    """List groups

    By kind then name. Filter with `kind`.
    """
    stmt = select(Group).order_by(Group.kind, Group.name, Group.id)
    if args.get("kind"):
        stmt = stmt.where(Group.kind == args["kind"])
    page = paginated(db(), stmt, args)
    counts = account_queries.group_member_counts(db())
    body, headers = page_body(page, [_dump(g, counts.get(g.id, 0)) for g in page.items])
    return body, headers


@blp.route("/groups/<int:group_id>", methods=["GET"], parameters=[id_param("group_id")])
@blp.response(200, GroupSchema)
def get_group(group_id: int):
    """Get a group"""
    group = _group_or_404(group_id)
    return _dump(group, _count(group.id))


@blp.route("/groups", methods=["POST"])
@blp.arguments(IdempotencyHeaders, location="headers")
@idempotent
@blp.response(201, GroupSchema)
@blp.arguments(GroupCreateSchema)
def create_group(data):
    """Create a group

    Admins only. A group with the same kind and name (ignoring case) is refused (422).
    """
    group = accounts.create_group(db(), current_actor(), data["kind"], data["name"])
    return _dump(group, 0), 201, {"Location": url_for("api_groups.get_group",
                                                      group_id=group.id)}


@blp.route("/groups/<int:group_id>", methods=["DELETE"], parameters=[id_param("group_id")])
@blp.response(204)
def delete_group(group_id: int):
    """Delete a group

    Admins only. Members stay, without this group; content targeted at it loses the target.
    """
    accounts.delete_group(db(), current_actor(), _group_or_404(group_id))
    return Response(status=204)
