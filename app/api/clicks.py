"""Clicks summary: how many clicks the tracked links of the shares you may see brought, in
one statement over the append-only click log (the same counting rules as "My shares":
bots and the sharer's own clicks are never counted; a visitor counts once per 24 hours)."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from sqlalchemy import func, select

from app.api.core import ApiBlueprint
from app.api.pagination import Id, UtcDateTime
from app.api.shares import ShareFilterArgs, scoped
from app.common.web import db
from app.sharing.models import Click, Share
from app.sharing.queries import counted, unique_click

blp = ApiBlueprint("api_clicks", __name__, scope="shares",
                   description="Click counts of the tracked links (/r/<code>).")


class ClicksArgs(ShareFilterArgs):
    share_id = Id(metadata={"description": "Only this share's clicks."})
    clicked_since = UtcDateTime(metadata={"description": "Clicks at or after this time."})
    clicked_until = UtcDateTime(metadata={"description": "Clicks before this time."})


class ClicksSummarySchema(ma.Schema):
    shares = ma.fields.Integer(required=True, metadata={
        "description": "Shares matching the filters (with or without clicks)."})
    clicks = ma.fields.Integer(required=True, metadata={"description": "Every request on "
                                                                       "their links."})
    human_clicks = ma.fields.Integer(required=True, metadata={
        "description": "Neither bots nor the sharer's own clicks."})
    unique_clicks = ma.fields.Integer(required=True, metadata={
        "description": "Human clicks, a visitor counting once per 24 hours."})
    bot_clicks = ma.fields.Integer(required=True, metadata={
        "description": "Crawlers and link-preview fetchers."})
    self_clicks = ma.fields.Integer(required=True, metadata={
        "description": "The sharer clicking their own link."})


@blp.route("/clicks/summary", methods=["GET"])
@blp.arguments(ClicksArgs, location="query")
@blp.response(200, ClicksSummarySchema)
def clicks_summary(args):
    """Clicks summary

    Over your shares (your reports' too if you manage people, everyone's if you are an
    admin), filtered by `user_id`, `item_id`, `share_id`, the share's time (`since`,
    `until`) and the click's time (`clicked_since`, `clicked_until`).
    """
    session = db()
    shares = scoped(select(Share.id), session, current_user, user_id=args.get("user_id"))
    if args.get("item_id"):
        shares = shares.where(Share.item_id == args["item_id"])
    if args.get("share_id"):
        shares = shares.where(Share.id == args["share_id"])
    if args.get("since"):
        shares = shares.where(Share.created_at >= args["since"])
    if args.get("until"):
        shares = shares.where(Share.created_at < args["until"])
    share_ids = shares.scalar_subquery()
    clicks = select(func.count()).select_from(Click).where(Click.share_id.in_(share_ids))
    if args.get("clicked_since"):
        clicks = clicks.where(Click.at >= args["clicked_since"])
    if args.get("clicked_until"):
        clicks = clicks.where(Click.at < args["clicked_until"])

    def total(stmt):
        return func.coalesce(stmt.scalar_subquery(), 0)

    row = session.execute(select(
        select(func.count()).select_from(shares.subquery()).scalar_subquery(),
        total(clicks),
        total(clicks.where(counted())),
        total(clicks.where(counted(), unique_click())),
        total(clicks.where(Click.is_bot.is_(True))),
        total(clicks.where(Click.is_bot.is_(False), Click.is_self.is_(True))),
    )).one()
    return {"shares": row[0] or 0, "clicks": row[1] or 0, "human_clicks": row[2] or 0,
            "unique_clicks": row[3] or 0, "bot_clicks": row[4] or 0, "self_clicks": row[5] or 0}
