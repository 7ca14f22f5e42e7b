"""Administration of the points game: rules, badges, levels, settings, and a person's ledger
with corrections (admins only; every change is audited by the services)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.forms import as_choices
from app.accounts.models import User
from app.common.errors import ServiceError
from app.common.forms import ConfirmForm, require_post_form
from app.common.pagination import paginate
from app.common.web import current_actor, db, get_or_404, render_invalid
from app.gamification import badges, bp, levels, services
from app.gamification.forms import BadgeForm, CorrectionForm, LevelForm, RuleForm, SettingsForm
from app.gamification.models import Badge, BadgeCriterion
from app.training.queries import course_choices


def _course_choices():
    return as_choices([(0, "—")] + course_choices(db()))


# --- point rules ----------------------------------------------------------------------------


@bp.route("/admin/gamification/rules", methods=["GET", "POST"])
def admin_rules():
    effective = services.rules(db())
    forms = {action: RuleForm(prefix=action.value, data={
        "points": rule.points, "daily_cap": rule.daily_cap, "active": rule.active})
        for action, rule in effective.items()}
    context = dict(forms=forms, rules=effective, page_form=ConfirmForm(),
                   defaults=services.DEFAULT_RULES)
    if request.method == "POST":
        if not context["page_form"].validate_on_submit():
            flash(_("The form expired: please try again."), "danger")
            return render_invalid("gamification/admin/rules.html", **context)
        if not all([form.validate() for form in forms.values()]):
            return render_invalid("gamification/admin/rules.html", **context)
        changed = 0
        try:
            for action, form in forms.items():
                changed += services.save_rule(db(), current_actor(), action,
                                              points=form.points.data,
                                              daily_cap=form.daily_cap.data,
                                              active=form.active.data)
        except ServiceError as exc:
            flash(exc.message, "danger")
            return render_invalid("gamification/admin/rules.html", **context)
        flash(_("Point rules saved (%(n)d changed).", n=changed), "success")
        return redirect(url_for("gamification.admin_rules"))
    return render_template("gamification/admin/rules.html", **context)


# --- settings -------------------------------------------------------------------------------


@bp.route("/admin/gamification/settings", methods=["GET", "POST"])
def admin_settings():
    current = services.settings(db())
    form = SettingsForm(data={"anonymous_boards": current.anonymous_boards,
                              "board_size": current.board_size})
    if form.validate_on_submit():
        try:
            services.save_settings(db(), current_actor(),
                                   anonymous_boards=form.anonymous_boards.data,
                                   board_size=form.board_size.data)
        except ServiceError as exc:
            flash(exc.message, "danger")
            return render_invalid("gamification/admin/settings.html", form=form)
        flash(_("Settings saved."), "success")
        return redirect(url_for("gamification.admin_settings"))
    if form.is_submitted():
        return render_invalid("gamification/admin/settings.html", form=form)
    return render_template("gamification/admin/settings.html", form=form)


# --- levels ---------------------------------------------------------------------------------


@bp.route("/admin/gamification/levels", methods=["GET", "POST"])
def admin_levels():
    cfg = levels.config(db())
    courses = _course_choices()
    forms = {}
    for number in levels.NUMBERS[1:]:
        req = cfg[number]
        form = LevelForm(prefix=f"level{number}", data={
            **{f: getattr(req, f) for f in levels.FIELDS},
            "required_course_id": req.required_course_id or 0})
        form.required_course_id.choices = courses
        forms[number] = form
    context = dict(forms=forms, page_form=ConfirmForm(), levels=levels)
    if request.method == "POST":
        if not context["page_form"].validate_on_submit():
            flash(_("The form expired: please try again."), "danger")
            return render_invalid("gamification/admin/levels.html", **context)
        if not all([form.validate() for form in forms.values()]):
            return render_invalid("gamification/admin/levels.html", **context)
        reqs = [levels.LevelReq(number, **{f: getattr(form, f).data for f in levels.FIELDS},
                                required_course_id=form.required_course_id.data or None)
                for number, form in forms.items()]
        try:
            changed = levels.save_levels(db(), current_actor(), reqs)
        except ServiceError as exc:
            flash(exc.message, "danger")
            return render_invalid("gamification/admin/levels.html", **context)
        flash(_("Levels saved. Everyone's level is recomputed within a few minutes.")
              if changed else _("Nothing changed."), "success")
        return redirect(url_for("gamification.admin_levels"))
    return render_template("gamification/admin/levels.html", **context)


# --- badges ---------------------------------------------------------------------------------


@bp.get("/admin/gamification/badges")
def admin_badges():
    rows = badges.all_badges(db())
    have = {badge.key for badge, _n in rows}
    missing = [d for d in badges.DEFAULT_BADGES if d.key not in have]
    titles = levels.course_titles(db(), {b.course_id for b, _n in rows if b.course_id})
    return render_template("gamification/admin/badges.html", rows=rows, missing=missing,
                           titles=titles, badges=badges, form=ConfirmForm())


def _badge_input(form: BadgeForm) -> badges.BadgeInput:
    return badges.BadgeInput(
        emoji=form.emoji.data, name_en=form.name_en.data, name_fr=form.name_fr.data,
        description_en=form.description_en.data or "",
        description_fr=form.description_fr.data or "",
        criterion=BadgeCriterion(form.criterion.data), threshold=form.threshold.data,
        course_id=form.course_id.data or None)


def _badge_form(badge: Badge | None) -> BadgeForm:
    form = BadgeForm(obj=badge) if badge is not None else BadgeForm(data={"emoji": "🏅",
                                                                         "threshold": 1})
    form.course_id.choices = _course_choices()
    if badge is not None and not form.is_submitted():
        form.criterion.data = badge.criterion.value
        form.course_id.data = badge.course_id or 0
    return form


def _criterion_text(badge: Badge) -> str:
    titles = levels.course_titles(db(), [badge.course_id])
    return badges.criterion_text(badge, titles.get(badge.course_id))


def _badge_page(form: BadgeForm, badge: Badge | None, *, status: int = 200):
    context = dict(form=form, badge=badge,
                   awarded=badges.awarded_count(db(), badge.id) if badge else 0,
                   criterion_text=_criterion_text(badge) if badge else "")
    if status == 422:
        return render_invalid("gamification/admin/badge_form.html", **context)
    return render_template("gamification/admin/badge_form.html", **context)


@bp.route("/admin/gamification/badges/new", methods=["GET", "POST"])
def admin_badge_new():
    form = _badge_form(None)
    if form.validate_on_submit():
        try:
            badge = badges.create_badge(db(), current_actor(), _badge_input(form))
        except ServiceError as exc:
            _form_error(form, exc)
            return _badge_page(form, None, status=422)
        flash(_("Badge “%(name)s” created.", name=badge.name_en), "success")
        return redirect(url_for("gamification.admin_badges"))
    return _badge_page(form, None, status=422 if form.is_submitted() else 200)


@bp.route("/admin/gamification/badges/<int:badge_id>", methods=["GET", "POST"])
def admin_badge_edit(badge_id: int):
    badge = get_or_404(Badge, badge_id)
    form = _badge_form(badge)
    if form.validate_on_submit():
        try:
            badges.update_badge(db(), current_actor(), badge, _badge_input(form))
        except ServiceError as exc:
            _form_error(form, exc)
            return _badge_page(form, badge, status=422)
        flash(_("Badge saved."), "success")
        return redirect(url_for("gamification.admin_badges"))
    return _badge_page(form, badge, status=422 if form.is_submitted() else 200)


def _form_error(form, exc: ServiceError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "danger")


@bp.post("/admin/gamification/badges/<int:badge_id>/active")
def admin_badge_active(badge_id: int):
    badge = get_or_404(Badge, badge_id)
    require_post_form()
    active = request.form.get("active") == "1"
    badges.set_badge_active(db(), current_actor(), badge, active)
    flash(_("Badge reactivated: people can earn it again.") if active
          else _("Badge deactivated: nobody earns it any more; those who have it keep it."),
          "success")
    return redirect(url_for("gamification.admin_badges"))


@bp.post("/admin/gamification/badges/<int:badge_id>/delete")
def admin_badge_delete(badge_id: int):
    badge = get_or_404(Badge, badge_id)
    require_post_form()
    try:
        badges.delete_badge(db(), current_actor(), badge)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("gamification.admin_badges")), 303
    flash(_("Badge deleted."), "success")
    return redirect(url_for("gamification.admin_badges"))


@bp.post("/admin/gamification/badges/defaults")
def admin_badge_defaults():
    require_post_form()
    created = badges.install_defaults(db(), current_actor())
    flash(_("%(n)d suggested badges added.", n=created), "success")
    return redirect(url_for("gamification.admin_badges"))


# --- a person's ledger and corrections ------------------------------------------------------


@bp.route("/admin/gamification/people/<int:user_id>/points", methods=["GET", "POST"])
def admin_person_points(user_id: int):
    person = get_or_404(User, user_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            services.correct(db(), user_id=person.id, points=form.points.data,
                             reason=form.reason.data, actor=current_actor())
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            flash(_("Correction of %(points)+d points recorded.", points=form.points.data),
                  "success")
            return redirect(url_for("gamification.admin_person_points", user_id=person.id))
    page = paginate(db(), services.ledger_statement(person.id),
                    request.args.get("page", 1, type=int), current_app.config["PER_PAGE"])
    context = dict(person=person, form=form, page=page,
                   sources=services.describe_entries(db(), page.items),
                   balance=services.points_balance(db(), person.id),
                   profile=services.profile(db(), person.id), levels=levels,
                   services=services)
    if form.is_submitted():
        return render_invalid("gamification/admin/person_points.html", **context)
    return render_template("gamification/admin/person_points.html", **context)
