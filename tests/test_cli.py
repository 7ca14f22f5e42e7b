"""The command line: create-admin and seed-demo (inside the test's transaction)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import config
from app.accounts.models import (
    AllowedDomain,
    Group,
    PolicyVersion,
    Role,
    Topic,
    User,
    UserStatus,
)
from app.accounts.passwords import verify_password
from app.audit.models import AuditEvent
from tests.factories import UserFactory


def count(db, model, *where) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def instance_dir(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    return tmp_path


def test_create_admin_creates_an_active_admin(runner, db, app):
    result = runner.invoke(args=["create-admin", "--email", " Root@ACME.example ",
                                 "--password", "a strong admin password", "--name", "Root"])

    assert result.exit_code == 0, result.output
    assert "Admin ready: root@acme.example" in result.output
    db.expire_all()
    admin = db.scalar(select(User).where(User.email == "root@acme.example"))
    assert admin.role == Role.ADMIN and admin.status == UserStatus.ACTIVE
    assert admin.name == "Root"
    assert verify_password(admin.password_hash, "a strong admin password",
                           time_cost=app.config["ARGON2_TIME_COST"],
                           memory_cost=app.config["ARGON2_MEMORY_COST"])
    [created] = db.scalars(select(AuditEvent).where(
        AuditEvent.action == "user.admin_created_cli")).all()
    assert created.target_id == admin.id and created.actor_id is None


def test_the_new_admin_can_sign_in(runner, client, db):
    runner.invoke(args=["create-admin", "--email", "root@acme.example",
                        "--password", "a strong admin password"])
    response = client.post("/login", data={"email": "root@acme.example",
                                           "password": "a strong admin password"})
    assert response.status_code == 302
    assert client.get("/admin/people").status_code == 200


def test_create_admin_promotes_an_existing_account(runner, db):
    person = UserFactory(email="promote@acme.example", role=Role.EMPLOYEE,
                         status=UserStatus.DEACTIVATED, name="Pat Promote")

    result = runner.invoke(args=["create-admin", "--email", "promote@acme.example",
                                 "--password", "another strong password"])

    assert result.exit_code == 0, result.output
    db.expire_all()
    promoted = db.get(User, person.id)
    assert promoted.role == Role.ADMIN and promoted.status == UserStatus.ACTIVE
    assert promoted.name == "Pat Promote"
    assert count(db, User) == 1


@pytest.mark.parametrize("password, message", [
    ("short", "Use at least 12 characters."),
    ("password1234", "This password is too easy to guess."),
])
def test_create_admin_refuses_a_weak_password(runner, db, password, message):
    result = runner.invoke(args=["create-admin", "--email", "weak@acme.example",
                                 "--password", password])
    assert result.exit_code != 0
    assert message in result.output
    assert count(db, User) == 0


def test_create_admin_refuses_a_bad_email(runner, db):
    result = runner.invoke(args=["create-admin", "--email", "nobody",
                                 "--password", "a strong admin password"])
    assert result.exit_code != 0
    assert "Enter a valid email address." in result.output
    assert count(db, User) == 0


def test_create_admin_needs_both_options(runner, db):
    result = runner.invoke(args=["create-admin", "--email", "x@acme.example"])
    assert result.exit_code == 2 and "--password" in result.output
    assert count(db, User) == 0


def test_seed_demo_fills_an_empty_database(runner, db, instance_dir, client):
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert "Demo company created: 200 people." in result.output
    login_file = instance_dir / "demo-login.txt"
    password = login_file.read_text().strip()
    assert password.startswith("demo-") and password in result.output
    assert oct(login_file.stat().st_mode & 0o777) == "0o600"
    assert count(db, User) == 200
    for who, role in (("admin", Role.ADMIN), ("curator", Role.CURATOR),
                      ("manager", Role.MANAGER), ("employee", Role.EMPLOYEE)):
        person = db.scalar(select(User).where(User.email == f"{who}@acme.example"))
        assert person is not None and person.role == role
        assert person.status == UserStatus.ACTIVE
    assert count(db, PolicyVersion) == 1
    assert count(db, AllowedDomain, AllowedDomain.domain == "acme.example") == 1
    assert count(db, Group) == 17 and count(db, Topic) == 8
    # a management chain: everyone but the admin reports to someone
    assert count(db, User, User.manager_id.is_(None)) == 1
    employee = db.scalar(select(User).where(User.email == "employee@acme.example"))
    assert employee.manager.email == "manager@acme.example"
    # the printed password really signs the demo admin in
    response = client.post("/login", data={"email": "admin@acme.example",
                                           "password": password})
    assert response.status_code == 302


def test_seed_demo_reuses_the_stored_password(runner, db, instance_dir):
    (instance_dir / "demo-login.txt").write_text("demo-kept-password\n")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "demo-kept-password" in result.output


def test_seed_demo_if_empty_does_nothing_on_a_non_empty_database(runner, db, instance_dir):
    UserFactory(email="someone@acme.example")

    result = runner.invoke(args=["seed-demo", "--if-empty"])

    assert result.exit_code == 0, result.output
    assert "Database already has people: demo data not added." in result.output
    assert count(db, User) == 1
    assert count(db, Group) == 0 and count(db, PolicyVersion) == 0


def test_seed_demo_if_empty_after_seeding_prints_the_logins_again(runner, db, instance_dir):
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "demo data not added" in result.output
    assert "admin@acme.example" in result.output
    assert count(db, User) == 200


def test_seed_demo_without_if_empty_refuses_a_non_empty_database(runner, db, instance_dir):
    UserFactory()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "seed-demo only fills an empty database" in result.output
    assert count(db, User) == 1
