"""argon2 password hashing and the password rules."""

from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import Path

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


def needs_rehash(stored_hash: str, *, time_cost: int = 3, memory_cost: int = 65536) -> bool:
    """Whether a hash was made with other argon2 parameters than the configured ones (the
    cost was raised since): rehash the password while it is at hand, at sign-in."""
    try:
        return hasher(time_cost, memory_cost).check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


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


#: the most common passwords (app/accounts/data/README.md says where they come from)
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt"
#: what people wrap around a common password to pass a length rule ("Password2024!")
_PADDING = string.digits + string.punctuation + string.whitespace
#: words no Relais password may contain, whoever the person is
_PRODUCT_WORDS = ("relais",)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, lower-cased (loaded once per process)."""
    return frozenset(COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").split())


def context_words(email: str = "", name: str = "") -> list[str]:
    """Words from the person and the service that make a password guessable: the e-mail's
    local part and domain name, the parts of the name, "relais" (4 letters or more)."""
    local, _, domain = email.lower().partition("@")
    words = [local, domain.split(".")[0] if domain else "", *_PRODUCT_WORDS]
    words += [part for part in re.split(r"[\W_]+", name.lower()) if part]
    return [w for w in dict.fromkeys(words) if len(w) >= 4]


def _repetitive(password: str) -> bool:
    """One short pattern repeated ("aaaaaaaaaaaa", "abcabcabcabc", "1212121212121")."""
    for size in range(1, 5):
        pattern = password[:size]
        if len(password) >= 2 * size and (pattern * (len(password) // size + 1)).startswith(
                password):
            return True
    return False


def is_guessable(password: str, *, email: str = "", name: str = "") -> bool:
    """A common password, a common password padded with digits or symbols, one short
    pattern repeated, or a password containing the person's or the service's words."""
    lowered = password.lower()
    common = common_passwords()
    core = lowered.strip(_PADDING)
    if lowered in common or (len(core) >= 4 and core in common) or _repetitive(lowered):
        return True
    return any(word in lowered for word in context_words(email, name))


def check_password_rules(password: str, *, email: str = "", name: str = "",
                         min_length: int = 12) -> None:
    if len(password) < min_length:
        raise ServiceError(_("Use at least %(n)d characters.", n=min_length), field="password")
    if len(password) > 128:
        raise ServiceError(_("Use at most 128 characters."), field="password")
    if is_guessable(password, email=email, name=name):
        raise ServiceError(_("This password is too easy to guess."), field="password")
