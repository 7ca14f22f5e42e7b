"""The redirector: ``GET /r/<code>`` → 302 to the shared item, recording the click.

The hot path of the product (DESIGN.md "Performance budgets"): on a cache hit it touches
no database (``links.LinkCache``), appends the click to an in-memory buffer that a
background thread writes in batches (``clicks.ClickBuffer``), and loads no user unless
the request carries a session or remember-me cookie (only then can it be a self-click).

What is recorded, and what counts (the counting itself is done at read time):
- every GET on a known code is one row of ``clicks``: time, share, a salted hash of the
  client address + user agent (``visitor_hash``; the raw address is never stored), the
  referrer's host only, ``is_bot`` and ``is_self`` flags;
- HEAD and browser prefetches (``Purpose``/``Sec-Purpose: prefetch``…) are answered with
  the same redirect and not recorded at all;
- unique visitors are recognised by ``visitor_hash``. Its salt is derived from SECRET_KEY:
  rotating SECRET_KEY starts every visitor afresh (old and new hashes no longer match).

Unknown codes get a friendly 404 page, never a redirect: targets only ever come from
stored content items.

Fast path. Flask's request machinery (context, session, Flask-Limiter, CSRF and
permission hooks, the security-header hook) costs several times what the redirect itself
does, so ``FastRedirect`` wraps the app's WSGI callable and answers ``GET/HEAD /r/<code>``
directly when (1) the code is a cached-or-loadable link and (2) the request carries no
session or remember-me cookie (so it cannot be a self-click). It sends the very headers
the Flask route would (captured once from a real Flask response) and records the click
through the same ``Redirector``. Everything else (unknown codes → the 404 page, signed-in
visitors, other methods) goes through Flask and the ``sharing.redirect`` view. It is
installed when the blueprint is registered; a proxy middleware (ProxyFix) must wrap the
app after ``create_app`` so that it sits outside this one and sets ``REMOTE_ADDR`` first.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, render_template, request
from werkzeug.http import parse_cookie

from app.db import utcnow
from app.sharing import bp
from app.sharing.bots import is_bot
from app.sharing.clicks import ClickBuffer, install_sigterm_handler
from app.sharing.links import CODE_RE, Link, LinkCache

LINKS_KEY, CLICKS_KEY, SALT_KEY = "relais_links", "relais_clicks", "relais_visitor_salt"
REDIRECTOR_KEY = "relais_redirector"
#: the label of the HMAC that derives the visitor-hash salt from SECRET_KEY
SALT_LABEL = b"relais.sharing.click.visitor-hash.v1"
#: request headers by which browsers announce a prefetch/prerender or a preview
PREFETCH_HEADERS = ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz")
PREFETCH_WORDS = ("prefetch", "prerender", "preview")
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def visitor_salt(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), SALT_LABEL, hashlib.sha256).digest()


def visitor_hash(salt: bytes, ip: str, user_agent: str) -> str:
    return hashlib.sha256(salt + f"{ip}\n{user_agent}".encode()).hexdigest()


def referrer_host(referrer: str | None) -> str:
    """The host of the Referer, lower-case; never the path or query (they can carry
    personal data)."""
    if not referrer:
        return ""
    try:
        host = urlsplit(referrer).hostname or ""
    except ValueError:
        return ""
    return host[:253]


def is_prefetch(get, *, cgi: bool = False) -> bool:
    """``get``: a header lookup (``request.headers.get``), or with ``cgi`` a WSGI environ's
    ``get`` (``HTTP_SEC_PURPOSE``)."""
    for name in PREFETCH_HEADERS:
        value = get("HTTP_" + name.upper().replace("-", "_") if cgi else name)
        if value:
            value = value.lower()
            if any(word in value for word in PREFETCH_WORDS):
                return True
    return False


class Redirector:
    """The per-app state of the redirector: link cache, click buffer, visitor salt."""

    def __init__(self, app: Flask):
        cfg = app.config
        self.app = app
        self.links = LinkCache(
            size=cfg.get("LINK_CACHE_SIZE", 10_000),
            ttl=cfg.get("LINK_CACHE_TTL_SECONDS", 300),
            negative_size=cfg.get("LINK_CACHE_NEGATIVE_SIZE", 2_000),
            negative_ttl=cfg.get("LINK_CACHE_NEGATIVE_TTL_SECONDS", 30))
        # tests write each click at once unless told otherwise (deterministic)
        self.clicks = ClickBuffer(
            lambda: app.extensions["relais_db"],
            interval=cfg.get("CLICK_FLUSH_INTERVAL_MS", 500) / 1000,
            batch=cfg.get("CLICK_FLUSH_BATCH", 500),
            max_pending=cfg.get("CLICK_BUFFER_MAX_PENDING", 500_000),
            sync=cfg.get("CLICK_BUFFER_SYNC_FLUSH", app.testing),
            thread=cfg.get("CLICK_BUFFER_THREAD", True))
        self.salt = visitor_salt(cfg["SECRET_KEY"])
        self.cookie_names = (cfg["SESSION_COOKIE_NAME"],
                             cfg.get("REMEMBER_COOKIE_NAME", "remember_token"))
        #: the headers of the Flask route's 302 but Location (captured on first use)
        self._fast_headers: list[tuple[str, str]] | None = None

    def lookup(self, code: str) -> Link | None:
        return self.links.get(self.app.extensions["relais_db"], code)

    def record(self, link: Link, *, ip: str, user_agent: str, referrer: str | None,
               is_self: bool) -> None:
        self.clicks.add({
            "share_id": link.share_id,
            "at": utcnow(),
            "visitor_hash": visitor_hash(self.salt, ip, user_agent),
            "referrer_host": referrer_host(referrer),
            "is_bot": is_bot(user_agent),
            "is_self": is_self,
        })

    def fast_headers(self) -> list[tuple[str, str]]:
        """What the Flask route answers (security headers included), computed once by
        running a 302 through the app's after-request hooks."""
        if self._fast_headers is None:
            with self.app.test_request_context("/r/_", headers={"Cookie": ""}):
                response = self.app.process_response(_redirect_response("/"))
            skip = {"location", "set-cookie", "vary", "content-length", "date"}
            self._fast_headers = [(k, v) for k, v in response.headers.items()
                                  if k.lower() not in skip] + [("Content-Length", "0")]
        return self._fast_headers


