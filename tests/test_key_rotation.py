"""Rotating TOKEN_ENCRYPTION_KEY (app/sharing/crypto.py, app/sharing/key_rotation.py): the
first key encrypts, every key decrypts, and ``rotate-encryption-key`` re-encrypts every
stored secret with the first one, so the old key can go without anyone reconnecting."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

import config
from app.accounts.sso_models import SsoSettings
from app.notifications.models import WebhookEndpoint, WebhookFlavour
from app.sharing import crypto
from app.sharing.key_rotation import reencrypt_all
from app.sharing.models import ConnectedAccount
from tests.factories import UserFactory

OLD, NEW, LOST = (Fernet.generate_key().decode() for _ in range(3))


def keys(*names: str) -> dict:
    return {"TOKEN_ENCRYPTION_KEY": ",".join(names), "SECRET_KEY": "s" * 40}


@pytest.fixture
def stored(db):
    """Secrets of the three kinds, encrypted with the old key; one token with a lost key."""
    person = UserFactory()
    account = ConnectedAccount(user_id=person.id, network="linkedin", external_id="li-1",
                               display_name="P", access_token_enc=crypto.encrypt(
                                   "access-1", keys(OLD)),
                               refresh_token_enc=crypto.encrypt("refresh-1", keys(OLD)))
    lost = ConnectedAccount(user_id=UserFactory().id, network="x", external_id="x-1",
                            display_name="Q", access_token_enc=crypto.encrypt(
                                "access-2", keys(LOST)), refresh_token_enc="")
    hook = WebhookEndpoint(name="hook", url="https://hooks.example/x", events=[],
                           flavour=WebhookFlavour.JSON, active=True, last_error="",
                           secret_encrypted=crypto.encrypt("hook-secret", keys(OLD)))
    sso = SsoSettings(id=1, client_secret_encrypted=crypto.encrypt("sso-secret", keys(OLD)))
    db.add_all([account, lost, hook, sso])
    db.flush()
    return account, lost, hook, sso


def test_the_first_key_encrypts_and_every_key_decrypts():
    token = crypto.encrypt("value", keys(OLD))
    assert crypto.decrypt(token, keys(NEW, OLD)) == "value"
    newer = crypto.encrypt("value", keys(NEW, OLD))
    assert crypto.decrypt(newer, keys(NEW)) == "value"
    with pytest.raises(crypto.TokenDecryptError):
        crypto.decrypt(newer, keys(OLD))


def test_every_stored_secret_is_reencrypted_with_the_new_key(db, stored):
    account, lost, hook, sso = stored
    report = reencrypt_all(db, keys(NEW, OLD))
    assert report == {"connected_accounts": {"reencrypted": 2, "unreadable": 1},
                      "webhook_endpoints": {"reencrypted": 1, "unreadable": 0},
                      "sso_settings": {"reencrypted": 1, "unreadable": 0}}
    only_new = keys(NEW)  # the old key dropped: everything still reads
    assert crypto.decrypt(account.access_token_enc, only_new) == "access-1"
    assert crypto.decrypt(account.refresh_token_enc, only_new) == "refresh-1"
    assert crypto.decrypt(hook.secret_encrypted, only_new) == "hook-secret"
    assert crypto.decrypt(sso.client_secret_encrypted, only_new) == "sso-secret"
    before = lost.access_token_enc
    # twice: the same report, the unreadable value untouched
    assert reencrypt_all(db, keys(NEW, OLD)) == report
    assert lost.access_token_enc == before


def test_the_command_reports_what_it_did(app, db, stored):
    app.config["TOKEN_ENCRYPTION_KEY"] = f"{NEW},{OLD}"
    result = app.test_cli_runner().invoke(args=["rotate-encryption-key"])
    assert result.exit_code == 0, result.output
    assert "connected_accounts: 2 re-encrypted, 1 unreadable" in result.output
    assert "sso_settings: 1 re-encrypted, 0 unreadable" in result.output
    assert "could not be read with any configured key" in result.stderr
    db.expire_all()
    assert crypto.decrypt(db.get(SsoSettings, 1).client_secret_encrypted,
                          keys(NEW)) == "sso-secret"


def test_the_setting_takes_a_list_of_keys():
    env = {"TOKEN_ENCRYPTION_KEY": f" {NEW} , {OLD} "}
    assert config.Config.from_env(env).TOKEN_ENCRYPTION_KEY.replace(" ", "") == f"{NEW},{OLD}"
    with pytest.raises(config.ConfigError):
        config.Config.from_env({"TOKEN_ENCRYPTION_KEY": f"{NEW},not-a-key"})
