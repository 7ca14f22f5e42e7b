"""``flask analytics rebuild [--verify]``: recompute every rollup from the raw events.

``rebuild`` replaces the rollups of every day not frozen by retention and sets the tally's
watermark, in one transaction. ``rebuild --verify`` is a dry run: it rebuilds, compares
with the rollups as they were, prints the differences and rolls everything back; it exits
with status 1 when they differ (after a change of group memberships, group rows are
expected to differ: see docs/analytics.md).
"""

from __future__ import annotations

import json
import time

import click
from flask.cli import AppGroup
from sqlalchemy import text

from app.analytics import services, tally
from app.db import commit, get_database, rollback, utcnow

analytics_cli = AppGroup("analytics", help="Analytics rollups.")


def _lock(session) -> None:
    """PostgreSQL: wait for the tally's advisory lock (no run interleaves with this one)."""
    if session.get_bind().dialect.name == "postgresql":
        from app.jobs.runner import advisory_lock_key

        session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": advisory_lock_key(tally.TALLY_JOB)})


@analytics_cli.command("rebuild")
@click.option("--verify", is_flag=True,
              help="dry run: compare the rebuilt rollups with the current ones, change nothing")
def rebuild_command(verify: bool) -> None:
    """Recompute every rollup from the raw events (days not frozen by retention)."""
    session = get_database().new_session(write=True)
    clock = time.monotonic()
    try:
        _lock(session)
        if verify:
            summary, differences = services.verify(session, utcnow())
            rollback(session)
        else:
            summary, differences = services.rebuild(session, utcnow()), None
            commit(session)
    except BaseException:
        rollback(session)
        raise
    finally:
        session.close()
    summary["seconds"] = round(time.monotonic() - clock, 3)
    click.echo(json.dumps(summary, sort_keys=True))
    if differences is None:
        click.echo("Rollups rebuilt.")
    elif differences:
        click.echo("The rebuilt rollups differ from the current ones (nothing was changed):")
        click.echo(tally.describe_differences(differences))
        raise SystemExit(1)
    else:
        click.echo("The rebuilt rollups equal the current ones (nothing was changed).")
