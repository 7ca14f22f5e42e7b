"""Re-encrypting every stored secret with the first ``TOKEN_ENCRYPTION_KEY`` (key rotation,
``app/sharing/crypto.py``): connected accounts' OAuth tokens, outgoing webhooks' signing
secrets and the single sign-on client secret.

``flask --app wsgi rotate-encryption-key`` runs ``reencrypt_all`` in one transaction: a
value that no configured key can read is counted and left as it is (its owner reconnects,
or an admin enters the secret again); running it twice re-encrypts again and changes
nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.sharing import crypto


def _targets() -> list[tuple[type, tuple[str, ...]]]:
    from app.accounts.sso_models import SsoSettings
    from app.notifications.models import WebhookEndpoint
    from app.sharing.models import ConnectedAccount

    return [(ConnectedAccount, ("access_token_enc", "refresh_token_enc")),
            (WebhookEndpoint, ("secret_encrypted",)),
            (SsoSettings, ("client_secret_encrypted",))]


def reencrypt_all(db: Session, config: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Every stored secret encrypted again with the first key; flushed, not committed.
    Returns, per table, how many values were re-encrypted and how many are unreadable."""
    report: dict[str, dict[str, int]] = {}
    for model, columns in _targets():
        counts = {"reencrypted": 0, "unreadable": 0}
        for row in db.scalars(select(model).order_by(*model.__table__.primary_key.columns)):
            for column in columns:
                value = getattr(row, column)
                if not value:
                    continue
                try:
                    setattr(row, column, crypto.reencrypt(value, config))
                except crypto.TokenDecryptError:
                    counts["unreadable"] += 1
                else:
                    counts["reencrypted"] += 1
        report[model.__tablename__] = counts
    db.flush()
    return report


@click.command("rotate-encryption-key")
@with_appcontext
def rotate_encryption_key_cli():
    """Re-encrypt every stored secret with the first key of TOKEN_ENCRYPTION_KEY."""
    from app.db import get_database

    with get_database().unit_of_work() as db:
        report = reencrypt_all(db, current_app.config)
    unreadable = 0
    for table, counts in report.items():
        click.echo(f"{table}: {counts['reencrypted']} re-encrypted, "
                   f"{counts['unreadable']} unreadable")
        unreadable += counts["unreadable"]
    if unreadable:
        click.echo(f"{unreadable} value(s) could not be read with any configured key and were "
                   "left as they are: their owners reconnect, or an admin enters the secret "
                   "again.", err=True)
