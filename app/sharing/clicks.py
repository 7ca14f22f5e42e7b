"""Buffered click recording: requests append, a background thread writes in batches.

The redirector must not open a transaction per click. ``ClickBuffer.add()`` appends a row
to an in-memory list (a lock, no I/O); a flusher thread, one per process and started on
the first click (so it lives in the gunicorn worker, never in a pre-fork master), writes
everything pending every ``interval`` seconds, or sooner once ``batch`` rows wait, with
one executemany INSERT per chunk in its own short unit of work
(``Database.unit_of_work``: ``BEGIN IMMEDIATE`` on SQLite).

No click is lost:
- a failed flush puts the rows back in front of the queue, logs, and the thread retries
  with exponential backoff (up to ``max_backoff`` seconds);
- on shutdown everything pending is written: from ``atexit`` (gunicorn workers exit through
  ``sys.exit`` after a graceful stop, so this runs once in-flight requests are done), and
  from a SIGTERM handler chained to the previous one (servers that die on SIGTERM);
- ``flush()`` writes synchronously (tests, CLI).

The one bound: ``max_pending`` rows (the database down for a long time must not exhaust
the worker's memory); past it the oldest rows are dropped and each drop is logged.
A flush whose commit succeeded but whose acknowledgement was lost (connection cut at the
wrong instant) is retried and can write its rows twice; at-least-once is the lesser evil.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
import weakref
from collections.abc import Callable

from app.db import Database
from app.sharing.models import Click

log = logging.getLogger(__name__)

_CLICKS = Click.__table__


class ClickBuffer:
    def __init__(self, database: Database | Callable[[], Database], *, interval: float = 0.5,
                 batch: int = 500, chunk: int = 1_000, max_pending: int = 500_000,
                 sync: bool = False, thread: bool = True, max_backoff: float = 30.0):
        self._database = database
        self.interval, self.batch, self.chunk = interval, batch, chunk
        self.max_pending, self.max_backoff = max_pending, max_backoff
        #: write in the caller's thread on every add (tests: deterministic)
        self.sync = sync
        #: start a background flusher on first use (off: only explicit flush() writes)
        self.use_thread = thread and not sync
        self.dropped = 0
        self._reset()
        _BUFFERS.add(self)
        _install_process_hooks()

    def _reset(self) -> None:
        """Fresh state (also in a forked child: the parent owns and writes its rows)."""
        #: re-entrant: the SIGTERM handler may run in the main thread while it is appending
        self._lock = threading.RLock()
        self._flush_lock = threading.Lock()
        self._pending: list[dict] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._failures = 0

    @property
    def database(self) -> Database:
        return self._database() if callable(self._database) else self._database

    @property
    def pending(self) -> int:
        return len(self._pending)

    # --- the hot path ------------------------------------------------------------------

    def add(self, row: dict) -> None:
        """Queue one click row (the columns of ``clicks`` but ``id``)."""
        if self._pid != os.getpid():  # forked without the at-fork hook (should not happen)
            self._reset()
        with self._lock:
            self._pending.append(row)
            size = len(self._pending)
            if size > self.max_pending:
                excess = size - self.max_pending
                del self._pending[:excess]
                self.dropped += excess
                log.error("click buffer full (%d rows): dropped the %d oldest clicks",
                          self.max_pending, excess)
            if self.use_thread and self._thread is None:
                self._start_thread()
        if self.sync:
            self.flush()
        elif size >= self.batch:
            self._wake.set()

    # --- writing -----------------------------------------------------------------------

    def flush(self, *, timeout: float = -1) -> int:
        """Write every pending click now; returns how many were written.

        On error the clicks stay queued (in order, ahead of newer ones) and the error is
        logged; the next flush retries them. ``timeout`` bounds the wait for a flush
        already running in another thread (signal handlers must not block forever).
        """
        if not self._flush_lock.acquire(timeout=timeout):
            return 0
        try:
            with self._lock:
                rows, self._pending = self._pending, []
            written = 0
            while rows:
                part = rows[:self.chunk]
                try:
                    with self.database.unit_of_work() as session:
                        session.execute(_CLICKS.insert(), part)
                except Exception:
                    with self._lock:
                        self._pending[:0] = rows
                    self._failures += 1
                    log.exception("writing %d clicks failed (attempt %d); kept for a retry",
                                  len(rows), self._failures)
                    return written
                written += len(part)
                rows = rows[self.chunk:]
            self._failures = 0
            return written
        finally:
            self._flush_lock.release()

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run, name="relais-click-flusher",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            delay = self.interval
            if self._failures:
                delay = min(self.interval * (2 ** self._failures), self.max_backoff)
            self._wake.wait(delay)
            self._wake.clear()
            if self._pending:
                self.flush()

    def close(self, *, attempts: int = 3) -> None:
        """Stop the flusher and write what is left (a few tries: the process is ending)."""
        if self._pid != os.getpid():
            return
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        for attempt in range(attempts):
            self.flush(timeout=10)
            if not self._pending:
                return
            self._stop.wait(0.2 * (attempt + 1))
        log.error("%d clicks could not be written before exit", len(self._pending))


# --- process hooks: one set per process, for every buffer ---------------------------------

_BUFFERS: weakref.WeakSet[ClickBuffer] = weakref.WeakSet()
_hooks_pid: int | None = None
_sigterm_pid: int | None = None


def _install_process_hooks() -> None:
    global _hooks_pid
    if _hooks_pid is not None:
        return
    _hooks_pid = os.getpid()
    atexit.register(_close_all)
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _after_fork_in_child() -> None:
    global _sigterm_pid
    _sigterm_pid = None
    for buffer in list(_BUFFERS):
        buffer._reset()


def _close_all() -> None:
    for buffer in list(_BUFFERS):
        try:
            buffer.close()
        except Exception:
            log.exception("flushing clicks at exit failed")


def install_sigterm_handler() -> bool:
    """Flush every buffer on SIGTERM, then run the previous handler (gunicorn's graceful
    stop) or, if there was none, die of SIGTERM as before. Once per process; only the
    main thread may set handlers, so this is called at app creation."""
    global _sigterm_pid
    if _sigterm_pid == os.getpid() or threading.current_thread() is not threading.main_thread():
        return False
    previous = signal.getsignal(signal.SIGTERM)

    def _on_sigterm(signum, frame):
        for buffer in list(_BUFFERS):
            try:
                buffer.flush(timeout=2)
            except Exception:
                log.exception("flushing clicks on SIGTERM failed")
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, _on_sigterm)
    _sigterm_pid = os.getpid()
    return True
