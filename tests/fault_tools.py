"""Test-only tools for tests/test_faults.py: a TCP proxy that can play a database restart, a
real threaded HTTP server for an app, and a wrapper of the ``flask`` CLI that holds a job
run inside its advisory lock until told to go on.

    python tests/fault_tools.py hold MARKER RELEASE jobs run-once gamification.award

runs ``flask --app wsgi jobs run-once …`` in this process with the job's function wrapped:
once it is running (on PostgreSQL: inside the job's transaction, the advisory lock held) it
writes MARKER and waits for the file RELEASE (at most ``HOLD_TIMEOUT`` seconds), then runs
the real job. Production code has no hook for this.

    python tests/fault_tools.py loop STOP PAUSE JOB_ID…

runs the jobs one after the other, as the scheduler does (``run_job``, the app from the
environment), PAUSE seconds apart, again and again until the file STOP exists (at
most ``LOOP_TIMEOUT`` seconds); prints one line per run: ``<job id> <status> <seconds>``,
and the error of a failed run.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the longest a held job waits for RELEASE, and a loop for STOP (seconds)
HOLD_TIMEOUT = LOOP_TIMEOUT = 60


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``upstream``; ``cut()`` plays a server restart.

    ``cut()`` resets every open connection (an RST to the client, a close to the server,
    which rolls their transactions back) and stops listening: new connections are refused
    (ECONNREFUSED), as while a database server restarts. ``restore()`` listens again on the
    same port. Everything is bounded: the threads poll a stop flag every 0.1 s.
    """

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = 0
        self.accepted = 0
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._listening = threading.Event()

    # --- listening -------------------------------------------------------------------

    def start(self) -> TcpProxy:
        self._listen()
        return self

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._listening.set()
        self._thread = threading.Thread(target=self._accept_loop, args=(listener,),
                                        name="fault-proxy-accept", daemon=True)
        self._thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._listening.is_set():
            ready, _, _ = select.select([listener], [], [], 0.1)
            if not ready or not self._listening.is_set():
                continue
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._pairs.append((client, server))
                self.accepted += 1
            threading.Thread(target=self._pump, args=(client, server), daemon=True,
                             name="fault-proxy-pump").start()
        listener.close()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        """Both directions in one thread until either side closes or the pair is cut."""
        peers = {client: server, server: client}
        try:
            while True:
                ready, _, _ = select.select(list(peers), [], [], 0.1)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):  # cut: the sockets were closed under us
            return
        finally:
            self._close_pair(client, server, reset=False)

    def _close_pair(self, client: socket.socket, server: socket.socket, *, reset: bool) -> None:
        with self._lock:
            if (client, server) in self._pairs:
                self._pairs.remove((client, server))
        if reset:  # SO_LINGER 0: close() sends an RST, as a dying server's kernel does
            with contextlib.suppress(OSError):
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        for sock in (client, server):
            with contextlib.suppress(OSError):
                sock.close()

    # --- the fault -------------------------------------------------------------------

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    def cut(self) -> int:
        """Stop listening and reset every open connection; how many were reset."""
        self._listening.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            pairs = list(self._pairs)
        for client, server in pairs:
            self._close_pair(client, server, reset=True)
        return len(pairs)

    def restore(self) -> None:
        self._listen()

    def close(self) -> None:
        self.cut()


@contextlib.contextmanager
def serve(app) -> Iterator[str]:
    """``app`` on a real threaded HTTP server (werkzeug) on 127.0.0.1; its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="fault-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def reaped(process: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """``process``, killed on the way out if the test left it running."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=15)


def wait_until(predicate, *, timeout: float, interval: float = 0.05, what: str = "") -> None:
    """Poll ``predicate`` until it is true; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(interval)


# --- the holding wrapper of the flask CLI ------------------------------------------------------


def hold(marker: Path, release: Path, args: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    from flask.cli import main as flask_main

    from app.jobs import REGISTRY

    job_id = args[args.index("run-once") + 1]
    spec = REGISTRY[job_id]
    real = spec.func

    def held(db, ctx):
        partial = marker.with_suffix(".tmp")
        partial.write_text(str(os.getpid()))
        partial.replace(marker)
        deadline = time.monotonic() + HOLD_TIMEOUT
        while not release.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("nobody released the held job")
            time.sleep(0.05)
        return real(db, ctx)

    object.__setattr__(spec, "func", held)  # JobSpec may be a frozen dataclass
    sys.argv = ["flask", "--app", "wsgi", *args]
    flask_main()


def loop(stop: Path, pause: float, job_ids: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    from app import create_app
    from app.jobs.runner import run_job

    app = create_app()
    deadline = time.monotonic() + LOOP_TIMEOUT
    while not stop.exists() and time.monotonic() < deadline:
        for job_id in job_ids:
            result = run_job(app, job_id)
            print(job_id, result.status, f"{result.duration:.3f}", flush=True)
            if result.error:
                print(result.error, flush=True)
            time.sleep(pause)


if __name__ == "__main__":
    if sys.argv[1] == "hold":
        hold(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4:])
    elif sys.argv[1] == "loop":
        loop(Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4:])
    else:
        raise SystemExit(f"unknown command {sys.argv[1]!r}")
