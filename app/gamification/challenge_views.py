"""Challenge pages: the curator's list, editor and detail; the employee's challenges and
one challenge with their progress, the audience's progress and the challenge board."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app.accounts import queries as account_queries
from app.accounts.forms import ConfirmForm, as_choices
from app.common.errors import ServiceError
from app.common.forms import require_post_form
from app.common.pagination import paginate
from app.common.timeutil import local_to_utc, utc_to_local, zone_label
from app.common.web import current_actor, db, get_or_404, render_invalid
from app.db import utcnow
from app.gamification import bp, challenges, leaderboards
from app.gamification.board_views import GOAL_METRIC_LABELS, may_see_challenge
from app.gamification.challenge_forms import ChallengeForm
from app.gamification.challenges import ChallengeInput, ChallengeState
from app.gamification.leaderboards import BoardPeriod, BoardSpec
from app.gamification.models import Challenge, ChallengeGoal, ChallengeMode

_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _tz() -> str:
    return current_user.timezone or "UTC"


def _common() -> dict:
    return dict(state=challenges.state, state_label=challenges.state_label,
                goal_text=challenges.goal_text, goal_label=challenges.goal_label,
                States=ChallengeState, now=utcnow())


def _board(challenge: Challenge):
    return leaderboards.board(db(), BoardSpec(period=BoardPeriod.CHALLENGE,
                                              challenge_id=challenge.id),
                              viewer_id=current_user.id)


# --- employees ----------------------------------------------------------------------------


@bp.get("/challenges", endpoint="challenges")
def challenges_page():
    lists = challenges.for_person(db(), current_user.id, utcnow())
    mine = challenges.values_of(db(), current_user.id,
                                [c.id for c in lists["active"] + lists["past"]])
    return render_template("gamification/challenges/list.html", lists=lists, mine=mine,
                           **_common())


@bp.get("/challenges/<int:challenge_id>")
def challenge(challenge_id: int):
    item = get_or_404(Challenge, challenge_id)
    if not may_see_challenge(item):
        abort(404)
    started = item.starts_at <= utcnow()
    return render_template(
        "gamification/challenges/challenge.html", challenge=item,
        progress=challenges.progress(db(), item, current_user.id),
        board=_board(item) if started else None,
        value_label=GOAL_METRIC_LABELS[item.goal], **_common())


# --- curators ------------------------------------------------------------------------------


@bp.get("/curate/challenges")
def curator_challenges():
    page = paginate(db(), challenges.curator_statement(), request.args.get("page", 1, type=int),
                    current_app.config["PER_PAGE"])
    return render_template("gamification/challenges/curator_list.html", page=page,
                           **_common())


@bp.get("/curate/challenges/<int:challenge_id>")
def curator_challenge(challenge_id: int):
    item = get_or_404(Challenge, challenge_id)
    started = item.starts_at <= utcnow()
    return render_template(
        "gamification/challenges/curator_detail.html", challenge=item,
        progress=challenges.progress(db(), item, None),
        board=_board(item) if started else None,
        winners=challenges.winners(db(), item.id) if item.closed_at else [],
        value_label=GOAL_METRIC_LABELS[item.goal], action_form=ConfirmForm(), **_common())


def _fill_choices(form: ChallengeForm) -> None:
    form.topic_id.choices = as_choices(
        [(0, _("Any item"))] + [(t.id, t.name) for t in account_queries.all_topics(db())])
    form.group_ids.choices = as_choices((g.id, g.name)
                                        for g in account_queries.all_groups(db()))


def _locked_formdata(item: Challenge) -> MultiDict:
    """A started challenge's form shows its goal, audience and start disabled, so the
    browser does not send them: take them from the challenge (anything sent is checked by
    the service, which refuses a change)."""
    data = MultiDict(request.form)
    locked = {"goal": item.goal.value, "mode": item.mode.value, "target": str(item.target),
              "topic_id": str(item.topic_id or 0),
              "starts_at": utc_to_local(item.starts_at, _tz()).strftime(_LOCAL_FORMAT)}
    for key, value in locked.items():
        if key not in data:
            data[key] = value
    if "group_ids" not in data:
        data.setlist("group_ids", [str(g.id) for g in item.groups])
    return data


def _input(form: ChallengeForm) -> ChallengeInput:
    return ChallengeInput(
        title=form.title.data or "", description=form.description.data or "",
        starts_at=local_to_utc(form.starts_at.data, _tz()),
        ends_at=local_to_utc(form.ends_at.data, _tz()),
        goal=ChallengeGoal(form.goal.data), mode=ChallengeMode(form.mode.data),
        target=form.target.data, topic_id=form.topic_id.data or None,
        group_ids=form.group_ids.data or (), reward=form.reward.data or "")


def _editor(form: ChallengeForm, item: Challenge | None, status: int = 200):
    context = dict(form=form, challenge=item, tz_label=zone_label(_tz()),
                   locked=item is not None and item.starts_at <= utcnow(), **_common())
    if status == 422:
        return render_invalid("gamification/challenges/edit.html", **context)
    return render_template("gamification/challenges/edit.html", **context)


def _apply_error(form: ChallengeForm, exc: ServiceError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        if not isinstance(target.errors, list):
            target.errors = list(target.errors)
        target.errors.append(exc.message)
    else:
        flash(exc.message, "danger")


@bp.route("/curate/challenges/new", methods=["GET", "POST"])
def challenge_new():
    form = ChallengeForm()
    _fill_choices(form)
    return _save(form, None)


@bp.route("/curate/challenges/<int:challenge_id>/edit", methods=["GET", "POST"])
def challenge_edit(challenge_id: int):
    item = get_or_404(Challenge, challenge_id)
    if item.closed_at is not None:
        flash(_("This challenge is closed: it can no longer change."), "warning")
        return redirect(url_for("gamification.curator_challenge", challenge_id=item.id))
    started = item.starts_at <= utcnow()
    if request.method == "GET":
        form = ChallengeForm(obj=item)
    elif started:
        form = ChallengeForm(formdata=_locked_formdata(item))
    else:
        form = ChallengeForm()
    _fill_choices(form)
    if request.method == "GET":
        form.goal.data, form.mode.data = item.goal.value, item.mode.value
        form.topic_id.data = item.topic_id or 0
        form.group_ids.data = [g.id for g in item.groups]
        form.starts_at.data = utc_to_local(item.starts_at, _tz())
        form.ends_at.data = utc_to_local(item.ends_at, _tz())
    return _save(form, item)


def _save(form: ChallengeForm, item: Challenge | None):
    if not form.validate_on_submit():
        return _editor(form, item, 422 if form.is_submitted() else 200)
    data = _input(form)
    try:
        if item is None:
            item = challenges.create(db(), current_actor(), data)
            message = _("Challenge created.")
        else:
            challenges.update(db(), current_actor(), item, data)
            message = _("Changes saved.")
    except ServiceError as exc:
        _apply_error(form, exc)
        return _editor(form, item if item is not None and item.id else None, 422)
    flash(message, "success")
    return redirect(url_for("gamification.curator_challenge", challenge_id=item.id))


@bp.post("/curate/challenges/<int:challenge_id>/delete")
def challenge_delete(challenge_id: int):
    require_post_form()
    item = get_or_404(Challenge, challenge_id)
    try:
        challenges.delete(db(), current_actor(), item)
    except ServiceError as exc:
        db().rollback()  # a 303 commits: keep nothing a refused deletion may have touched
        flash(exc.message, "danger")
        return redirect(url_for("gamification.curator_challenge", challenge_id=item.id)), 303
    flash(_("Challenge deleted."), "success")
    return redirect(url_for("gamification.curator_challenges"))

