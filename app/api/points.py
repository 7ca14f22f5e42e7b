"""The points ledger: read (your own; a manager their reports', an admin anyone's — as
"My points", the team activity page and the admin's person page) and an admin's
adjustment (``app.gamification.services.correct``: a new entry, never a change of an old
one, audited, with the reason the person sees in their history)."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from app.api.core import ApiBlueprint
from app.api.idempotency import IdempotencyHeaders, idempotent
from app.api.pagination import Id, PageArgs, Text, page_body, page_of, paginated
from app.api.users import visible_person_or_404
from app.common.web import current_actor, db
from app.gamification import services
from app.gamification.models import Action, LedgerEntry

blp = ApiBlueprint("api_points", __name__, scope="gamification",
                   description="The points ledger: every point comes from a stored event "
                               "or an admin's adjustment.")


class LedgerEntrySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    user_id = ma.fields.Integer(required=True)
    action = ma.fields.Enum(Action, by_value=True, required=True)
    action_label = ma.fields.String(required=True)
    points = ma.fields.Integer(required=True, metadata={
        "description": "May be 0 (the daily cap was reached or the rule is off) or negative "
                       "(an adjustment)."})
    reason = ma.fields.String(required=True, metadata={
        "description": "Why 0 points, or an admin's reason for an adjustment."})
    source_type = ma.fields.String(required=True, metadata={
        "description": "The event paid for: share, click, conversion, content_item, course, "
                       "quiz_attempt, challenge, week, or empty."})
    source_id = ma.fields.Integer(required=True, allow_none=True)
    description = ma.fields.String(required=True, metadata={
        "description": "What the entry paid for, in words (the item's or course's title…)."})
    created_by_id = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": "The admin who made an adjustment; null for awards."})
    occurred_at = ma.fields.DateTime(required=True)
    created_at = ma.fields.DateTime(required=True)


class LedgerPageSchema(page_of(LedgerEntrySchema, "LedgerEntryPage")):
    user_id = ma.fields.Integer(required=True)
    balance = ma.fields.Integer(required=True, metadata={"description": "All-time points."})


class PointsArgs(PageArgs):
    user_id = Id(metadata={"description": "Whose ledger (default: yours). Your reports' if "
                                          "you manage people; anyone's for an admin."})


class AdjustmentSchema(ma.Schema):
    user_id = Id(required=True)
    points = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(
        min=-services.MAX_CORRECTION, max=services.MAX_CORRECTION), metadata={
        "description": "Points to add (negative: to take away), not 0; the balance may not "
                       "go below 0."})
    reason = Text(required=True, multiline=True, validate=ma.validate.Length(min=1, max=1000),
                  metadata={"description": "Shown to the person in their history."})


def _dump(entry: LedgerEntry, description: str) -> dict:
    return {"id": entry.id, "user_id": entry.user_id, "action": entry.action,
            "action_label": services.action_label(entry.action), "points": entry.points,
            "reason": services.reason_label(entry.reason), "source_type": entry.source_type,
            "source_id": entry.source_id, "description": description,
            "created_by_id": entry.created_by_id, "occurred_at": entry.occurred_at,
            "created_at": entry.created_at}


@blp.route("/points", methods=["GET"])
@blp.arguments(PointsArgs, location="query")
@blp.response(200, LedgerPageSchema)
def list_points(args):
    """List a points ledger

    Newest first, with the all-time balance: yours, or `user_id`'s — one of your reports
    (direct or indirect) if you manage people, anyone if you are an admin (404 otherwise).
    """
    person = visible_person_or_404(args.get("user_id") or current_user.id)
    session = db()
    page = paginated(session, services.ledger_statement(person.id), args)
    described = services.describe_entries(session, page.items)
    body, headers = page_body(page, [_dump(e, described.get(e.id, "")) for e in page.items])
    body.update(user_id=person.id, balance=services.points_balance(session, person.id))
    return body, headers


@blp.route("/points/adjustments", methods=["POST"])
@blp.arguments(IdempotencyHeaders, location="headers")
@idempotent
@blp.response(201, LedgerEntrySchema)
@blp.arguments(AdjustmentSchema)
def adjust_points(data):
    """Adjust the points of a person

    An admin's correction, as on the person's points page: a new ledger entry (never a
    change of an old one) with the reason the person sees, written to the audit log.
    Badges and level follow. Send an `Idempotency-Key` so a retry does not pay twice.
    """
    session = db()
    entry = services.correct(session, user_id=data["user_id"], points=data["points"],
                             reason=data["reason"], actor=current_actor())
    return _dump(entry, services.describe_entries(session, [entry]).get(entry.id, "")), 201
