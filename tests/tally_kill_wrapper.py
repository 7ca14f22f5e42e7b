"""Test-only wrapper of the ``flask`` CLI for tests/test_analytics_tally_kill.py: runs
``flask --app wsgi ARGS…`` in this process with ``app.analytics.tally.compute_day`` wrapped
so that, once the first day of the run is computed (its rows written inside the run's
still open transaction), it writes MARKER and sleeps. The test waits for MARKER and
kill -9s the process there: half way through the run, mid-transaction. Production code has
no hook for this.

    python tests/tally_kill_wrapper.py MARKER jobs run-once analytics.tally
    python tests/tally_kill_wrapper.py MARKER analytics rebuild

MARKER receives a JSON object: the process id, the day computed, and how many share-day
and person-day rows of that day the open transaction holds (so the test knows there was
something to lose). Should nobody kill it within ``TALLY_KILL_WRAPPER_SLEEP`` seconds
(120), the process ends with status 3 without committing anything.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the status of a wrapper that nobody killed (never 0: the test would take it for a run)
NOT_KILLED = 3


def main(marker: Path, args: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    from flask.cli import main as flask_main
    from sqlalchemy import func, select

    from app.analytics import tally
    from app.analytics.models import ShareDay, UserDay

    real = tally.compute_day
    sleep = float(os.environ.get("TALLY_KILL_WRAPPER_SLEEP", "120"))

    def compute_then_wait(db, day, **kwargs):
        real(db, day, **kwargs)
        db.flush()

        def rows(model):
            return db.scalar(select(func.count()).select_from(model).where(model.day == day))

        partial = marker.with_suffix(".tmp")
        partial.write_text(json.dumps({"pid": os.getpid(), "day": day.isoformat(),
                                       "share_days": rows(ShareDay),
                                       "user_days": rows(UserDay)}))
        partial.replace(marker)  # the test never reads half a file
        time.sleep(sleep)
        os._exit(NOT_KILLED)  # not killed: end without committing (no finally, no atexit)

    tally.compute_day = compute_then_wait
    sys.argv = ["flask", "--app", "wsgi", *args]
    flask_main()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
