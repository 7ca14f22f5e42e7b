"""Encryption at rest of the OAuth tokens of connected accounts (Fernet: AES-128-CBC with
an HMAC-SHA256, authenticated, with a timestamp).

The key is ``TOKEN_ENCRYPTION_KEY`` (a Fernet key: 32 random bytes, URL-safe base64; make
one with ``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key()
.decode())"``). Production must set it. Outside production, when it is empty, a key is
derived from ``SECRET_KEY`` with HKDF-SHA256 and a label of its own, so that the two secrets
are never the same bytes.

Changing the key (or, without one, the ``SECRET_KEY``) makes the stored tokens unreadable:
the people concerned have to connect their accounts again (``decrypt`` raises
``TokenDecryptError``; the connectors turn it into "reconnect your account").
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
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


def valid_key(value: str) -> bool:
    try:
        Fernet(value.encode())
    except (ValueError, TypeError):
        return False
    return True


def _fernet(config: Mapping[str, Any]) -> Fernet:
    key = (config.get("TOKEN_ENCRYPTION_KEY") or "").strip()
    if key:
        return Fernet(key.encode())
    if config.get("ENV") == "production":
        raise RuntimeError("TOKEN_ENCRYPTION_KEY must be set in production")
    return Fernet(derive_key(config["SECRET_KEY"]))


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
