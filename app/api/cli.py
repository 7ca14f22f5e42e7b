"""``flask --app wsgi api-token create|list|revoke``: tokens for automation (a deployment
script, a cron job) without going through the web pages. The secret is printed once."""

from __future__ import annotations

import click
from sqlalchemy import select

from app.accounts.services import user_by_email
from app.api import tokens
from app.api.models import ApiToken, TokenKind
from app.common.actor import SYSTEM
from app.common.errors import ServiceError
from app.db import get_database, utcnow

api_token_cli = click.Group("api-token", help="Personal access tokens of the REST API.")


@api_token_cli.command("create")
@click.option("--email", required=True, help="the owner: the token acts as this person")
@click.option("--name", default="CLI token", show_default=True)
@click.option("--scope", "scopes", multiple=True,
              help=f"repeat for several; default: all the owner's role allows. "
                   f"One of: {', '.join(tokens.SCOPES)}")
@click.option("--expires-days", type=click.IntRange(1, 3660), default=None,
              help=f"default {tokens.DEFAULT_EXPIRY_DAYS}")
@click.option("--no-expiry", is_flag=True, help="the token never expires")
@click.option("--service", is_flag=True, help="a service token (an admin's, with scopes)")
def create(email, name, scopes, expires_days, no_expiry, service):
    """Create a token and print it (once: only its hash is kept)."""
    if no_expiry and expires_days:
        raise click.UsageError("--expires-days and --no-expiry exclude each other")
    days = None if no_expiry else (expires_days or tokens.DEFAULT_EXPIRY_DAYS)
    try:
        with get_database().unit_of_work() as db:
            owner = user_by_email(db, email)
            if owner is None:
                raise click.ClickException(f"No person has the address {email.strip()}.")
            _token, secret = tokens.create_token(
                db, SYSTEM, owner, name=name,
                kind=TokenKind.SERVICE if service else TokenKind.PERSONAL,
                scopes=scopes, expires_in_days=days)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(secret)


@api_token_cli.command("list")
@click.option("--email", default=None, help="only this person's tokens")
def list_tokens(email):
    """List tokens (never their secrets)."""
    now = utcnow()
    with get_database().unit_of_work(write=False) as db:
        stmt = tokens.all_tokens_statement()
        if email:
            owner = user_by_email(db, email)
            if owner is None:
                raise click.ClickException(f"No person has the address {email.strip()}.")
            stmt = stmt.where(ApiToken.user_id == owner.id)
        for token in db.scalars(stmt).unique():
            state = ("revoked" if token.revoked_at else "expired"
                     if not token.is_usable(now) else "active")
            click.echo(f"{token.id}\t{token.prefix}…\t{state}\t{token.kind.value}\t"
                       f"{token.user.email}\t{token.scopes}\t{token.name}")


@api_token_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id):
    """Revoke the token with this id (see `list`)."""
    with get_database().unit_of_work() as db:
        token = db.scalar(select(ApiToken).where(ApiToken.id == token_id))
        if token is None:
            raise click.ClickException(f"No token has the id {token_id}.")
        tokens.revoke_token(db, SYSTEM, token)
    click.echo(f"Token {token_id} is revoked.")
