"""The password rules (app/accounts/passwords.py; ASVS 6.2.4, 6.2.11): the 30,000 most
common passwords, padded or not, repeated patterns and context words are refused, through
the unit and through the profile's change-password form."""

from __future__ import annotations

import pytest

from app.accounts.passwords import (
    check_password_rules,
    common_passwords,
    context_words,
    is_guessable,
)
from app.common.errors import ServiceError
from tests import factories

WHO = {"email": "dominique.martin@acme.test", "name": "Dominique Martin"}


def test_the_list_holds_the_30000_most_common_passwords():
    common = common_passwords()
    assert len(common) >= 30_000
    assert {"123456", "password", "qwerty", "motdepasse", "123qweasdzxc"} <= common
    assert all(word == word.lower() for word in common)


@pytest.mark.parametrize("password", [
    "password1234", "PASSWORD1234", "123qweasdzxc", "qwerty123456",  # common as they are
    "Baseball2024!!", "  dragon 2024!!  ", "!!Motdepasse2026",        # padded common ones
    "aaaaaaaaaaaa", "abcabcabcabc", "1212121212121",                 # one pattern repeated
    "dominique-2026!", "martin martin!!", "acme forever 2026",        # the person, the company
    "relais-rocks-2026",                                               # the service
])
def test_guessable_passwords_are_refused(password):
    assert is_guessable(password, **WHO)
    with pytest.raises(ServiceError) as refused:
        check_password_rules(password, **WHO)
    assert refused.value.message == "This password is too easy to guess."


@pytest.mark.parametrize("password", [
    "correct horse battery staple", "ilovefootballmatches", "Tr0ub4dor&3xyz",
    "glacier-otter-plinth", "mon vélo est rouge et bleu",
])
def test_other_passwords_are_accepted(password):
    assert not is_guessable(password, **WHO)
    check_password_rules(password, **WHO)


def test_context_words_are_the_long_enough_parts():
    assert context_words("al@ab.example", "Al Bo Zed-Smith") == ["relais", "smith"]
    assert context_words("dominique.martin@acme.test", "Dominique Martin") == [
        "dominique.martin", "acme", "relais", "dominique", "martin"]


def test_the_change_password_form_applies_them(client, auth, db):
    auth.login(factories.UserFactory(**WHO))
    response = client.post("/profile/password", data={
        "current_password": factories.PASSWORD, "password": "Dominique-2026!",
        "confirm": "Dominique-2026!"})
    assert response.status_code == 422
    assert "This password is too easy to guess." in response.get_data(as_text=True)
