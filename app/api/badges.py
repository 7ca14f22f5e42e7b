"""Badges: the catalogue of badges people can earn (the active ones, with what earns each,
as "My points" lists them) and a person's earned badges (yours; a manager their reports';
an admin anyone's — as the team activity page)."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import get_locale

from app.api.core import ApiBlueprint
from app.api.meta import id_param
from app.api.pagination import PageArgs, page_body, page_of
from app.api.users import visible_person_or_404
from app.common.pagination import Page
from app.common.web import db
from app.gamification import badges, levels
from app.gamification.models import Badge, BadgeCriterion, UserBadge

blp = ApiBlueprint("api_badges", __name__, scope="gamification",
                   description="Badges: what earns them, and who earned which.")


class BadgeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    key = ma.fields.String(required=True, metadata={"description": "A stable slug."})
    emoji = ma.fields.String(required=True)
    name = ma.fields.String(required=True, metadata={"description": "In your language."})
    description = ma.fields.String(required=True)
    criterion = ma.fields.Enum(BadgeCriterion, by_value=True, required=True)
    threshold = ma.fields.Integer(required=True)
    course_id = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": "The course to pass (criterion course_passed)."})
    how_to_earn = ma.fields.String(required=True, metadata={
        "description": "What earns the badge, in words."})


class EarnedBadgeSchema(ma.Schema):
    badge = ma.fields.Nested(BadgeSchema, required=True)
    awarded_at = ma.fields.DateTime(required=True)


BadgePage = page_of(BadgeSchema, "BadgePage")
EarnedBadgePage = page_of(EarnedBadgeSchema, "EarnedBadgePage")


def list_page(items: list, args: dict) -> Page:
    """One page of a short list that is read whole anyway (the badge catalogue, a
    person's badges or courses)."""
    start = (args["page"] - 1) * args["per_page"]
    return Page(items=items[start:start + args["per_page"]], page=args["page"],
                per_page=args["per_page"], total=len(items))


def _dump_all(found: list[Badge]) -> list[dict]:
    language = str(get_locale() or "en")
    titles = levels.course_titles(db(), {b.course_id for b in found if b.course_id})
    return [{"id": b.id, "key": b.key, "emoji": b.emoji, "name": b.name(language),
             "description": b.description(language), "criterion": b.criterion,
             "threshold": b.threshold, "course_id": b.course_id,
             "how_to_earn": badges.criterion_text(b, titles.get(b.course_id))}
            for b in found]


@blp.route("/badges", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, BadgePage)
def list_badges(args):
    """List the badges

    The badges people can earn now (active ones), with what earns each. Deactivated badges
    stay with the people who have them (see a person's badges).
    """
    active = [badge for badge, _count in badges.all_badges(db()) if badge.active]
    page = list_page(active, args)
    return page_body(page, _dump_all(page.items))


@blp.route("/users/<int:user_id>/badges", methods=["GET"], parameters=[id_param("user_id")])
@blp.arguments(PageArgs, location="query")
@blp.response(200, EarnedBadgePage)
def list_user_badges(args, user_id: int):
    """List the badges of a person

    Newest first. Yours; your reports' (direct or indirect) if you manage people; anyone's
    if you are an admin (404 otherwise).
    """
    person = visible_person_or_404(user_id)
    earned: list[UserBadge] = badges.earned(db(), person.id)
    page = list_page(earned, args)
    dumped = _dump_all([ub.badge for ub in page.items])
    return page_body(page, [{"badge": badge, "awarded_at": ub.awarded_at}
                            for ub, badge in zip(page.items, dumped, strict=True)])
