"""Content items: list, get, create, update, and lifecycle transitions — curators and
admins, with the curator pages' rules (app.content.services): the suggester never approves
their own link, archived items are not edited, each network's character limit holds.

Items are never deleted (shares and clicks point at them): archive them instead."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.api.core import ApiBlueprint
from app.api.idempotency import IdempotencyHeaders, idempotent
from app.api.meta import id_param
from app.api.pagination import (
    Id,
    PageArgs,
    Text,
    UtcDateTime,
    in_range_id,
    page_body,
    page_of,
    paginated,
)
from app.common.web import current_actor, db, mailer
from app.content import queries, services
from app.content.models import ContentItem, ContentOrigin, ContentStatus
from app.content.networks import NETWORKS

blp = ApiBlueprint("api_content", __name__, scope="content",
                   description="Content items and their lifecycle: draft → in_review → "
                               "scheduled → published → expired / archived.")

LANGUAGES = ("en", "fr")
#: what app.content.services.check_url accepts (documented, so clients know up front)
URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^\s/?#]+\.[^\s]*$"
TextsSchema = ma.Schema.from_dict(
    {key: ma.fields.String(metadata={"description": f"Suggested text for {rules.label} "
                                                   f"(at most {rules.limit} characters with "
                                                   f"the link, hashtags and disclaimer)."})
     for key, rules in NETWORKS.items()}, name="NetworkTexts")
TextsInputSchema = ma.Schema.from_dict(
    {key: Text(multiline=True, validate=ma.validate.Length(max=rules.limit))
     for key, rules in NETWORKS.items()}, name="NetworkTextsInput")


class ContentItemSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True)
    slug = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    summary = ma.fields.String(required=True)
    image_url = ma.fields.String(required=True)
    language = ma.fields.String(required=True)
    status = ma.fields.Enum(ContentStatus, by_value=True, required=True)
    origin = ma.fields.Enum(ContentOrigin, by_value=True, required=True)
    topic_ids = ma.fields.List(ma.fields.Integer(), required=True)
    group_ids = ma.fields.List(ma.fields.Integer(), required=True, metadata={
        "description": "The groups it is targeted at; empty: everyone."})
    target_languages = ma.fields.List(ma.fields.String(), required=True)
    texts = ma.fields.Nested(TextsSchema, required=True)
    hashtags = ma.fields.List(ma.fields.String(), required=True)
    disclaimer = ma.fields.String(required=True)
    text_locked = ma.fields.Boolean(required=True)
    priority = ma.fields.Integer(required=True)
    featured = ma.fields.Boolean(required=True)
    curator_notes = ma.fields.String(required=True)
    publish_at = ma.fields.DateTime(required=True, allow_none=True)
    expire_at = ma.fields.DateTime(required=True, allow_none=True)
    published_at = ma.fields.DateTime(required=True, allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    created_by_id = ma.fields.Integer(required=True, allow_none=True)
    suggested_by_id = ma.fields.Integer(required=True, allow_none=True)
    allowed_actions = ma.fields.List(ma.fields.String(), required=True, metadata={
        "description": "The transitions you may apply now."})


ContentItemPage = page_of(ContentItemSchema, "ContentItemPage")


class ContentArgs(PageArgs):
    status = ma.fields.Enum(ContentStatus, by_value=True)
    topic = Id()
    group = Id()
    author = Id(metadata={"description": "Created or suggested by this person (id)."})
    q = Text(validate=ma.validate.Length(max=100),
             metadata={"description": "Part of the title, URL or summary."})


class ContentInputSchema(ma.Schema):
    url = Text(validate=[ma.validate.Length(min=1, max=2000), ma.validate.Regexp(URL_PATTERN)],
               metadata={"description": "The page to share, starting with https://"})
    title = Text(validate=ma.validate.Length(min=1, max=300))
    summary = Text(multiline=True, validate=ma.validate.Length(max=5000))
    image_url = Text(validate=ma.validate.Length(max=2000))
    language = ma.fields.String(validate=ma.validate.OneOf(LANGUAGES))
    topic_ids = ma.fields.List(Id(), validate=ma.validate.Length(max=100))
    group_ids = ma.fields.List(Id(), validate=ma.validate.Length(max=100))
    target_languages = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(LANGUAGES)),
                                      validate=ma.validate.Length(max=2))
    texts = ma.fields.Nested(TextsInputSchema)
    hashtags = ma.fields.List(Text(validate=ma.validate.Length(min=1, max=100)),
                              validate=ma.validate.Length(max=30),
                              metadata={"description": "Without the leading #."})
    disclaimer = Text(multiline=True, validate=ma.validate.Length(max=1000))
    text_locked = ma.fields.Boolean()
    priority = ma.fields.Integer(validate=ma.validate.Range(min=0, max=2),
                                 metadata={"description": "0 normal, 1 high, 2 urgent."})
    featured = ma.fields.Boolean()
    curator_notes = Text(multiline=True, validate=ma.validate.Length(max=5000))
    publish_at = UtcDateTime(allow_none=True)
    expire_at = UtcDateTime(allow_none=True)


class ContentCreateSchema(ContentInputSchema):
    url = Text(required=True,
               validate=[ma.validate.Length(min=1, max=2000), ma.validate.Regexp(URL_PATTERN)],
               metadata={"description": "The page to share, starting with https://"})
    title = Text(required=True, validate=ma.validate.Length(min=1, max=300))


class TransitionSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(services.ACTIONS))
    note = Text(multiline=True, load_default="", validate=ma.validate.Length(max=2000),
                metadata={"description": "Why (for reject): the author reads it."})


def _dump(item: ContentItem) -> dict:
    return {
        "id": item.id, "url": item.url, "slug": item.slug, "title": item.title,
        "summary": item.summary, "image_url": item.image_url, "language": item.language,
        "status": item.status, "origin": item.origin,
        "topic_ids": sorted(t.id for t in item.topics),
        "group_ids": sorted(g.id for g in item.groups),
        "target_languages": [x for x in item.target_languages.split(",") if x],
        "texts": {t.network: t.text for t in item.texts if t.network in NETWORKS},
        "hashtags": item.hashtags.split(), "disclaimer": item.disclaimer,
        "text_locked": item.text_locked, "priority": item.priority, "featured": item.featured,
        "curator_notes": item.curator_notes, "publish_at": item.publish_at,
        "expire_at": item.expire_at, "published_at": item.published_at,
        "created_at": item.created_at, "updated_at": item.updated_at,
        "created_by_id": item.created_by_id, "suggested_by_id": item.suggested_by_id,
        "allowed_actions": services.allowed_actions(item, current_user),
    }


def _item_or_404(item_id: int) -> ContentItem:
    item = queries.item_for_curator(db(), item_id) if in_range_id(item_id) else None
    if item is None:
        abort(404)
    return item


def _input(data: dict, item: ContentItem | None = None) -> services.ItemInput:
    """The service's input: the fields given, the item's current values for the others."""
    def current(name, value_of_item, default):
        if name in data:
            return data[name]
        return value_of_item() if item is not None else default

    texts = {n: item.text_for(n) for n in NETWORKS} if item is not None else {}
    texts.update({k: v for k, v in (data.get("texts") or {}).items() if k in NETWORKS})
    hashtags = current("hashtags", lambda: item.hashtags.split(), [])
    return services.ItemInput(
        url=current("url", lambda: item.url, ""),
        title=current("title", lambda: item.title, ""),
        summary=current("summary", lambda: item.summary, "") or "",
        image_url=current("image_url", lambda: item.image_url, "") or "",
        language=current("language", lambda: item.language, "en"),
        topic_ids=current("topic_ids", lambda: [t.id for t in item.topics], []),
        group_ids=current("group_ids", lambda: [g.id for g in item.groups], []),
        target_languages=current("target_languages",
                                 lambda: [x for x in item.target_languages.split(",") if x], []),
        texts=texts, hashtags=" ".join(h.lstrip("#") for h in hashtags),
        disclaimer=current("disclaimer", lambda: item.disclaimer, "") or "",
        text_locked=current("text_locked", lambda: item.text_locked, False),
        priority=current("priority", lambda: item.priority, 0),
        featured=current("featured", lambda: item.featured, False),
        curator_notes=current("curator_notes", lambda: item.curator_notes, "") or "",
        publish_at=current("publish_at", lambda: item.publish_at, None),
        expire_at=current("expire_at", lambda: item.expire_at, None))


@blp.route("/content", methods=["GET"])
@blp.arguments(ContentArgs, location="query")
@blp.response(200, ContentItemPage)
def list_content(args):
    """List content items

    Newest changes first. Filter by `status`, `topic`, `group`, `author` or `q`.
    """
    flt = queries.ItemFilter(status=args["status"].value if args.get("status") else "",
                             topic_id=args.get("topic"), group_id=args.get("group"),
                             author_id=args.get("author"), q=args.get("q", "").strip())
    stmt = queries.items_statement(flt).options(selectinload(ContentItem.texts))
    page = paginated(db(), stmt, args)
    return page_body(page, [_dump(item) for item in page.items])


@blp.route("/content/<int:item_id>", methods=["GET"], parameters=[id_param("item_id")])
@blp.response(200, ContentItemSchema)
def get_content(item_id: int):
    """Get a content item"""
    return _dump(_item_or_404(item_id))


@blp.route("/content", methods=["POST"])
@blp.arguments(IdempotencyHeaders, location="headers")
@idempotent
@blp.response(201, ContentItemSchema)
@blp.arguments(ContentCreateSchema)
def create_content(data):
    """Create a content item (a draft)

    Then move it through its lifecycle with `POST /content/{id}/transitions`
    (e.g. `{"action": "publish"}`).
    """
    item = services.create_item(db(), current_actor(), _input(data))
    return _dump(item), 201, {"Location": url_for("api_content.get_content", item_id=item.id)}


@blp.route("/content/<int:item_id>", methods=["PATCH"], parameters=[id_param("item_id")])
@blp.arguments(ContentInputSchema)
@blp.response(200, ContentItemSchema)
def update_content(data, item_id: int):
    """Update a content item

    Only the fields given change (`texts`: only the networks given). Archived items cannot
    be edited: reopen them first.
    """
    item = _item_or_404(item_id)
    services.update_item(db(), current_actor(), item, _input(data, item))
    return _dump(item)


@blp.route("/content/<int:item_id>/transitions", methods=["POST"],
           parameters=[id_param("item_id")])
@blp.arguments(TransitionSchema)
@blp.response(200, ContentItemSchema)
def transition_content(data, item_id: int):
    """Move a content item through its lifecycle

    `submit` (draft → in review), `approve` (in review → scheduled or published),
    `publish` (draft → scheduled or published), `reject` (back to draft; a suggestion is
    declined), `expire`, `archive`, `reopen` (→ draft). `allowed_actions` on the item says
    what applies now; anything else is refused (422).
    """
    item = _item_or_404(item_id)
    actor, user, action = current_actor(), current_user._get_current_object(), data["action"]
    if action == "submit":
        services.submit_for_review(db(), actor, item)
    elif action == "approve":
        services.approve(db(), actor, user, item, mailer=mailer())
    elif action == "publish":
        services.publish(db(), actor, user, item, mailer=mailer())
    elif action == "reject":
        services.reject(db(), actor, user, item, data["note"], mailer=mailer())
    elif action == "expire":
        services.expire(db(), actor, item)
    elif action == "archive":
        services.archive(db(), actor, item)
    else:
        services.reopen(db(), actor, item)
    return _dump(item)
