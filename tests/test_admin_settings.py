"""Admin settings over HTTP: groups, topics, self-enrolment domains, the social-media
policy (preview, publish, everyone asked again) and the audit log page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import (
    AllowedDomain,
    Group,
    GroupKind,
    PolicyAcceptance,
    PolicyVersion,
    Topic,
    User,
    user_groups,
)
from app.audit.models import AuditEvent
from app.db import utcnow
from tests.conftest import Auth
from tests.factories import GroupFactory, PolicyFactory, TopicFactory, UserFactory


def events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)))


def html(response) -> str:
    return response.get_data(as_text=True)


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


# --- groups ---------------------------------------------------------------------------------


def test_groups_page_lists_groups_by_kind_with_member_counts(client, auth, db):
    auth.as_role("admin")
    sales = GroupFactory(kind=GroupKind.DEPARTMENT, name="Sales")
    GroupFactory(kind=GroupKind.LOCATION, name="Montréal")
    UserFactory(groups=[sales])
    UserFactory(groups=[sales])

    response = client.get("/admin/groups")

    assert response.status_code == 200
    page = html(response)
    assert "Sales" in page and "Montréal" in page
    sales_item = page[page.index(">Sales<"):]
    assert '<span class="badge text-bg-light">2</span>' in sales_item[:300]
    assert f"/admin/people?group={sales.id}" in page


def test_create_group(client, auth, db):
    admin = auth.as_role("admin")

    response = client.post("/admin/groups", data={"kind": "location", "name": "  Lisbon  "})

    assert response.status_code == 302
    group = db.scalar(select(Group).where(Group.name == "Lisbon"))
    assert group is not None and group.kind == GroupKind.LOCATION
    [created] = events(db, "group.created")
    assert created.actor_id == admin.id and created.details == {"kind": "location",
                                                                "name": "Lisbon"}
    assert "Group created." in html(client.get("/admin/groups"))


def test_duplicate_group_is_refused_but_the_same_name_of_another_kind_is_fine(client, auth, db):
    auth.as_role("admin")
    GroupFactory(kind=GroupKind.DEPARTMENT, name="Research")

    duplicate = client.post("/admin/groups", data={"kind": "department", "name": "research"})

    assert duplicate.status_code == 422
    assert "This group already exists." in html(duplicate)
    assert count(db, Group) == 1

    other_kind = client.post("/admin/groups", data={"kind": "team", "name": "Research"})
    assert other_kind.status_code == 302
    assert count(db, Group) == 2


def test_group_needs_a_name_and_a_known_kind(client, auth, db):
    auth.as_role("admin")
    assert client.post("/admin/groups", data={"kind": "team", "name": "   "}).status_code == 422
    assert client.post("/admin/groups", data={"kind": "planet", "name": "Mars"}).status_code \
        == 422
    assert count(db, Group) == 0


def test_delete_group_keeps_its_members(client, auth, db):
    admin = auth.as_role("admin")
    group = GroupFactory(name="Doomed")
    member = UserFactory(groups=[group])
    group_id = group.id

    response = client.post(f"/admin/groups/{group_id}/delete", follow_redirects=True)

    assert response.status_code == 200
    assert "Group deleted." in html(response)
    db.expire_all()
    assert db.get(Group, group_id) is None
    assert db.get(User, member.id) is not None
    assert db.scalar(select(func.count()).select_from(user_groups)
                     .where(user_groups.c.group_id == group_id)) == 0
    [deleted] = events(db, "group.deleted")
    assert deleted.actor_id == admin.id and deleted.details["name"] == "Doomed"
    assert client.post(f"/admin/groups/{group_id}/delete").status_code == 404


# --- topics -------------------------------------------------------------------------------


def test_topics_create_list_and_delete(client, auth, db):
    admin = auth.as_role("admin")
    assert "No topic yet." in html(client.get("/admin/topics"))

    created = client.post("/admin/topics", data={"name": "Sustainability"})

    assert created.status_code == 302
    topic = db.scalar(select(Topic).where(Topic.name == "Sustainability"))
    assert topic is not None
    assert events(db, "topic.created")[0].actor_id == admin.id
    page = html(client.get("/admin/topics"))
    assert "Topic created." in page and "Sustainability" in page

    deleted = client.post(f"/admin/topics/{topic.id}/delete", follow_redirects=True)

    assert "Topic deleted." in html(deleted)
    assert count(db, Topic) == 0
    assert events(db, "topic.deleted")[0].details == {"name": "Sustainability"}


def test_duplicate_topic_is_refused(client, auth, db):
    auth.as_role("admin")
    TopicFactory(name="Careers")
    response = client.post("/admin/topics", data={"name": " CAREERS "})
    assert response.status_code == 422
    assert "This topic already exists." in html(response)
    assert count(db, Topic) == 1
    assert client.post("/admin/topics", data={"name": ""}).status_code == 422


def test_deleting_a_topic_removes_it_from_profiles(client, auth, db):
    auth.as_role("admin")
    topic = TopicFactory(name="Events")
    person = UserFactory(topics=[topic])
    client.post(f"/admin/topics/{topic.id}/delete")
    db.expire_all()
    assert db.get(User, person.id).topics == []


# --- domains -------------------------------------------------------------------------------


def test_domains_add_normalise_and_remove(client, auth, db):
    admin = auth.as_role("admin")
    assert "Self-enrolment is closed" in html(client.get("/admin/domains"))

    response = client.post("/admin/domains", data={"domain": " @Acme.Example "})

    assert response.status_code == 302
    row = db.scalar(select(AllowedDomain))
    assert row.domain == "acme.example"
    [added] = events(db, "domain.added")
    assert added.actor_id == admin.id and added.details == {"domain": "acme.example"}
    page = html(client.get("/admin/domains"))
    assert "@acme.example" in page and "http://localhost/join" in page

    removed = client.post(f"/admin/domains/{row.id}/delete", follow_redirects=True)

    assert "Domain removed." in html(removed)
    assert count(db, AllowedDomain) == 0
    assert len(events(db, "domain.removed")) == 1


def test_duplicate_and_invalid_domains_are_refused(client, auth, db):
    auth.as_role("admin")
    client.post("/admin/domains", data={"domain": "acme.example"})

    duplicate = client.post("/admin/domains", data={"domain": "ACME.example"})
    assert duplicate.status_code == 422
    assert "This domain is already on the list." in html(duplicate)

    for bad in ("not a domain", "acme", "http://acme.example/", "a@b.example"):
        response = client.post("/admin/domains", data={"domain": bad})
        assert response.status_code == 422, bad
        assert "Enter a domain such as example.com." in html(response)
    assert count(db, AllowedDomain) == 1


# --- policy ----------------------------------------------------------------------------------


BODY = "# House rules\n\nBe **kind**. [Guide](https://acme.example/guide)\n\n<script>alert(1)</script>"


def test_policy_page_without_any_version(client, auth):
    auth.as_role("admin")
    page = html(client.get("/admin/policy"))
    assert "No version yet" in page and "Publish as version 1" in page


def test_preview_renders_sanitised_markdown_and_creates_no_version(client, auth, db):
    auth.as_role("admin")

    response = client.post("/admin/policy", data={"title": "Rules", "body_md": BODY,
                                                  "action": "preview"})

    assert response.status_code == 200
    page = html(response)
    page = page[page.index('<article class="policy-body'):page.index("</article>")]
    assert "<h1>House rules</h1>" in page
    assert "<strong>kind</strong>" in page
    assert 'href="https://acme.example/guide"' in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page  # raw HTML is shown as text, not run
    assert count(db, PolicyVersion) == 0
    assert events(db, "policy.published") == []


def test_preview_drops_javascript_links(client, auth):
    auth.as_role("admin")
    response = client.post("/admin/policy", data={
        "title": "Rules", "body_md": "[click](javascript:alert(1)) and [ok](http://x.example)",
        "action": "preview"})
    page = html(response)
    preview = page[page.index('<article class="policy-body'):page.index("</article>")]
    assert "click" in preview
    assert 'href="javascript:' not in preview
    assert 'href="http://x.example"' in preview


def test_publish_creates_the_next_version_and_asks_everyone_again(client, auth, db, app):
    admin = auth.as_role("admin")
    employee = UserFactory(accepted_policy_version=None)
    PolicyFactory(version=1, title="Old rules")
    db.query(User).filter(User.id.in_([admin.id, employee.id])).update(
        {"accepted_policy_version": 1})
    db.flush()
    other = app.test_client()
    Auth(other, db).login(employee)
    assert other.get("/").status_code == 200  # v1 accepted: no gate

    response = client.post("/admin/policy", data={"title": "New rules", "body_md": BODY,
                                                  "action": "publish"})

    assert response.status_code == 302
    db.expire_all()
    versions = db.scalars(select(PolicyVersion).order_by(PolicyVersion.version)).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].title == "New rules" and versions[1].published_by_id == admin.id
    assert versions[1].body_md == BODY.strip()
    [published] = events(db, "policy.published")
    assert published.details == {"version": 2}
    # everyone, the admin included, must read and accept version 2 before going on
    gated = other.get("/")
    assert gated.status_code == 302 and "/policy" in gated.headers["Location"]
    admin_gated = client.get("/admin/policy")
    assert admin_gated.status_code == 302 and "/policy" in admin_gated.headers["Location"]
    accept = other.post("/policy", data={"version": "2"})
    assert accept.status_code == 302
    assert other.get("/").status_code == 200
    assert db.scalar(select(func.count()).select_from(PolicyAcceptance)
                     .where(PolicyAcceptance.user_id == employee.id)) == 1


def test_first_publish_is_version_1_and_the_page_lists_versions(client, auth, db):
    admin = auth.as_role("admin")
    response = client.post("/admin/policy", data={"title": "Rules", "body_md": "Be nice.",
                                                  "action": "publish"})
    assert response.status_code == 302
    db.expire_all()
    version = db.scalar(select(PolicyVersion))
    assert version.version == 1
    # accept it to see the admin page again
    db.get(User, admin.id).accepted_policy_version = 1
    db.flush()
    page = html(client.get("/admin/policy"))
    assert "Version 1 is published." in page
    assert "<strong>v1</strong> Rules" in page
    assert "Publish as version 2" in page
    assert 'value="Rules"' in page  # the form starts from the latest version


def test_publish_needs_a_title_and_a_text(client, auth, db):
    auth.as_role("admin")
    for data in ({"title": "", "body_md": "Text"}, {"title": "Title", "body_md": ""},
                 {"title": "Title", "body_md": "   "}):
        response = client.post("/admin/policy", data={**data, "action": "publish"})
        assert response.status_code == 422, data
    assert count(db, PolicyVersion) == 0


# --- audit log --------------------------------------------------------------------------------


def _event(db, action, actor=None, minutes_ago=0, **details):
    row = AuditEvent(action=action, actor_id=actor.id if actor else None, ip="192.0.2.7",
                     target_type="users", target_id=actor.id if actor else None,
                     details=details, at=utcnow() - timedelta(minutes=minutes_ago))
    db.add(row)
    return row


def test_audit_log_lists_events_newest_first(client, auth, db):
    admin = auth.as_role("admin", name="Ada Admin")
    _event(db, "auth.login_failed", minutes_ago=10, reason="unknown_email")
    _event(db, "user.updated", admin, minutes_ago=5, role=["employee", "manager"])
    db.flush()

    response = client.get("/admin/audit")

    assert response.status_code == 200
    page = html(response)
    assert "auth.login_failed" in page and "user.updated" in page
    assert page.index("user.updated") < page.index("auth.login_failed")
    assert "system / anonymous" in page
    assert "Ada Admin" in page and "192.0.2.7" in page
    assert "reason=unknown_email" in page
    assert f"users #{admin.id}" in page


def test_audit_log_filters_by_action_prefix(client, auth, db):
    auth.as_role("admin")
    _event(db, "auth.login_failed")
    _event(db, "auth.logout")
    _event(db, "group.created")
    db.flush()

    page = html(client.get("/admin/audit?action=auth."))

    assert "auth.login_failed" in page and "auth.logout" in page
    assert "<code>group.created</code>" not in page
    assert 'value="auth."' in page
    assert "No event." in html(client.get("/admin/audit?action=nothing.like.this"))


def test_audit_log_records_admin_actions_made_over_http(client, auth, db):
    auth.as_role("admin")
    client.post("/admin/topics", data={"name": "Audited"})
    page = html(client.get("/admin/audit?action=topic."))
    assert "topic.created" in page and "name=Audited" in page


def test_audit_log_paginates(client, auth, db, app):
    auth.as_role("admin")
    per_page = app.config["PER_PAGE"] * 2
    for i in range(per_page + 3):
        _event(db, f"test.event{i:03d}", minutes_ago=i)
    db.flush()

    first = html(client.get("/admin/audit?action=test."))
    second = html(client.get("/admin/audit?action=test.&page=2"))

    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert "test.event000" in first and f"test.event{per_page - 1:03d}" in first
    assert f"test.event{per_page:03d}" not in first
    assert f"test.event{per_page:03d}" in second and f"test.event{per_page + 2:03d}" in second
    assert "test.event000" not in second
    assert "action=test." in first  # the next link keeps the filter


@pytest.mark.parametrize("path", ["/admin/groups", "/admin/topics", "/admin/domains",
                                  "/admin/policy", "/admin/audit"])
def test_settings_pages_are_for_admins_only(client, auth, path):
    auth.as_role("curator")
    assert client.get(path).status_code == 403
