"""Administration of people, invitations, groups, topics, domains, enrolment and policy."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.accounts import bp, policy, queries, services, sessions
from app.accounts.forms import (
    ConfirmForm,
    DomainForm,
    GroupForm,
    InviteForm,
    InviteManyForm,
    PersonForm,
    PolicyForm,
    TopicForm,
    as_choices,
)
from app.accounts.models import (
    AllowedDomain,
    EnrolmentRequest,
    EnrolmentStatus,
    Group,
    GroupKind,
    Role,
    Topic,
    User,
    UserStatus,
)
from app.accounts.settings import account_settings
from app.common.csvutil import csv_text
from app.common.errors import ServiceError
from app.common.forms import require_post_form
from app.common.markdown import render_markdown
from app.common.pagination import paginate
from app.common.web import current_actor, db, get_or_404, mailer, render_invalid
from app.db import utcnow


def _group_choices():
    return as_choices((g.id, f"{g.name} ({_kind_label(g.kind)})")
                      for g in queries.all_groups(db()))


def _kind_label(kind: GroupKind) -> str:
    return {GroupKind.DEPARTMENT: _("department"), GroupKind.LOCATION: _("location"),
            GroupKind.TEAM: _("team")}[kind]


def _manager_choices(exclude_id: int | None = None):
    return as_choices([(0, "—")] + [(u.id, f"{u.name} <{u.email}>")
                                     for u in queries.managers(db()) if u.id != exclude_id])


# --- people ----------------------------------------------------------------------------


@bp.get("/admin/people")
def admin_people():
    flt = queries.PeopleFilter.from_args(request.args)
    page = paginate(db(), queries.people_statement(flt), request.args.get("page", 1, type=int),
                    current_app.config["PER_PAGE"])
    return render_template("accounts/admin/people.html", page=page, flt=flt,
                           groups=queries.all_groups(db()), roles=list(Role),
                           statuses=list(UserStatus))


@bp.get("/admin/people/export.csv")
def admin_people_export():
    flt = queries.PeopleFilter.from_args(request.args)
    people = db().scalars(queries.people_statement(flt)).unique()
    header = ["email", "name", "role", "status", "language", "timezone", "manager_email",
              "department", "location", "team", "created_at", "last_login_at"]

    def rows():
        for u in people:
            by_kind = {k: ", ".join(g.name for g in u.groups if g.kind == k) for k in GroupKind}
            yield [u.email, u.name, u.role.value, u.status.value, u.language, u.timezone,
                   u.manager.email if u.manager else "", by_kind[GroupKind.DEPARTMENT],
                   by_kind[GroupKind.LOCATION], by_kind[GroupKind.TEAM],
                   u.created_at.isoformat(), u.last_login_at.isoformat()
                   if u.last_login_at else ""]

    stamp = utcnow().strftime("%Y%m%d")
    return Response(csv_text(header, rows()), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="relais-people-{stamp}.csv"'})


@bp.route("/admin/people/<int:user_id>", methods=["GET", "POST"])
def admin_person(user_id: int):
    person = get_or_404(User, user_id)
    form = PersonForm(obj=person)
    form.manager_id.choices = _manager_choices(exclude_id=person.id)
    form.group_ids.choices = _group_choices()
    if not form.is_submitted():
        form.role.data = person.role.value
        form.manager_id.data = person.manager_id or 0
        form.group_ids.data = [g.id for g in person.groups]
    context = dict(person=person, form=form, action_form=ConfirmForm(),
                   reports=list(person.reports))
    if form.validate_on_submit():
        try:
            services.update_person(db(), current_actor(), person, name=form.name.data,
                                   role=Role(form.role.data),
                                   manager_id=form.manager_id.data or None,
                                   group_ids=form.group_ids.data)
        except ServiceError as exc:
            flash(exc.message, "danger")
            return render_invalid("accounts/admin/person.html", **context)
        flash(_("Changes saved."), "success")
        return redirect(url_for("accounts.admin_person", user_id=person.id))
    if form.is_submitted():
        return render_invalid("accounts/admin/person.html", **context)
    return render_template("accounts/admin/person.html", **context)


@bp.post("/admin/people/<int:user_id>/status")
def admin_person_status(user_id: int):
    person = get_or_404(User, user_id)
    require_post_form()
    active = request.form.get("active") == "1"
    try:
        services.set_active(db(), current_actor(), person, active)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("accounts.admin_person", user_id=person.id)), 303
    flash(_("%(name)s is reactivated.", name=person.name) if active
          else _("%(name)s is deactivated and signed out everywhere.", name=person.name),
          "success")
    return redirect(url_for("accounts.admin_person", user_id=person.id))


@bp.post("/admin/people/<int:user_id>/sessions/end")
def admin_person_end_sessions(user_id: int):
    person = get_or_404(User, user_id)
    require_post_form()
    count = sessions.end_all_by_admin(db(), current_actor(), person)
    flash(ngettext("%(name)s is signed out of %(num)d session.",
                   "%(name)s is signed out of %(num)d sessions.", count, name=person.name),
          "success")
    return redirect(url_for("accounts.admin_person", user_id=person.id))


@bp.post("/admin/people/<int:user_id>/erase")
def admin_person_erase(user_id: int):
    person = get_or_404(User, user_id)
    require_post_form()
    if request.form.get("confirm_email", "").strip().lower() != person.email:
        flash(_("Type the person's email address to confirm the erasure."), "danger")
        return redirect(url_for("accounts.admin_person", user_id=person.id)), 303
    try:
        services.erase_person(db(), current_actor(), person)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("accounts.admin_person", user_id=person.id)), 303
    flash(_("The person's personal data is erased."), "success")
    return redirect(url_for("accounts.admin_people"))


# --- invitations -------------------------------------------------------------------------


@bp.route("/admin/invite", methods=["GET", "POST"])
def admin_invite():
    one, many = InviteForm(prefix="one"), InviteManyForm(prefix="many")
    one.manager_id.choices = _manager_choices()
    one.group_ids.choices = many.group_ids.choices = _group_choices()
    context = dict(one=one, many=many)
    if request.method == "POST" and request.form.get("mode") == "many":
        if many.validate_on_submit():
            try:
                invited, problems = services.invite_many(
                    db(), account_settings(), mailer(), current_actor(), many.emails.data,
                    role=Role(many.role.data), language=many.language.data,
                    group_ids=many.group_ids.data)
            except ServiceError as exc:
                many.emails.errors.append(exc.message)
                return render_invalid("accounts/admin/invite.html", **context)
            if invited:
                flash(_("%(n)d invitation(s) sent.", n=len(invited)), "success")
            if problems:
                return render_template("accounts/admin/invite.html", problems=problems,
                                       **context)
            return redirect(url_for("accounts.admin_invitations"))
        return render_invalid("accounts/admin/invite.html", **context)
    if request.method == "POST":
        if one.validate_on_submit():
            try:
                user = services.invite(db(), account_settings(), mailer(), current_actor(),
                                       email=one.email.data, name=one.name.data,
                                       role=Role(one.role.data), language=one.language.data,
                                       manager_id=one.manager_id.data or None,
                                       group_ids=one.group_ids.data)
            except ServiceError as exc:
                getattr(one, exc.field or "email", one.email).errors.append(exc.message)
                return render_invalid("accounts/admin/invite.html", **context)
            flash(_("Invitation sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("accounts.admin_invitations"))
        return render_invalid("accounts/admin/invite.html", **context)
    return render_template("accounts/admin/invite.html", **context)


@bp.get("/admin/invitations")
def admin_invitations():
    page = paginate(db(), queries.invited_people(db()), request.args.get("page", 1, type=int),
                    current_app.config["PER_PAGE"])
    tokens = services.open_invitations(db(), (u.id for u in page.items))
    return render_template("accounts/admin/invitations.html", page=page, tokens=tokens,
                           now=utcnow(), action_form=ConfirmForm())


@bp.post("/admin/invitations/<int:user_id>/resend")
def admin_invitation_resend(user_id: int):
    person = get_or_404(User, user_id)
    require_post_form()
    try:
        services.resend_invitation(db(), account_settings(), mailer(), current_actor(), person)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("accounts.admin_invitations")), 303
    flash(_("A new invitation is on its way to %(email)s.", email=person.email), "success")
    return redirect(url_for("accounts.admin_invitations"))


@bp.post("/admin/invitations/<int:user_id>/revoke")
def admin_invitation_revoke(user_id: int):
    person = get_or_404(User, user_id)
    require_post_form()
    try:
        services.revoke_invitation(db(), current_actor(), person)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("accounts.admin_invitations")), 303
    flash(_("The invitation for %(email)s no longer works.", email=person.email), "success")
    return redirect(url_for("accounts.admin_invitations"))


# --- groups, topics, domains ---------------------------------------------------------


@bp.route("/admin/groups", methods=["GET", "POST"])
def admin_groups():
    form = GroupForm()
    if form.validate_on_submit():
        try:
            services.create_group(db(), current_actor(), GroupKind(form.kind.data),
                                  form.name.data)
        except ServiceError as exc:
            form.name.errors.append(exc.message)
        else:
            flash(_("Group created."), "success")
            return redirect(url_for("accounts.admin_groups"))
    context = dict(form=form, groups=queries.groups_by_kind(db()),
                   counts=queries.group_member_counts(db()), action_form=ConfirmForm(),
                   kind_label=_kind_label)
    if form.is_submitted():
        return render_invalid("accounts/admin/groups.html", **context)
    return render_template("accounts/admin/groups.html", **context)


@bp.post("/admin/groups/<int:group_id>/delete")
def admin_group_delete(group_id: int):
    group = get_or_404(Group, group_id)
    require_post_form()
    services.delete_group(db(), current_actor(), group)
    flash(_("Group deleted."), "success")
    return redirect(url_for("accounts.admin_groups"))


@bp.route("/admin/topics", methods=["GET", "POST"])
def admin_topics():
    form = TopicForm()
    if form.validate_on_submit():
        try:
            services.create_topic(db(), current_actor(), form.name.data)
        except ServiceError as exc:
            form.name.errors.append(exc.message)
        else:
            flash(_("Topic created."), "success")
            return redirect(url_for("accounts.admin_topics"))
    context = dict(form=form, topics=queries.all_topics(db()), action_form=ConfirmForm())
    if form.is_submitted():
        return render_invalid("accounts/admin/topics.html", **context)
    return render_template("accounts/admin/topics.html", **context)


@bp.post("/admin/topics/<int:topic_id>/delete")
def admin_topic_delete(topic_id: int):
    topic = get_or_404(Topic, topic_id)
    require_post_form()
    services.delete_topic(db(), current_actor(), topic)
    flash(_("Topic deleted."), "success")
    return redirect(url_for("accounts.admin_topics"))


@bp.route("/admin/domains", methods=["GET", "POST"])
def admin_domains():
    form = DomainForm()
    if form.validate_on_submit():
        try:
            services.add_domain(db(), current_actor(), form.domain.data)
        except ServiceError as exc:
            form.domain.errors.append(exc.message)
        else:
            flash(_("Domain added: people with such an address can ask to join."), "success")
            return redirect(url_for("accounts.admin_domains"))
    context = dict(form=form, domains=queries.domains(db()), action_form=ConfirmForm())
    if form.is_submitted():
        return render_invalid("accounts/admin/domains.html", **context)
    return render_template("accounts/admin/domains.html", **context)


@bp.post("/admin/domains/<int:domain_id>/delete")
def admin_domain_delete(domain_id: int):
    row = get_or_404(AllowedDomain, domain_id)
    require_post_form()
    services.remove_domain(db(), current_actor(), row)
    flash(_("Domain removed."), "success")
    return redirect(url_for("accounts.admin_domains"))


# --- self-enrolment requests -----------------------------------------------------------


@bp.get("/admin/enrolments")
def admin_enrolments():
    status = request.args.get("status", EnrolmentStatus.PENDING.value)
    if status not in EnrolmentStatus._value2member_map_:
        status = EnrolmentStatus.PENDING.value
    return render_template("accounts/admin/enrolments.html", status=status,
                           requests=queries.enrolment_requests(db(), EnrolmentStatus(status)),
                           action_form=ConfirmForm())


@bp.post("/admin/enrolments/<int:request_id>")
def admin_enrolment_decide(request_id: int):
    req = get_or_404(EnrolmentRequest, request_id)
    require_post_form()
    approve = request.form.get("decision") == "approve"
    try:
        services.decide_enrolment(db(), account_settings(), mailer(), current_actor(), req,
                                  approve)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("accounts.admin_enrolments")), 303
    flash(_("Approved: an invitation is on its way to %(email)s.", email=req.email) if approve
          else _("Request rejected."), "success")
    return redirect(url_for("accounts.admin_enrolments"))


# --- policy ----------------------------------------------------------------------------------


@bp.route("/admin/policy", methods=["GET", "POST"])
def admin_policy():
    latest = policy.latest_policy(db())
    form = PolicyForm(obj=latest) if request.method == "GET" else PolicyForm()
    versions = policy.all_versions(db())
    preview = render_markdown(form.body_md.data) if form.body_md.data else None
    context = dict(form=form, versions=versions, counts=policy.acceptance_counts(db()),
                   preview=preview, latest=latest)
    if request.method == "POST" and request.form.get("action") == "preview":
        return render_template("accounts/admin/policy.html", **context)
    if form.validate_on_submit():
        try:
            version = policy.publish_policy(db(), current_actor(), title=form.title.data,
                                            body_md=form.body_md.data)
        except ServiceError as exc:
            form.body_md.errors.append(exc.message)
            return render_invalid("accounts/admin/policy.html", **context)
        flash(_("Version %(v)d is published. Everyone will be asked to accept it.",
                v=version.version), "success")
        return redirect(url_for("accounts.admin_policy"))
    if form.is_submitted():
        return render_invalid("accounts/admin/policy.html", **context)
    return render_template("accounts/admin/policy.html", **context)
