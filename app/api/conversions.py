"""Conversions: the list of conversions reported for the shares you may see, and the
OpenAPI description of the signed webhook that receives them (``POST /api/v1/conversions``,
served by app/sharing/conversions.py, authenticated by its HMAC signature, not a token)."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from sqlalchemy import func, select

from app.api.core import ApiBlueprint
from app.api.pagination import Id, PageArgs, Text, UtcDateTime, page_body, page_of
from app.api.shares import ShareFilterArgs, money, scoped
from app.common.pagination import Page
from app.common.web import db
from app.sharing import conversions as webhook
from app.sharing.models import Conversion, Share

blp = ApiBlueprint("api_conversions", __name__, scope="shares",
                   description="Conversions (leads, sign-ups, purchases) reported by the CRM "
                               "for a share's tracked link.")


class ConversionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    event_id = ma.fields.String(required=True)
    share_id = ma.fields.Integer(required=True)
    share_code = ma.fields.String(required=True)
    user_id = ma.fields.Integer(required=True)
    item_id = ma.fields.Integer(required=True)
    type = ma.fields.String(required=True)
    value = ma.fields.String(required=True, allow_none=True,
                             metadata={"description": "A decimal as a string; null: none."})
    currency = ma.fields.String(required=True)
    occurred_at = ma.fields.DateTime(required=True)
    received_at = ma.fields.DateTime(required=True)


ConversionPage = page_of(ConversionSchema, "ConversionPage")


class ConversionsArgs(PageArgs, ShareFilterArgs):
    share_id = Id()
    type = Text(validate=ma.validate.Length(min=1, max=64))
    received_since = UtcDateTime()
    received_until = UtcDateTime()


@blp.route("/conversions", methods=["GET"])
@blp.arguments(ConversionsArgs, location="query")
@blp.response(200, ConversionPage)
def list_conversions(args):
    """List conversions

    Newest first, over your shares (your reports' too if you manage people, everyone's if
    you are an admin). Filter by `user_id`, `item_id`, `share_id`, `type`, the share's time
    (`since`, `until`) and the time received (`received_since`, `received_until`).
    """
    session = db()
    stmt = scoped(select(Conversion, Share.code, Share.user_id, Share.item_id)
                  .join(Share, Share.id == Conversion.share_id)
                  .order_by(Conversion.received_at.desc(), Conversion.id.desc()),
                  session, current_user, user_id=args.get("user_id"))
    for key, condition in (("item_id", lambda v: Share.item_id == v),
                           ("share_id", lambda v: Share.id == v),
                           ("type", lambda v: Conversion.type == v),
                           ("since", lambda v: Share.created_at >= v),
                           ("until", lambda v: Share.created_at < v),
                           ("received_since", lambda v: Conversion.received_at >= v),
                           ("received_until", lambda v: Conversion.received_at < v)):
        if args.get(key) is not None:
            stmt = stmt.where(condition(args[key]))
    total = session.scalar(select(func.count()).select_from(
        stmt.with_only_columns(Conversion.id).order_by(None).subquery())) or 0
    rows = session.execute(stmt.limit(args["per_page"])
                           .offset((args["page"] - 1) * args["per_page"])).all()
    page = Page(items=rows, page=args["page"], per_page=args["per_page"], total=total)
    return page_body(page, [{
        "id": c.id, "event_id": c.event_id, "share_id": c.share_id, "share_code": code,
        "user_id": user_id, "item_id": item_id, "type": c.type,
        "value": money(c.value) if c.value is not None else None, "currency": c.currency,
        "occurred_at": c.occurred_at, "received_at": c.received_at}
        for c, code, user_id, item_id in rows])


# --- the webhook, documented ---------------------------------------------------------------


class ConversionEventSchema(ma.Schema):
    """The body the CRM sends (validated by app/sharing/conversions.py)."""

    event_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200),
                                metadata={"description": "The CRM's id of the event: each "
                                                         "counts once."})
    share_code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200),
                                  metadata={"description": "The code found in utm_content."})
    type = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64),
                            metadata={"description": "lead, signup, purchase…"})
    value = ma.fields.Float(allow_none=True, validate=ma.validate.Range(min=0),
                            metadata={"description": "Optional amount."})
    currency = ma.fields.String(validate=ma.validate.Length(equal=3),
                                metadata={"description": "ISO 4217, e.g. EUR."})
    occurred_at = ma.fields.String(metadata={"format": "date-time",
                                             "description": "ISO 8601; default: now."})


class ConversionReceiptSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(["created",
                                                                         "duplicate"]))
    conversion_id = ma.fields.Integer(required=True)
    share_code = ma.fields.String()


def document_webhook(api, app) -> None:
    """Describe ``POST /api/v1/conversions`` (a route of the sharing blueprint) in the
    OpenAPI document, next to the list of conversions."""
    try:
        rule = next(app.url_map.iter_rules("sharing.conversions_webhook"))
    except (KeyError, StopIteration):  # the sharing blueprint is not registered
        return
    operation = {
        "tags": ["api_conversions"],
        "operationId": "conversions_webhook",
        "summary": "Report a conversion (signed webhook)",
        "description": (
            "Called by the CRM, not with a token: the body is signed with the shared secret "
            "(CONVERSION_WEBHOOK_SECRET). `X-Relais-Signature: sha256=<hex HMAC-SHA256(secret, "
            "timestamp + \".\" + raw body)>` and `X-Relais-Timestamp: <unix seconds>` (at most "
            "5 minutes off). Each `event_id` counts once: a replay answers 200 `duplicate`. "
            f"At most {webhook.RATE_PER_MINUTE} requests per minute per client address; "
            f"bodies up to {webhook.MAX_BODY_BYTES // 1024} KiB. See docs/sharing.md."),
        "security": [],
        "parameters": [
            {"in": "header", "name": webhook.TIMESTAMP_HEADER, "required": True,
             "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
             "description": "Unix time in whole seconds."},
            {"in": "header", "name": webhook.SIGNATURE_HEADER, "required": True,
             "schema": {"type": "string", "pattern": "^sha256=[0-9a-fA-F]{64}$"}},
        ],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": ConversionEventSchema}}},
        "responses": {
            "200": {"description": "Already received (duplicate): nothing changed.",
                    "content": {"application/json": {"schema": ConversionReceiptSchema}}},
            "201": {"description": "Recorded.",
                    "content": {"application/json": {"schema": ConversionReceiptSchema}}},
            "401": "UNAUTHORIZED", "404": "NOT_FOUND", "413": "REQUEST_ENTITY_TOO_LARGE",
            "422": "UNPROCESSABLE_ENTITY", "429": "TOO_MANY_REQUESTS",
            "503": "SERVICE_UNAVAILABLE", "default": "DEFAULT_ERROR",
        },
    }
    api.spec.path(rule=rule, operations={"post": operation})
