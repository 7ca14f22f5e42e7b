"""Command-line account helpers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts.models import Role, User, UserStatus
from app.accounts.services import check_email, set_password, user_by_email
from app.accounts.settings import AccountSettings
from app.audit.services import record
from app.common.actor import SYSTEM


def create_or_promote_admin(db: Session, settings: AccountSettings, *, email: str,
                            password: str, name: str = "Administrator") -> User:
    email = check_email(email)
    user = user_by_email(db, email)
    if user is None:
        user = User(email=email, name=name, role=Role.ADMIN, status=UserStatus.ACTIVE)
        db.add(user)
        db.flush()
    user.role = Role.ADMIN
    user.status = UserStatus.ACTIVE
    set_password(db, settings, user, password)
    record(db, SYSTEM, "user.admin_created_cli", target=user)
    return user
