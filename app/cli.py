"""Command line: flask --app wsgi db-upgrade | db-downgrade | create-admin | seed-demo | jobs |
api-token."""

from __future__ import annotations

import click
from flask import Flask, current_app

from app.db import get_database


def alembic_config(url: str):
    from pathlib import Path

    from alembic.config import Config as AlembicConfig

    root = Path(__file__).resolve().parent.parent
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def init_app(app: Flask) -> None:
    from app.jobs.cli import jobs_cli

    app.cli.add_command(jobs_cli)
    # api: flask --app wsgi api-token create|list|revoke (app/api/cli.py)
    from app.api.cli import api_token_cli

    app.cli.add_command(api_token_cli)
    from app.analytics.cli import analytics_cli

    app.cli.add_command(analytics_cli)
    from app.backup_cli import backup_cli

    app.cli.add_command(backup_cli)
    from app.sharing.key_rotation import rotate_encryption_key_cli

    app.cli.add_command(rotate_encryption_key_cli)

    @app.cli.command("db-upgrade")
    @click.argument("revision", default="head")
    def db_upgrade(revision):
        """Apply database migrations (default: up to the latest)."""
        upgrade(current_app.config["DATABASE_URL"], revision)
        click.echo("Database is up to date.")

    @app.cli.command("db-downgrade")
    @click.argument("revision")
    def db_downgrade(revision):
        """Revert migrations down to REVISION ("base" empties the database)."""
        from alembic import command

        command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
        click.echo(f"Database downgraded to {revision}.")

    @app.cli.command("create-admin")
    @click.option("--email", required=True)
    @click.option("--password", required=True, help="at least 12 characters")
    @click.option("--name", default="Administrator")
    def create_admin(email, password, name):
        """Create an active admin (or promote and reset an existing account)."""
        from app.accounts.admin_cli import create_or_promote_admin
        from app.accounts.settings import account_settings
        from app.common.errors import ServiceError

        try:
            with get_database().unit_of_work() as db:
                create_or_promote_admin(db, account_settings(), email=email, password=password,
                                        name=name)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"Admin ready: {email.strip().lower()}")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="do nothing when people already exist")
    def seed_demo(if_empty):
        """Fill the database with a believable demo company."""
        from app.demo import seed

        seed(get_database(), if_empty=if_empty)
