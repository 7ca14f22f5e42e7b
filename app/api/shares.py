"""Shares: list and get, with their clicks and conversions. Who sees what, as in the web
pages: everyone their own shares, a manager also their reports' (direct and indirect), an
admin everyone's. A share outside that is a 404, not a 403 (its existence is not told)."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from flask import abort
from flask_login import current_user
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from app.accounts.models import Role, User
from app.accounts.queries import team_ids
from app.api.core import ApiBlueprint
from app.api.meta import id_param
from app.api.pagination import Id, PageArgs, UtcDateTime, in_range_id, page_body, page_of
from app.common.pagination import Page
from app.common.web import db
from app.content.models import ContentItem
from app.sharing.models import Click, Conversion, Share, ShareMethod, ShareStatus
from app.sharing.networks import SHARE_NETWORKS
from app.sharing.queries import counted, unique_click
from app.sharing.views import tracked_link

blp = ApiBlueprint("api_shares", __name__, scope="shares",
                   description="Shares of content items by employees, with their tracked "
                               "links' counted clicks and the conversions reported for them.")


# --- who sees whose shares -----------------------------------------------------------------


def visible_user_ids(session: Session, user: User) -> list[int] | None:
    """The people whose shares ``user`` may read; None: everyone (admins)."""
    if user.has_role(Role.ADMIN):
        return None
    ids = [user.id]
    if user.has_role(Role.MANAGER):
        ids += team_ids(session, user.id)
    return ids


def scoped(stmt: Select, session: Session, user: User, *, user_id: int | None = None
           ) -> Select:
    """``stmt`` (which selects from shares) limited to what ``user`` may see, and to
    ``user_id``'s shares when asked (someone outside the scope gives an empty result)."""
    visible = visible_user_ids(session, user)
    if visible is not None:
        stmt = stmt.where(Share.user_id.in_(visible))
    if user_id is not None:
        stmt = stmt.where(Share.user_id == user_id)
    return stmt


class ShareFilterArgs(ma.Schema):
    user_id = Id(metadata={"description": "Only this person's shares."})
    item_id = Id(metadata={"description": "Only shares of this content item."})
    since = UtcDateTime(metadata={"description": "Shares made at or after this time."})
    until = UtcDateTime(metadata={"description": "Shares made before this time."})


def filtered(stmt: Select, args: dict) -> Select:
    if args.get("item_id"):
        stmt = stmt.where(Share.item_id == args["item_id"])
    if args.get("since"):
        stmt = stmt.where(Share.created_at >= args["since"])
    if args.get("until"):
        stmt = stmt.where(Share.created_at < args["until"])
    return stmt


# --- shares -------------------------------------------------------------------------------------


class ShareSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    tracked_url = ma.fields.String(required=True)
    user_id = ma.fields.Integer(required=True)
    item_id = ma.fields.Integer(required=True)
    item_title = ma.fields.String(required=True)
    network = ma.fields.String(required=True)
    method = ma.fields.Enum(ShareMethod, by_value=True, required=True)
    status = ma.fields.Enum(ShareStatus, by_value=True, required=True)
    reach = ma.fields.Integer(required=True, metadata={
        "description": "Followers of the sharer's account on that network when shared."})
    created_at = ma.fields.DateTime(required=True)
    scheduled_for = ma.fields.DateTime(required=True, allow_none=True)
    posted_at = ma.fields.DateTime(required=True, allow_none=True)
    human_clicks = ma.fields.Integer(required=True, metadata={
        "description": "Clicks that are neither bots nor the sharer's own."})
    unique_clicks = ma.fields.Integer(required=True, metadata={
        "description": "Counted clicks, a visitor counting once per 24 hours."})
    conversions = ma.fields.Integer(required=True)
    conversion_value = ma.fields.String(required=True, metadata={
        "description": "Sum of the conversions' values, a decimal as a string."})


SharePage = page_of(ShareSchema, "SharePage")


class SharesArgs(PageArgs, ShareFilterArgs):
    network = ma.fields.String(validate=ma.validate.OneOf(sorted(SHARE_NETWORKS)))
    status = ma.fields.Enum(ShareStatus, by_value=True)


def money(value) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def _shares_statement() -> Select:
    """Shares with their item's title and their numbers (correlated subqueries: one
    statement per page whatever its size, as on "My shares")."""
    per_share_clicks = select(func.count()).select_from(Click).where(
        Click.share_id == Share.id, counted())
    return (select(
        Share, ContentItem.title.label("title"),
        per_share_clicks.scalar_subquery().label("human"),
        per_share_clicks.where(unique_click()).scalar_subquery().label("unique"),
        select(func.count(Conversion.id)).where(Conversion.share_id == Share.id)
        .scalar_subquery().label("conversions"),
        select(func.coalesce(func.sum(Conversion.value), 0))
        .where(Conversion.share_id == Share.id).scalar_subquery().label("value"))
        .join(ContentItem, ContentItem.id == Share.item_id)
        .order_by(Share.created_at.desc(), Share.id.desc()))


def _dump(row) -> dict:
    share = row[0]
    return {"id": share.id, "code": share.code, "tracked_url": tracked_link(share.code),
            "user_id": share.user_id, "item_id": share.item_id, "item_title": row.title,
            "network": share.network, "method": share.method, "status": share.status,
            "reach": share.reach, "created_at": share.created_at,
            "scheduled_for": share.scheduled_for, "posted_at": share.posted_at,
            "human_clicks": row.human or 0, "unique_clicks": row.unique or 0,
            "conversions": row.conversions or 0, "conversion_value": money(row.value)}


@blp.route("/shares", methods=["GET"])
@blp.arguments(SharesArgs, location="query")
@blp.response(200, SharePage)
def list_shares(args):
    """List shares

    Newest first: yours, your reports' if you manage people, everyone's if you are an
    admin. Filter by `user_id`, `item_id`, `network`, `status`, `since`, `until`.
    """
    session = db()
    stmt = filtered(scoped(_shares_statement(), session, current_user,
                           user_id=args.get("user_id")), args)
    if args.get("network"):
        stmt = stmt.where(Share.network == args["network"])
    if args.get("status"):
        stmt = stmt.where(Share.status == args["status"])
    total = session.scalar(select(func.count()).select_from(
        stmt.with_only_columns(Share.id).order_by(None).subquery())) or 0
    rows = session.execute(stmt.limit(args["per_page"])
                           .offset((args["page"] - 1) * args["per_page"])).all()
    page = Page(items=rows, page=args["page"], per_page=args["per_page"], total=total)
    return page_body(page, [_dump(row) for row in rows])


@blp.route("/shares/<int:share_id>", methods=["GET"], parameters=[id_param("share_id")])
@blp.response(200, ShareSchema)
def get_share(share_id: int):
    """Get a share"""
    if not in_range_id(share_id):
        abort(404)
    session = db()
    row = session.execute(scoped(_shares_statement(), session, current_user)
                          .where(and_(Share.id == share_id))).first()
    if row is None:
        abort(404)
    return _dump(row)
