"""Training reports (managers: their team, direct and indirect; curators and admins:
everyone, or one manager's team), their CSV exports, granting another attempt, and the
admins' "training requirements" page (the courses required before sharing). Routes only:
the numbers come from reports.py."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role, User
from app.accounts.queries import team_ids
from app.common.csvutil import csv_text
from app.common.errors import ServiceError
from app.common.forms import ConfirmForm, require_post_form
from app.common.pagination import paginate
from app.common.web import current_actor, db, get_or_404
from app.db import utcnow
from app.training import bp, learning, queries, reports, services
from app.training.forms import RequiredForm
from app.training.models import Course


def _me():
    return current_user._get_current_object()


def _everyone_allowed() -> bool:
    return current_user.has_role(Role.CURATOR)


def _scope() -> tuple[set[int] | None, User | None]:
    """(the people the reports cover, the manager whose team it is). Managers see their
    team only, and may narrow it to the team of a manager within it."""
    me = _me()
    wanted = request.args.get("manager", type=int)
    if _everyone_allowed():
        if wanted is None:
            return None, None
        manager = db().get(User, wanted)
        if manager is None:
            abort(404)
        return set(team_ids(db(), manager.id)), manager
    mine = set(team_ids(db(), me.id))
    if wanted is None or wanted == me.id:
        return mine, me
    if wanted not in mine:
        abort(404)
    return set(team_ids(db(), wanted)), db().get(User, wanted)


def _original_or_404(course_id: int) -> Course:
    course = get_or_404(Course, course_id)
    if course.translation_of_id is not None:
        abort(404)
    return course


def _scope_args(manager: User | None) -> dict:
    """The ?manager= to keep in links (not for a manager looking at their own team)."""
    if manager is None or manager.id == current_user.id:
        return {}
    return {"manager": manager.id}


@bp.get("/training/reports")
def reports_index():
    scope, manager = _scope()
    today = utcnow().date()
    rows = [(course, reports.summary(db(), course, scope, today))
            for course in queries.published_originals(db())]
    return render_template("training/reports/index.html", rows=rows, manager=manager,
                           scope_args=_scope_args(manager), everyone=_everyone_allowed())


@bp.get("/training/reports/courses/<int:course_id>")
def report(course_id: int):
    original = _original_or_404(course_id)
    scope, manager = _scope()
    today = utcnow().date()
    status = request.args.get("status", "")
    status = status if status in reports.STATUSES else ""
    q = (request.args.get("q") or "").strip()[:100]
    page = paginate(db(), reports.people_statement(original, scope, today, status=status, q=q),
                    request.args.get("page", 1, type=int), current_app.config["PER_PAGE"],
                    scalars=False)
    within = None if _everyone_allowed() and manager is None else (
        manager.id if manager else current_user.id)
    return render_template(
        "training/reports/course.html", course=original, manager=manager,
        scope_args=_scope_args(manager), summary=reports.summary(db(), original, scope, today),
        groups=reports.by_group(db(), original, scope, today),
        teams=reports.by_team(db(), original, today, within=within),
        page=page, status=status, q=q, today=today, person_status=reports.person_status,
        versions=queries.family_of(db(), original, published_only=False),
        everyone=_everyone_allowed(), grant_form=ConfirmForm())


def _csv(name: str, header: list[str], rows) -> Response:
    stamp = utcnow().strftime("%Y%m%d")
    return Response(csv_text(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="relais-{name}-{stamp}.csv"'})


@bp.get("/training/reports/courses/<int:course_id>/export.csv")
def report_export(course_id: int):
    original = _original_or_404(course_id)
    scope, _manager = _scope()
    today = utcnow().date()
    rows = db().execute(reports.people_statement(original, scope, today))
    header = ["name", "email", "manager", "status", "passed_at", "language_passed",
              "certificate_score", "attempts", "best_score", "started_at", "due_on"]

    def lines():
        for row in rows:
            yield [row.name, row.email, row.manager or "",
                   reports.person_status(row, original, today),
                   row.issued_at.isoformat() if row.issued_at else "", row.language or "",
                   row.score if row.score is not None else "", row.attempts or 0,
                   row.best if row.best is not None else "",
                   row.started.isoformat() if row.started else "",
                   original.due_on.isoformat() if original.due_on else ""]

    return _csv(f"training-{original.id}", header, lines())


@bp.get("/training/reports/overdue")
def overdue():
    scope, manager = _scope()
    stmt = reports.overdue_statement(queries.published_originals(db()), scope, utcnow().date())
    page = paginate(db(), stmt, request.args.get("page", 1, type=int),
                    current_app.config["PER_PAGE"], scalars=False) if stmt is not None else None
    return render_template("training/reports/overdue.html", page=page, manager=manager,
                           scope_args=_scope_args(manager), everyone=_everyone_allowed())


@bp.get("/training/reports/overdue.csv")
def overdue_export():
    scope, _manager = _scope()
    stmt = reports.overdue_statement(queries.published_originals(db()), scope, utcnow().date())
    rows = db().execute(stmt) if stmt is not None else []
    header = ["course", "due_on", "name", "email", "manager"]
    return _csv("training-overdue", header,
                ([r.course_title, r.due_on.isoformat() if r.due_on else "", r.name, r.email,
                  r.manager or ""] for r in rows))


@bp.post("/training/reports/courses/<int:course_id>/people/<int:user_id>/grant")
def grant_attempt(course_id: int, user_id: int):
    require_post_form()
    original = _original_or_404(course_id)
    person = get_or_404(User, user_id)
    try:
        learning.grant_attempt(db(), current_actor(), person, original)
        flash(_("%(name)s can make one more attempt.", name=person.name), "success")
    except ServiceError as exc:
        flash(exc.message, "danger")
    return redirect(url_for("training.report", course_id=original.id, q=person.email),
                    code=303)


# --- admins: the courses required before sharing --------------------------------------------


@bp.get("/training/admin/requirements")
def requirements():
    today = utcnow().date()
    courses = queries.originals(db())
    blocked = {c.id: reports.summary(db(), c, None, today) for c in courses
               if c.required_for_sharing}
    return render_template("training/admin/requirements.html", courses=courses,
                           blocked=blocked, form=RequiredForm(),
                           published={c.id: services.family_published(db(), c.id)
                                      for c in courses})


@bp.post("/training/admin/requirements/<int:course_id>")
def set_requirement(course_id: int):
    form = RequiredForm()
    if not form.validate_on_submit():
        abort(400)
    course = get_or_404(Course, course_id)
    try:
        services.set_required(db(), current_actor(), course, bool(form.required.data))
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("training.requirements"), code=303)
    if course.required_for_sharing:
        flash(_("“%(title)s” is now required before sharing.", title=course.title), "success")
    else:
        flash(_("“%(title)s” is no longer required before sharing.", title=course.title),
              "success")
    return redirect(url_for("training.requirements"), code=303)
