"""flask --app wsgi backup [--output FILE] | backup verify FILE | backup restore FILE --yes"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app import backup as backups
from app.db import utcnow
from config import INSTANCE_DIR


@click.group("backup", cls=AppGroup, invoke_without_command=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="the backup file (default: BACKUP_DIR/relais-<UTC time>.db or .dump)")
@click.pass_context
def backup_cli(ctx, output: Path | None):
    """Back the database up (a file and its manifest); or verify or restore a backup
    (docs/deploy.md)."""
    if ctx.invoked_subcommand is not None:
        return
    url = current_app.config["DATABASE_URL"]
    now = utcnow()
    directory = current_app.config["BACKUP_DIR"] or INSTANCE_DIR / "backups"
    path = output or backups.default_path(url, Path(directory), now)
    try:
        manifest = backups.backup(url, path, now)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {path} ({manifest.database}, migration "
               f"{manifest.revision}, {sum(manifest.tables.values())} rows in "
               f"{len(manifest.tables)} tables); manifest {backups.manifest_path(path)}.")


def _report(result: backups.Verification) -> None:
    total = sum(result.tables.values())
    click.echo(f"{len(result.tables)} tables, {total} rows, migration {result.revision}.")
    for table, (expected, found) in result.differences.items():
        click.echo(f"  {table}: expected {expected}, found {found}", err=True)


@backup_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(file: Path):
    """Check FILE against its manifest (checksum; SQLite: integrity and row counts)."""
    try:
        result = backups.verify_file(file)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    _report(result)
    if not result.ok:
        raise click.ClickException("The backup does not match its manifest.")
    click.echo("Backup verified.")


@backup_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def restore(file: Path, yes: bool):
    """Replace the configured database with FILE (stop the web and scheduler first)."""
    url = current_app.config["DATABASE_URL"]
    if not yes:
        click.confirm(f"Replace every row of the configured database with {file}?", abort=True)
    try:
        result = backups.restore(file, url)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    _report(result)
    if not result.ok:
        raise click.ClickException("The restored database does not match the manifest.")
    click.echo("Restore done and verified.")
