"""argon2 password hashing and the password rules."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

from app.common.errors import ServiceError

_hashers: dict[tuple[int, int], PasswordHasher] = {}
#: a real hash to verify against when the account does not exist, so that the time a
#: failed login takes does not tell whether the email is known
_DUMMY: dict[tuple[int, int], str] = {}


def hasher(time_cost: int = 3, memory_cost: int = 65536) -> PasswordHasher:
    key = (time_cost, memory_cost)
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)
    return _hashers[key]


def hash_password(password: str, *, time_cost: int = 3, memory_cost: int = 65536) -> str:
    return hasher(time_cost, memory_cost).hash(password)


def verify_password(stored_hash: str | None, password: str, *, time_cost: int = 3,
                    memory_cost: int = 65536) -> bool:
    ph = hasher(time_cost, memory_cost)
    if not stored_hash:
        key = (time_cost, memory_cost)
        if key not in _DUMMY:
            _DUMMY[key] = ph.hash("relais-dummy-password")
        stored_hash = _DUMMY[key]
        try:
            ph.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return ph.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


#: a few of the most common passwords long enough to pass the length rule
_COMMON = {"123456789012", "password1234", "qwertyuiopas", "passwordpassword",
           "111111111111", "azertyuiopqs", "motdepasse123", "iloveyou1234"}


def check_password_rules(password: str, *, email: str = "", min_length: int = 12) -> None:
    if len(password) < min_length:
        raise ServiceError(_("Use at least %(n)d characters.", n=min_length), field="password")
    if len(password) > 128:
        raise ServiceError(_("Use at most 128 characters."), field="password")
    lowered = password.lower()
    if lowered in _COMMON or (email and email.split("@")[0].lower() in lowered
                              and len(email.split("@")[0]) >= 4):
        raise ServiceError(_("This password is too easy to guess."), field="password")
