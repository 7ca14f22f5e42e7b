"""The training gate: a course required before sharing blocks every share (page, intent
POST, API posting) of the people of its audience until they pass it — any language
version — and sends them to the course; admins set it on the requirements page (audited);
the check is one SQL statement."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.common.actor import Actor
from app.sharing import services as sharing
from app.sharing.models import Share
from app.training import services
from app.training.models import Course
from tests.factories import GroupFactory, UserFactory
from tests.factories_training import ACTOR, make_course, pass_course
from tests.test_sharing_flow import make_item


def html(response) -> str:
    return response.get_data(as_text=True)


def count_statements(db, fn):
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return result, statements


# --- the decision -----------------------------------------------------------------------------


def test_a_required_course_blocks_sharing_and_names_the_course(app, db):
    person = UserFactory()
    item = make_item(db)
    assert sharing.may_share(db, person, item).allowed
    course = make_course(db, title="Social-media policy", required=True)
    with app.test_request_context():
        decision = sharing.may_share(db, person, item)
    assert not decision.allowed
    assert "Social-media policy" in decision.reason
    assert decision.action_url == f"/training/courses/{course.id}"
    assert decision.action_label == "Go to the course"


def test_passing_the_course_unlocks_sharing(db):
    person = UserFactory()
    item = make_item(db)
    course = make_course(db, required=True)
    assert not sharing.may_share(db, person, item).allowed
    pass_course(db, person, course)
    assert sharing.may_share(db, person, item).allowed


def test_passing_the_translation_counts_for_the_original(db):
    person = UserFactory(language="fr")
    item = make_item(db)
    original = make_course(db, required=True)
    french = services.translate_course(db, ACTOR, original, "fr")
    services.publish_course(db, ACTOR, french)
    decision = sharing.may_share(db, person, item)
    assert decision.action_url == f"/training/courses/{french.id}"  # their language's version
    pass_course(db, person, french)
    assert sharing.may_share(db, person, item).allowed


def test_only_the_audience_of_the_course_is_blocked(db):
    sales, other = GroupFactory(name="Sales"), GroupFactory(name="Finance")
    seller = UserFactory()
    seller.groups = [sales]
    accountant = UserFactory()
    accountant.groups = [other]
    item = make_item(db)
    make_course(db, required=True, group_ids=[sales.id])
    assert not sharing.may_share(db, seller, item).allowed
    assert sharing.may_share(db, accountant, item).allowed


def test_drafts_and_courses_not_required_do_not_block(db):
    person = UserFactory()
    item = make_item(db)
    required = make_course(db, required=True)
    make_course(db, title="Optional")
    assert not sharing.may_share(db, person, item).allowed
    services.unpublish_course(db, ACTOR, required)
    assert sharing.may_share(db, person, item).allowed


def test_the_gate_is_one_statement_when_nothing_blocks(db):
    person = UserFactory()
    make_course(db, required=True)
    make_course(db, title="Other required", required=True)
    pass_course(db, person, db.scalar(select(Course).where(Course.title == "Sharing 101")))
    other = db.scalar(select(Course).where(Course.title == "Other required"))
    pass_course(db, person, other)
    db.flush()
    decision, statements = count_statements(db, lambda: sharing.training_gate(db, person))
    assert decision is None
    assert len(statements) == 1


def test_a_share_post_is_refused_by_the_gate(db, client, auth):
    person = auth.as_role(Role.EMPLOYEE)
    item = make_item(db)
    course = make_course(db, title="Policy course", required=True)
    page = client.get(f"/share/{item.id}")
    assert page.status_code == 403
    text = html(page)
    assert 'data-testid="refusal-reason"' in text and "Policy course" in text
    assert f'href="/training/courses/{course.id}" data-testid="refusal-action"' in text
    assert "Go to the course" in text
    response = client.post(f"/share/{item.id}", data={"network": "linkedin", "text": "Hi"})
    assert response.status_code == 403
    assert db.scalar(select(func.count()).select_from(Share)) == 0
    with pytest.raises(Exception, match="Policy course"):
        sharing.create_share(db, Actor(person.id), person, item, network="linkedin", text="x")


def test_the_portal_notice_names_the_course_only_when_blocked(db, client, auth):
    person = auth.as_role(Role.EMPLOYEE)
    assert html(client.get("/training/gate")).strip() == ""
    course = make_course(db, title="Policy course", required=True)
    notice = html(client.get("/training/gate"))
    assert 'data-testid="gate-notice"' in notice and "Policy course" in notice
    assert f'/training/courses/{course.id}' in notice
    pass_course(db, person, course)
    assert html(client.get("/training/gate")).strip() == ""


# --- the admins' requirements page -------------------------------------------------------------


def test_admins_require_a_course_and_it_is_audited(db, client, auth):
    admin = auth.as_role(Role.ADMIN)
    course = make_course(db, title="Policy course")
    page = client.get("/training/admin/requirements")
    assert page.status_code == 200 and "Policy course" in html(page)
    response = client.post(f"/training/admin/requirements/{course.id}", data={"required": "y"})
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Course, course.id).required_for_sharing is True
    event_row = db.scalar(select(AuditEvent).where(
        AuditEvent.action == "course.required_for_sharing"))
    assert event_row.actor_id == admin.id and event_row.details == {"required": True}
    assert 'data-testid="is-required"' in html(client.get("/training/admin/requirements"))
    client.post(f"/training/admin/requirements/{course.id}", data={})
    db.expire_all()
    assert db.get(Course, course.id).required_for_sharing is False


def test_a_draft_or_a_translation_cannot_be_required(db, client, auth):
    auth.as_role(Role.ADMIN)
    draft = make_course(db, title="Draft course", publish=False)
    response = client.post(f"/training/admin/requirements/{draft.id}", data={"required": "y"},
                           follow_redirects=True)
    assert "Publish the course before requiring it." in html(response)
    original = make_course(db)
    copy = services.translate_course(db, ACTOR, original, "fr")
    response = client.post(f"/training/admin/requirements/{copy.id}", data={"required": "y"},
                           follow_redirects=True)
    assert "Set this on the original course" in html(response)
    db.expire_all()
    assert not db.get(Course, draft.id).required_for_sharing
    assert not db.get(Course, copy.id).required_for_sharing


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER, Role.CURATOR])
def test_only_admins_set_requirements(db, client, auth, role):
    auth.as_role(role)
    course = make_course(db)
    assert client.get("/training/admin/requirements").status_code == 403
    assert client.post(f"/training/admin/requirements/{course.id}",
                       data={"required": "y"}).status_code == 403
    db.expire_all()
    assert not db.get(Course, course.id).required_for_sharing


def test_outside_a_request_the_gate_links_the_course_path(app, db):
    """Scheduled posting (a job) asks may_share without a request to build URLs from."""
    person = UserFactory()
    item = make_item(db)
    course = make_course(db, required=True)
    decision = sharing.may_share(db, person, item)
    assert not decision.allowed
    assert decision.action_url == f"/training/courses/{course.id}"
