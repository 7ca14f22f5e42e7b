"""Encryption at rest of the OAuth tokens of connected accounts (Fernet: AES-128-CBC with
an HMAC-SHA256, authenticated, with a timestamp).

The key is ``TOKEN_ENCRYPTION_KEY`` (a Fernet key: 32 random bytes, URL-safe base64; make
one with ``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key()
.decode())"``). Production must set it. Outside production, when it is empty, a key is
derived from ``SECRET_KEY`` with HKDF-SHA256 and a label of its own, so that the two secrets
are never the same bytes.

**Rotating the key** (docs/deploy.md "Rotating secrets"): ``TOKEN_ENCRYPTION_KEY`` may be
a comma-separated list. The first key encrypts; every key decrypts (``MultiFernet``). Put
the new key first and keep the old one after it, restart, run ``flask --app wsgi
rotate-encryption-key`` (every stored secret is re-encrypted with the first key:
``reencrypt_all``), then drop the old key. Nobody has to reconnect.

Removing a key that still encrypts stored values (or, without a key, changing
``SECRET_KEY``) makes them unreadable: the people concerned have to connect their accounts
again (``decrypt`` raises ``TokenDecryptError``; the connectors turn it into "reconnect
your account").
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: HKDF "info": binds the derived key to this use (another use would take another label)
DERIVATION_LABEL = b"relais/connected-account-tokens/v1"


class TokenDecryptError(Exception):
    """A stored token cannot be decrypted (the key changed, or the value is corrupt)."""


def derive_key(secret_key: str) -> bytes:
    """A Fernet key derived from ``secret_key`` (development and tests only)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=DERIVATION_LABEL).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def split_keys(value: str) -> list[str]:
    """The keys of a ``TOKEN_ENCRYPTION_KEY`` setting, newest (encrypting) first."""
    return [key.strip() for key in (value or "").split(",") if key.strip()]


def valid_key(value: str) -> bool:
    """Every key of the (comma-separated) setting is a Fernet key."""
    keys = split_keys(value)
    try:
        for key in keys:
            Fernet(key.encode())
    except (ValueError, TypeError):
        return False
    return bool(keys)


def _fernet(config: Mapping[str, Any]) -> MultiFernet:
    keys = split_keys(config.get("TOKEN_ENCRYPTION_KEY") or "")
    if keys:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    if config.get("ENV") == "production":
        raise RuntimeError("TOKEN_ENCRYPTION_KEY must be set in production")
    return MultiFernet([Fernet(derive_key(config["SECRET_KEY"]))])


def reencrypt(value: str, config: Mapping[str, Any] | None = None) -> str:
    """``value`` encrypted with the first key (decrypted with any); "" stays ""."""
    if not value:
        return ""
    try:
        return _fernet(_config(config)).rotate(value.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError) as exc:
        raise TokenDecryptError("the stored token cannot be decrypted") from exc


def encrypt(value: str, config: Mapping[str, Any] | None = None) -> str:
    """The token, encrypted (ASCII); "" stays "" (no refresh token)."""
    if not value:
        return ""
    return _fernet(_config(config)).encrypt(value.encode()).decode("ascii")


def decrypt(value: str, config: Mapping[str, Any] | None = None) -> str:
    if not value:
        return ""
    try:
        return _fernet(_config(config)).decrypt(value.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise TokenDecryptError("the stored token cannot be decrypted") from exc


def _config(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if config is not None:
        return config
    from flask import current_app

    return current_app.config