def _redirect_response(target: str) -> Response:
    return Response(status=302, headers={"Location": target, **NO_STORE})


class FastRedirect:
    """WSGI middleware: answers cached-link redirects without Flask (see the docstring)."""

    def __init__(self, wsgi_app, redirector: Redirector):
        self.wsgi_app, self.redirector = wsgi_app, redirector

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/r/"):
            return self.wsgi_app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        code = path[3:]
        if method not in ("GET", "HEAD") or not CODE_RE.fullmatch(code):
            return self.wsgi_app(environ, start_response)
        redirector = self.redirector
        cookie = environ.get("HTTP_COOKIE")
        if cookie:
            cookies = parse_cookie(cookie)
            if any(name in cookies for name in redirector.cookie_names):
                return self.wsgi_app(environ, start_response)  # maybe the sharer: Flask
        link = redirector.lookup(code)
        if link is None:
            return self.wsgi_app(environ, start_response)  # the friendly 404 page
        if method == "GET" and not is_prefetch(environ.get, cgi=True):
            redirector.record(link, ip=environ.get("REMOTE_ADDR") or "",
                              user_agent=environ.get("HTTP_USER_AGENT", ""),
                              referrer=environ.get("HTTP_REFERER"), is_self=False)
        start_response("302 FOUND", [("Location", link.target), *redirector.fast_headers()])
        return [b""]


def _init(state) -> None:
    app: Flask = state.app
    redirector = Redirector(app)
    app.extensions[REDIRECTOR_KEY] = redirector
    app.extensions[LINKS_KEY] = redirector.links
    app.extensions[CLICKS_KEY] = redirector.clicks
    if app.config.get("REDIRECT_FAST_PATH", True):
        app.wsgi_app = FastRedirect(app.wsgi_app, redirector)
    if not app.testing:
        install_sigterm_handler()


bp.record_once(_init)


def _is_self(redirector: Redirector, user_id: int) -> bool:
    """Is the signed-in sharer clicking their own link? Loading the user costs a query:
    only asked when the request carries a session or remember-me cookie."""
    cookies = request.cookies
    if not cookies or not any(name in cookies for name in redirector.cookie_names):
        return False
    from flask_login import current_user

    return bool(current_user.is_authenticated and current_user.id == user_id)


@bp.route("/r/<code>", methods=["GET", "HEAD"], endpoint="redirect")
def follow(code: str):
    """The Flask path: signed-in visitors, unknown codes (and every request when the fast
    path is off)."""
    redirector: Redirector = current_app.extensions[REDIRECTOR_KEY]
    link = redirector.lookup(code)
    if link is None:
        return render_template("sharing/link_not_found.html"), 404, NO_STORE
    headers = request.headers
    if request.method == "GET" and not is_prefetch(headers.get):
        redirector.record(link, ip=request.remote_addr or "",
                          user_agent=headers.get("User-Agent", ""),
                          referrer=headers.get("Referer"),
                          is_self=_is_self(redirector, link.user_id))
    return _redirect_response(link.target)
