"""factory_boy factories; the session is set per test by the ``factories`` fixture."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.accounts.models import Group, GroupKind, PolicyVersion, Role, Topic, User, UserStatus
from app.accounts.passwords import hash_password

PASSWORD = "correct horse battery"
#: tests use a cheap argon2 cost (see tests/conftest.py); one hash serves every user
PASSWORD_HASH = hash_password(PASSWORD, time_cost=1, memory_cost=1024)


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@acme.test")
    name = factory.Faker("name")
    role = Role.EMPLOYEE
    status = UserStatus.ACTIVE
    language = "en"
    timezone = "UTC"
    password_hash = PASSWORD_HASH
    session_version = 1
    failed_logins = 0


class GroupFactory(BaseFactory):
    class Meta:
        model = Group

    kind = GroupKind.DEPARTMENT
    name = factory.Sequence(lambda n: f"Group {n}")


class TopicFactory(BaseFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")


class PolicyFactory(BaseFactory):
    class Meta:
        model = PolicyVersion

    version = factory.Sequence(lambda n: n + 1)
    title = "Social-media policy"
    body_md = "# Be kind\n\nShare what you like."


ALL = [UserFactory, GroupFactory, TopicFactory, PolicyFactory]
