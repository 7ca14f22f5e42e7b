"""One log line per request with a request id, and the logging format (docs/deploy.md).

``RequestLog`` is WSGI middleware, not a Flask hook, so that it also sees the requests the
redirector's fast path answers without Flask (app/sharing/redirect.py) and measures the
time until the response body is sent. It sits inside ``ProxyFix`` (REMOTE_ADDR is the
client's by then) and outside everything else.

The request id is a fresh random one, or the ``X-Request-ID`` the reverse proxy sends when
the app is configured to trust a proxy (PROXY_FIX_HOPS > 0), so that proxy and app lines
correlate; it is returned in the response's ``X-Request-ID`` header and added to every log
record written during the request.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime

from werkzeug.wsgi import ClosingIterator

log = logging.getLogger("relais.request")

#: the id of the request being served (None outside a request): log records carry it
current_request_id: ContextVar[str | None] = ContextVar("relais_request_id", default=None)

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: the WSGI environ key Flask code sets so that the request line names the person
USER_ID_KEY = "relais.user_id"
#: … and the path to log instead of the real one when it holds a secret
LOG_PATH_KEY = "relais.log_path"
#: URL parameters that are capabilities (reset, invitation and unsubscribe tokens, a
#: certificate's verification code): never written to the log
SECRET_PARAMS = frozenset({"token", "code"})
#: endpoints whose code is public (a tracked link's code is in the posts themselves)
PUBLIC_CODES = frozenset({"sharing.redirect"})


def redacted_path(rule: str, values: dict, secret: set[str]) -> str:
    """The rule with its values, the secret ones replaced: /reset/<token> → /reset/[token]."""
    def value(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        return f"[{name}]" if name in secret else str(values.get(name, ""))

    return re.sub(r"<([^>]+)>", value, rule)


class RequestLog:
    def __init__(self, app: Callable, *, trust_incoming_id: bool, log_lines: bool = True):
        self.app = app
        self.trust_incoming_id = trust_incoming_id
        #: off: request ids only (the development server logs each request itself)
        self.log_lines = log_lines

    def _request_id(self, environ: dict) -> str:
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        if self.trust_incoming_id and _VALID_ID.match(incoming):
            return incoming
        return secrets.token_hex(8)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request_id = self._request_id(environ)
        environ["relais.request_id"] = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        seen: dict[str, int] = {}

        def _start_response(status: str, headers: list, exc_info=None):
            seen["status"] = int(status[:3])
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, exc_info)

        def _done() -> None:
            try:
                if self.log_lines:
                    _log_request(environ, request_id, seen.get("status", 500),
                                 time.perf_counter() - started)
            finally:
                current_request_id.reset(token)

        try:
            body = self.app(environ, _start_response)
        except BaseException:
            seen.setdefault("status", 500)
            _done()
            raise
        return ClosingIterator(body, [_done])


def _log_request(environ: dict, request_id: str, status: int, seconds: float) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    method = environ.get("REQUEST_METHOD", "")
    # the path only: query strings may carry what does not belong in logs; nor do tokens
    # in the path (LOG_PATH_KEY)
    path = environ.get(LOG_PATH_KEY) or (environ.get("SCRIPT_NAME", "")
                                         + environ.get("PATH_INFO", ""))
    duration_ms = round(seconds * 1000, 1)
    log.info("%s %s %s %.1fms", method, path, status, duration_ms, extra={"fields": {
        "request_id": request_id, "method": method, "path": path, "status": status,
        "duration_ms": duration_ms, "remote_addr": environ.get("REMOTE_ADDR", ""),
        "user_id": environ.get(USER_ID_KEY)}})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and the
    structured fields a record carries (``extra={"fields": {...}}``)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(
                     timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name,
                 "message": record.getMessage()}
        request_id = current_request_id.get()
        if request_id:
            entry["request_id"] = request_id
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The development format, with the request id when there is one."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        # a line per record: a CR or LF in a logged value (a path with %0a) cannot forge
        # another line; tracebacks, appended after this, keep their lines
        record.message = record.message.replace("\r", "\\r").replace("\n", "\\n")
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = current_request_id.get()
        return f"{line} [{request_id}]" if request_id else line


def loaded_user_id() -> int | None:
    """The signed-in person's id if the request has already loaded them, else None (never
    loads one: that would cost every static file a query)."""
    from flask import g

    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id
    return None


def init_app(app) -> None:
    """Wrap the finished app: the request log, then ProxyFix outermost (call last in
    ``create_app``, after the redirector's fast path has wrapped it)."""
    from flask import request
    from werkzeug.middleware.proxy_fix import ProxyFix

    @app.after_request
    def _describe_for_the_log(response):
        user_id = loaded_user_id()
        if user_id is not None:
            request.environ[USER_ID_KEY] = user_id
        secret = SECRET_PARAMS & set(request.view_args or {})
        if secret and request.url_rule is not None and request.endpoint not in PUBLIC_CODES:
            request.environ[LOG_PATH_KEY] = redacted_path(request.url_rule.rule,
                                                          request.view_args, secret)
        return response

    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    app.wsgi_app = RequestLog(app.wsgi_app, trust_incoming_id=hops > 0,
                              log_lines=bool(app.config.get("LOG_REQUESTS", True)))
    if hops > 0:
        # trust exactly the configured number of proxies: X-Forwarded-For from anyone
        # else would let a client choose its own address (rate limits, audit log)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops)


def configure_logging(log_format: str) -> None:
    """Install one root handler with the chosen format, unless the host (a test runner,
    an embedding application) already configured logging."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
