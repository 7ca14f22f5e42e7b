"""People through the API, with the admin pages' rules: list and filters, pages and links,
create (invitation sent or not), Idempotency-Key, update, deactivate/reactivate; and
provisioning by employee number (joiners, movers, leavers)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import AccountToken, GroupKind, Role, User, UserStatus
from app.api.models import ApiToken, IdempotencyRecord
from app.audit.models import AuditEvent
from tests.factories import GroupFactory, UserFactory
from tests.factories_api import Api, assert_problem


@pytest.fixture
def api(client, db):
    api = Api(client, db)
    api.as_role("admin", name="Ada Admin", email="ada@acme.example")
    return api


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


# --- reading -------------------------------------------------------------------------------


def test_list_people_with_filters(api, db):
    sales = GroupFactory(kind=GroupKind.DEPARTMENT, name="Sales")
    UserFactory(name="Bea Seller", groups=[sales], employee_number="E-7")
    UserFactory(name="Carl Curator", role=Role.CURATOR)
    UserFactory(name="Dan Gone", status=UserStatus.DEACTIVATED)
    body = api.get("/users").get_json()
    assert body["total"] == 4 and [u["name"] for u in body["items"]] == [
        "Ada Admin", "Bea Seller", "Carl Curator", "Dan Gone"]
    response = api.get(f"/users?group={sales.id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    bea = response.get_json()["items"]
    assert [u["name"] for u in bea] == ["Bea Seller"]
    assert bea[0]["groups"] == [{"id": sales.id, "kind": "department", "name": "Sales"}]
    assert bea[0]["employee_number"] == "E-7" and bea[0]["erased"] is False
    assert [u["name"] for u in api.get("/users?role=curator").get_json()["items"]] == [
        "Carl Curator"]
    assert [u["name"] for u in api.get("/users?status=deactivated").get_json()["items"]] == [
        "Dan Gone"]
    assert [u["name"] for u in api.get("/users?q=SELL").get_json()["items"]] == ["Bea Seller"]
    assert api.get("/users?employee_number=E-7").get_json()["total"] == 1


def test_pages_have_links_in_the_body_and_the_link_header(api):
    for n in range(4):
        UserFactory(name=f"Person {n}")
    response = api.get("/users?per_page=2&page=2&role=employee")
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (2, 2, 4, 2)
    assert body["links"]["prev"] == "/api/v1/users?role=employee&page=1&per_page=2"
    assert "next" not in body["links"]
    assert '</api/v1/users?role=employee&page=1&per_page=2>; rel="prev"' in response.headers[
        "Link"]
    assert response.headers["X-Total-Count"] == "4"


def test_bad_query_parameters_are_a_422_problem_listing_them(api):
    body = assert_problem(api.get("/users?per_page=500&role=boss"), 422, "invalid-request")
    assert {e["field"] for e in body["errors"]} == {"per_page", "role"}
    assert all(e["location"] == "query" for e in body["errors"])


def test_get_one_person_or_a_404(api):
    person = UserFactory(name="Eve")
    assert api.get(f"/users/{person.id}").get_json()["name"] == "Eve"
    assert_problem(api.get("/users/99999"), 404, "not-found")
    assert_problem(api.get("/users/99999999999999999999"), 404)


# --- creating ------------------------------------------------------------------------------------


def test_create_a_person_like_the_invitation_form(api, db, mail):
    team = GroupFactory(kind=GroupKind.TEAM, name="Blue")
    manager = UserFactory(role=Role.MANAGER)
    response = api.post("/users", json={
        "email": "  Fiona.New@ACME.example ", "name": "Fiona New", "role": "curator",
        "language": "fr", "manager_id": manager.id, "group_ids": [team.id],
        "employee_number": "E-100"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["email"] == "fiona.new@acme.example" and body["status"] == "invited"
    assert body["role"] == "curator" and body["manager_id"] == manager.id
    assert response.headers["Location"] == f"/api/v1/users/{body['id']}"
    person = db.get(User, body["id"])
    assert person.language == "fr" and person.employee_number == "E-100"
    assert mail.wait_for("fiona.new@acme.example")["Subject"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.invited"))
    assert event.actor_id == api.user.id and event.details["via"] == "api"


def test_create_without_sending_the_invitation(api, db, mail, auth):
    response = api.post("/users", json={"email": "later@acme.example", "send_invitation": False})
    assert response.status_code == 201
    person = db.get(User, response.get_json()["id"])
    assert person.status == UserStatus.INVITED and person.name == "later"
    assert db.scalar(select(func.count()).select_from(AccountToken)
                     .where(AccountToken.user_id == person.id)) == 0
    assert mail.to("later@acme.example") == []
    # the admin sends it later from the Invitations page
    auth.login(api.user)
    assert "not sent" in auth.client.get("/admin/invitations").get_data(as_text=True)
    auth.client.post(f"/admin/invitations/{person.id}/resend")
    assert mail.wait_for("later@acme.example")


@pytest.mark.parametrize("payload, field", [
    ({"email": "not-an-address"}, "email"),
    ({"email": "x@acme.example", "manager_id": 99999}, "manager_id"),
    ({"email": "x@acme.example", "group_ids": [99999]}, "group_ids"),
])
def test_rules_of_the_services_are_422_problems(api, db, payload, field):
    before = count(db, User)
    body = assert_problem(api.post("/users", json=payload), 422, "refused")
    assert body["errors"][0]["field"] == field
    assert count(db, User) == before


@pytest.mark.parametrize("payload", [{}, {"email": 3}, {"email": "a@b.example", "role": "boss"},
                                     {"email": "a@b.example", "unknown": 1},
                                     {"email": "a\u0000b@acme.example"}])
def test_invalid_bodies_are_422_problems(api, payload):
    assert_problem(api.post("/users", json=payload), 422, "invalid-request")


def test_malformed_json_is_a_400_problem(api):
    response = api.client.post("/api/v1/users", data="{not json", headers=api.headers(
        extra={"Content-Type": "application/json"}))
    assert_problem(response, 400, "malformed-json")


def test_taken_email_or_employee_number_is_a_409(api, db):
    UserFactory(email="taken@acme.example", employee_number="E-1")
    assert_problem(api.post("/users", json={"email": "TAKEN@acme.example"}), 409, "conflict")
    body = assert_problem(api.post("/users", json={"email": "free@acme.example",
                                                   "employee_number": "E-1"}), 409)
    assert body["errors"][0]["field"] == "employee_number"


def test_an_idempotency_key_makes_a_retry_safe(api, db, mail):
    payload = {"email": "once@acme.example", "name": "Once"}
    key = {"Idempotency-Key": "3f0c6a4e-retry-1"}
    first = api.post("/users", json=payload, headers=key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = api.post("/users", json=payload, headers=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert count(db, User) == 2  # the admin and "Once": not twice
    assert len(mail.to("once@acme.example")) <= 1
    # the same key for another request is refused; a new key creates
    other = api.post("/users", json={"email": "twice@acme.example"}, headers=key)
    assert_problem(other, 422, "idempotency-key-reused")
    assert api.post("/users", json={"email": "twice@acme.example"},
                    headers={"Idempotency-Key": "another"}).status_code == 201
    record = db.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == key[
        "Idempotency-Key"]))
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == api.user.id))
    assert record.user_id == api.user.id and record.token_id == token_id


def test_errors_are_not_remembered_under_an_idempotency_key(api, db):
    key = {"Idempotency-Key": "fix-and-retry"}
    assert api.post("/users", json={"email": "nope"}, headers=key).status_code == 422
    assert api.post("/users", json={"email": "fixed@acme.example"}, headers=key
                    ).status_code == 201
    assert count(db, IdempotencyRecord) == 1


def test_keys_belong_to_their_person(api, db):
    key = {"Idempotency-Key": "shared-key"}
    assert api.post("/users", json={"email": "a1@acme.example"}, headers=key).status_code == 201
    other = api.token_for(UserFactory(role=Role.ADMIN))
    response = api.post("/users", json={"email": "a2@acme.example"}, headers=key, secret=other)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers


# --- updating ------------------------------------------------------------------------------


def test_patch_changes_only_what_is_given(api, db):
    team = GroupFactory(kind=GroupKind.TEAM)
    person = UserFactory(name="Gus", role=Role.EMPLOYEE, groups=[team])
    response = api.patch(f"/users/{person.id}", json={"role": "manager",
                                                      "employee_number": "E-55"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["role"] == "manager" and body["name"] == "Gus"
    assert [g["id"] for g in body["groups"]] == [team.id] and body["employee_number"] == "E-55"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.updated"))
    assert event.details["role"] == ["employee", "manager"]
    # an unchanged PATCH writes nothing to the audit log
    before = count(db, AuditEvent)
    assert api.patch(f"/users/{person.id}", json={"role": "manager"}).status_code == 200
    assert count(db, AuditEvent) == before


def test_patch_keeps_the_admin_pages_rules(api, db):
    assert_problem(api.patch(f"/users/{api.user.id}", json={"role": "employee"}), 422,
                   "refused")
    boss = UserFactory()
    report = UserFactory(manager=boss)
    body = assert_problem(api.patch(f"/users/{boss.id}", json={"manager_id": report.id}), 422)
    assert body["errors"][0]["field"] == "manager_id"
    assert_problem(api.patch("/users/99999", json={"name": "x"}), 404)


def test_deactivate_ends_sessions_and_tokens_then_reactivate(api, db, auth):
    person = UserFactory(role=Role.CURATOR)
    person_token = api.token_for(person)
    auth.login(person)
    assert auth.client.get("/curate/items").status_code == 200
    response = api.post(f"/users/{person.id}/deactivate")
    assert response.status_code == 200 and response.get_json()["status"] == "deactivated"
    assert auth.client.get("/curate/items").status_code == 302  # signed out
    assert api.get("/me", secret=person_token).status_code == 401
    assert db.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == person.id))
    # twice: nothing more happens
    before = count(db, AuditEvent)
    assert api.post(f"/users/{person.id}/deactivate").status_code == 200
    assert count(db, AuditEvent) == before
    assert api.post(f"/users/{person.id}/reactivate").get_json()["status"] == "active"
    assert_problem(api.post(f"/users/{api.user.id}/deactivate"), 422, "refused")


# --- provisioning --------------------------------------------------------------------------


def test_a_joiner_is_created_then_updated_by_employee_number(api, db, mail):
    dept = GroupFactory(kind=GroupKind.DEPARTMENT, name="Finance")
    boss = UserFactory(employee_number="M-9")
    payload = {"email": "hana@acme.example", "name": "Hana", "manager_employee_number": "M-9",
               "group_ids": [dept.id]}
    created = api.put("/provisioning/users/E-300", json=payload)
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["employee_number"] == "E-300" and body["manager_id"] == boss.id
    assert body["status"] == "invited" and mail.wait_for("hana@acme.example")
    # the same body again: 200, nothing changes, nothing is logged
    before = count(db, AuditEvent)
    again = api.put("/provisioning/users/E-300", json=payload)
    assert again.status_code == 200 and again.get_json() == body
    assert count(db, AuditEvent) == before
    # a mover: new name, new email, no manager any more, role kept
    moved = api.put("/provisioning/users/E-300", json={
        "email": "hana.sato@acme.example", "name": "Hana Sato", "manager_employee_number": None})
    body = moved.get_json()
    assert body["email"] == "hana.sato@acme.example" and body["name"] == "Hana Sato"
    assert body["manager_id"] is None and [g["name"] for g in body["groups"]] == ["Finance"]
    assert api.get("/provisioning/users/E-300").get_json()["id"] == body["id"]
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "user.email_changed"))


def test_an_account_invited_by_hand_is_adopted_not_duplicated(api, db):
    existing = UserFactory(email="ivan@acme.example")
    response = api.put("/provisioning/users/E-400", json={"email": "ivan@acme.example",
                                                          "name": "Ivan"})
    assert response.status_code == 200 and response.get_json()["id"] == existing.id
    assert db.get(User, existing.id).employee_number == "E-400"
    conflict = api.put("/provisioning/users/E-401", json={"email": "ivan@acme.example",
                                                          "name": "Ivan"})
    assert_problem(conflict, 409, "conflict")


def test_a_leaver_is_deactivated_and_can_come_back(api, db):
    person = UserFactory(employee_number="E-500", email="jo@acme.example")
    token = api.token_for(person)
    assert api.delete("/provisioning/users/E-500").status_code == 204
    db.expire_all()
    assert db.get(User, person.id).status == UserStatus.DEACTIVATED
    assert api.get("/me", secret=token).status_code == 401
    assert api.delete("/provisioning/users/E-500").status_code == 204  # again: no change
    back = api.put("/provisioning/users/E-500", json={"email": "jo@acme.example", "name": "Jo",
                                                      "active": True})
    assert back.get_json()["status"] == "active"
    gone = api.put("/provisioning/users/E-500", json={"email": "jo@acme.example", "name": "Jo",
                                                      "active": False})
    assert gone.get_json()["status"] == "deactivated"


def test_provisioning_errors(api):
    assert_problem(api.get("/provisioning/users/E-999"), 404)
    assert_problem(api.delete("/provisioning/users/E-999"), 404)
    body = assert_problem(api.put("/provisioning/users/E-1", json={
        "email": "k@acme.example", "name": "K", "manager_employee_number": "NOBODY"}), 422)
    assert body["errors"][0]["field"] == "manager_employee_number"
    assert_problem(api.put("/provisioning/users/E-1", json={"name": "K"}), 422,
                   "invalid-request")
    assert_problem(api.put("/provisioning/users/bad%20number", json={
        "email": "k@acme.example", "name": "K"}), 404)


def test_provisioning_needs_the_users_write_scope(api):
    reader = api.token_for(api.user, scopes="users:read")
    assert api.get("/users", secret=reader).status_code == 200
    assert_problem(api.put("/provisioning/users/E-1", json={"email": "k@acme.example",
                                                            "name": "K"}, secret=reader),
                   403, "insufficient-scope")
