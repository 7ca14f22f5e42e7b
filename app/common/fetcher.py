"""The one way Relais fetches a URL that a user gave it (RSS, link previews, connectors),
and POSTs to one (outgoing webhooks: ``post``, which never follows a redirect).

SSRF defence (DESIGN.md, Security): http(s) only, no credentials in the URL; the host is
resolved once and every address it resolves to must be global; the socket is opened to that
checked address, never to the name again, so DNS rebinding cannot swap it; each redirect is
checked from scratch; the body is read in chunks against a byte cap (counted again after gzip
decoding: zip bombs) and one overall deadline. Callers catch ``FetchError`` and show its
``message``; ``reason_code`` is stable for logs, metrics and translated messages.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

log = logging.getLogger("relais.fetch")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CHUNK = 64 * 1024
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
#: a last label like this makes the host an IPv4 address in inet_aton's (and browsers') eyes
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.IPv6Address("::1")
#: quote() keeps printable ASCII (existing %-escapes too): only spaces and non-ASCII are encoded
_PRINTABLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))


class FetchError(Exception):
    """A fetch was refused or failed. ``message`` can be shown to whoever gave the URL."""

    reason_code = "fetch_failed"
    default_message = "The address could not be fetched."

    def __init__(self, reason_code: str | None = None, message: str | None = None):
        self.reason_code = reason_code or type(self).reason_code
        self.message = message or type(self).default_message
        super().__init__(self.message)


class BadScheme(FetchError):
    """The URL itself is refused: not http(s), credentials in it, no or malformed host."""

    reason_code = "bad_scheme"
    default_message = "Only http:// and https:// addresses can be fetched."


class BlockedAddress(FetchError):
    """The host is, or resolves to, an address that is not on the public internet."""

    reason_code = "blocked_address"
    default_message = "This address points to a private or reserved network and cannot be fetched."


class TooLarge(FetchError):
    reason_code = "too_large"
    default_message = "The page is too large to fetch."


class TooManyRedirects(FetchError):
    reason_code = "too_many_redirects"
    default_message = "The page redirects too many times."


class FetchTimeout(FetchError):
    reason_code = "timeout"
    default_message = "The site took too long to answer."


class FetchFailed(FetchError):
    """Network, TLS or protocol failure (``reason_code`` says which)."""

    reason_code = "unreachable"
    default_message = "The site could not be reached."


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = 10.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    #: tests only: also accept 127.0.0.0/8 and ::1 (never private ranges)
    allow_loopback: bool = False
    user_agent: str = "RelaisBot/0.1 (+link preview)"

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.max_bytes <= 0 or self.max_redirects < 0:
            raise ValueError("FetchPolicy needs timeout > 0, max_bytes > 0, max_redirects >= 0")

    @classmethod
    def from_config(cls, config: Any) -> FetchPolicy:
        """From the Flask config (a mapping) or a ``Config``; missing settings keep defaults."""
        if isinstance(config, Mapping):
            get = config.get
        else:
            def get(key: str, default: Any) -> Any:
                return getattr(config, key, default)
        return cls(timeout=float(get("FETCH_TIMEOUT_SECONDS", cls.timeout)),
                   max_bytes=int(get("FETCH_MAX_BYTES", cls.max_bytes)),
                   max_redirects=int(get("FETCH_MAX_REDIRECTS", cls.max_redirects)),
                   allow_loopback=bool(get("FETCH_ALLOW_LOOPBACK", False)))


class Headers(Mapping[str, str]):
    """Response headers looked up case-insensitively; repeated headers are joined by ", "."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()):
        self._items: dict[str, tuple[str, str]] = {}
        for name, value in items:
            previous = self._items.get(name.lower())
            if previous is not None:
                name, value = previous[0], f"{previous[1]}, {value}"
            self._items[name.lower()] = (name, value)

    def __getitem__(self, name: str) -> str:
        if not isinstance(name, str):
            raise KeyError(name)
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


@dataclass(frozen=True)
class FetchResult:
    #: the URL asked for, and the one that answered (after redirects)
    url: str
    final_url: str
    status: int
    #: as received; ``content`` is already gzip-decoded
    headers: Headers
    content: bytes
    #: lower-case media type without parameters ("" when the server sent none)
    content_type: str
    charset: str | None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


#: the only request headers a caller may add (conditional GET: RSS polling)
CONDITIONAL_HEADERS = frozenset({"if-none-match", "if-modified-since"})


def fetch(url: str, *, policy: FetchPolicy | None = None, accept: str = "*/*",
          method: str = "GET", conditional: Mapping[str, str] | None = None) -> FetchResult:
    """Fetch ``url`` following redirects, or raise a ``FetchError``. Any status is returned.

    ``conditional``: ``If-None-Match`` / ``If-Modified-Since`` values to send (a 304 is
    returned like any status); empty values are left out, other headers are refused.
    """
    policy = policy or FetchPolicy()
    method = method.upper()
    if method not in ("GET", "HEAD"):
        raise ValueError("the fetcher only sends GET and HEAD requests")
    extra = {name: value.strip() for name, value in (conditional or {}).items()
             if value and value.strip()}
    if any(name.lower() not in CONDITIONAL_HEADERS for name in extra) or any(
            ord(c) < 0x20 or ord(c) == 0x7F for value in extra.values() for c in value):
        raise ValueError("only If-None-Match and If-Modified-Since, without control characters")
    deadline = time.monotonic() + policy.timeout
    current = url
    for _hop in range(policy.max_redirects + 1):
        response = _exchange(current, method=method, accept=accept, policy=policy,
                             deadline=deadline, extra=extra)
        if response.location is None:
            return FetchResult(url=url, final_url=current, status=response.status,
                               headers=response.headers, content=response.content,
                               content_type=response.content_type, charset=response.charset)
        log.debug("fetch %s: %s redirects to %s", url, current, response.location)
        current = urljoin(current, response.location)
    raise TooManyRedirects(message=f"The page redirects more than {policy.max_redirects} times.")


#: the only request headers a caller may add to a POST (signed webhook deliveries)
POST_HEADERS = frozenset({"x-relais-timestamp", "x-relais-signature", "x-relais-delivery",
                          "x-relais-event"})


def post(url: str, body: bytes, *, content_type: str = "application/json",
         headers: Mapping[str, str] | None = None,
         policy: FetchPolicy | None = None) -> FetchResult:
    """POST ``body`` to ``url`` once, or raise a ``FetchError``. Any status is returned.

    Same checks as ``fetch`` (address rules, pinned connection, size and time limits).
    Redirects are NOT followed (a POST must not be replayed elsewhere): a 3xx comes back as
    it is, ``ok`` False, with its ``Location`` in ``headers``. ``headers``: only the names in
    ``POST_HEADERS``, without control characters; anything else is a ``ValueError``.
    """
    policy = policy or FetchPolicy()
    extra = {"Content-Type": content_type, **(headers or {})}
    if any(name.lower() not in POST_HEADERS for name in headers or {}) or any(
            ord(c) < 0x20 or ord(c) == 0x7F for value in extra.values() for c in value):
        raise ValueError(f"only {', '.join(sorted(POST_HEADERS))} and a content type, "
                         "without control characters")
    response = _exchange(url, method="POST", accept="*/*", policy=policy,
                         deadline=time.monotonic() + policy.timeout, extra=extra,
                         body=bytes(body))
    return FetchResult(url=url, final_url=url, status=response.status,
                       headers=response.headers, content=response.content,
                       content_type=response.content_type, charset=response.charset)


# --- one request: check the URL, resolve and check, connect to the checked address ---------


@dataclass(frozen=True)
class _Response:
    status: int
    headers: Headers
    location: str | None
    content: bytes = b""
    content_type: str = ""
    charset: str | None = None


def _exchange(url: str, *, method: str, accept: str, policy: FetchPolicy,
              deadline: float, extra: Mapping[str, str] | None = None,
              body: bytes | None = None) -> _Response:
    scheme, host, port, target = _parse(url)
    addresses = _resolve(host, port, policy)
    if time.monotonic() >= deadline:
        raise FetchTimeout()
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    conn = connection_class(host, port, addresses=addresses, deadline=deadline)
    watchdog = _Watchdog(conn, deadline)
    try:
        conn.request(method, target, body=body, headers={
            "User-Agent": policy.user_agent, "Accept": accept,
            "Accept-Encoding": "gzip", "Connection": "close", **(extra or {})})
        resp = conn.getresponse()
        headers = Headers(resp.getheaders())
        location = headers.get("Location") if resp.status in REDIRECT_STATUSES else None
        if location is not None:
            return _Response(resp.status, headers, location.strip())
        content = b"" if method == "HEAD" else _read_body(resp, conn.pinned_sock, policy,
                                                           deadline, watchdog)
        content_type = resp.msg.get_content_type() if "Content-Type" in headers else ""
        charset = resp.msg.get_content_charset()
        return _Response(resp.status, headers, None, content, content_type, charset)
    except FetchError:
        raise
    except Exception as exc:
        translated = _translate(exc, timed_out=watchdog.fired)
        if translated is None:
            raise  # a programming error: let it surface as such
        raise translated from exc
    finally:
        watchdog.cancel()
        conn.close()


def _translate(exc: Exception, *, timed_out: bool) -> FetchError | None:
    if timed_out or isinstance(exc, TimeoutError):
        return FetchTimeout()
    if isinstance(exc, ssl.SSLCertVerificationError):
        return FetchFailed("tls", "The site's security certificate could not be verified.")
    if isinstance(exc, ssl.SSLError):
        return FetchFailed("tls", "A secure connection to the site could not be made.")
    if isinstance(exc, http.client.HTTPException):
        return FetchFailed("protocol", "The site sent an invalid answer.")
    if isinstance(exc, OSError):
        return FetchFailed()
    return None


def check_address(url: str, policy: FetchPolicy) -> None:
    """The address rules alone (http(s), every address of the host allowed by ``policy``),
    for clients that must use their own HTTP library (OAuth2/OIDC token requests): raises
    ``FetchError``. Prefer ``fetch``, which also pins the checked address."""
    _scheme, host, port, _target = _parse(url)
    _resolve(host, port, policy)


def _parse(url: str) -> tuple[str, str, int, str]:
    """Scheme, ASCII host, port and request target, or ``BadScheme``."""
    if not isinstance(url, str) or any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise BadScheme("bad_url", "This address is not valid.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:  # bad port or bracketed host
        raise BadScheme("bad_url", "This address is not valid.") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise BadScheme()
    if "@" in parts.netloc:
        raise BadScheme("userinfo", "Addresses with a user name or password cannot be fetched.")
    if port == 0:
        raise BadScheme("bad_url", "This address is not valid.")
    host = _normalise_host(parts.hostname or "")
    target = quote(parts.path or "/", safe=_PRINTABLE_ASCII)
    if parts.query:
        target += "?" + quote(parts.query, safe=_PRINTABLE_ASCII)
    return scheme, host, port or _DEFAULT_PORTS[scheme], target


def _normalise_host(host: str) -> str:
    if not host:
        raise BadScheme("no_host", "This address has no host name.")
    bad_host = BadScheme("bad_host", "This host name is not valid.")
    if ":" in host:  # an IPv6 literal (urlsplit removed the brackets); zone ids are refused
        if "%" in host:
            raise bad_host
        return host
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise bad_host from exc
    if len(ascii_host) > 253 or not _HOST_NAME.fullmatch(ascii_host):
        raise bad_host
    return ascii_host


def _literal_address(host: str) -> IPAddress | None:
    """The address a numeric host stands for, including inet_aton's forms that a resolver would
    accept (2130706433, 0x7f000001, 017700000001, 127.1); None for a name to resolve."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if ":" in host:
        raise BadScheme("bad_host", "This host name is not valid.")
    bare = host.removesuffix(".")
    if not _NUMERIC_LABEL.fullmatch(bare.rsplit(".", 1)[-1]):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except OSError as exc:
        raise BadScheme("bad_host", "This host name is not valid.") from exc


def _resolve(host: str, port: int, policy: FetchPolicy) -> tuple[IPAddress, ...]:
    """Every address of ``host``, all checked; one lookup per request (pinned afterwards)."""
    literal = _literal_address(host)
    if literal is not None:
        addresses: tuple[IPAddress, ...] = (literal,)
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = tuple(dict.fromkeys(
                ipaddress.ip_address(info[4][0]) for info in infos
                if info[0] in (socket.AF_INET, socket.AF_INET6)))
        except (OSError, UnicodeError, ValueError) as exc:
            raise FetchFailed("dns", "The host name could not be found.") from exc
        if not addresses:
            raise FetchFailed("dns", "The host name could not be found.")
    for address in addresses:
        if _is_blocked(address, allow_loopback=policy.allow_loopback):
            log.warning("fetch refused: %s is %s, not a public address", host, address)
            raise BlockedAddress()
    return addresses


def _is_blocked(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    if allow_loopback and (address == _LOOPBACK_V6 or (
            address.version == 4 and address in _LOOPBACK_V4)):
        return False
    return any(_not_global(candidate) for candidate in _with_embedded(address))


def _not_global(address: IPAddress) -> bool:
    return (address.is_private or address.is_loopback or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified
            or not address.is_global
            or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local))


def _with_embedded(address: IPAddress) -> Iterator[IPAddress]:
    """The address and any IPv4 address carried inside an IPv6 one (each must pass)."""
    yield address
    if not isinstance(address, ipaddress.IPv6Address):
        return
    if address.ipv4_mapped:
        yield address.ipv4_mapped
    if address.sixtofour:
        yield address.sixtofour
    if address.teredo:
        yield from address.teredo
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        yield ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


# --- the connection: pinned to the checked addresses, bounded in time and size -------------


def _connect(addresses: tuple[IPAddress, ...], port: int, deadline: float) -> socket.socket:
    """Opens a socket to the first reachable checked address; no name is resolved here."""
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("fetch deadline passed while connecting")
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(remaining)
            sock.connect((str(address), port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """``host`` stays the URL's name (Host header); the socket goes to ``addresses``."""

    def __init__(self, host: str, port: int, *, addresses: tuple[IPAddress, ...],
                 deadline: float):
        super().__init__(host, port, timeout=max(deadline - time.monotonic(), 0.001))
        self._addresses, self._deadline = addresses, deadline
        #: kept after http.client drops ``sock`` (Connection: close), for timeouts
        self.pinned_sock: socket.socket | None = None

    def connect(self) -> None:
        self.sock = self.pinned_sock = _connect(self._addresses, self.port, self._deadline)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS verified against the URL's host name (SNI and certificate)."""

    def __init__(self, host: str, port: int, *, addresses: tuple[IPAddress, ...],
                 deadline: float):
        context = ssl.create_default_context()
        context.set_alpn_protocols(["http/1.1"])
        super().__init__(host, port, timeout=max(deadline - time.monotonic(), 0.001),
                         context=context)
        self._addresses, self._deadline = addresses, deadline
        self.pinned_sock: socket.socket | None = None

    def connect(self) -> None:
        raw = _connect(self._addresses, self.port, self._deadline)
        try:
            tls = self._context.wrap_socket(raw, server_hostname=self.host,
                                            do_handshake_on_connect=False)
        except BaseException:
            raw.close()
            raise
        self.sock = self.pinned_sock = tls  # visible to the watchdog during the handshake
        tls.do_handshake()


class _Watchdog:
    """Shuts the socket down at the deadline: per-read timeouts alone would let a server that
    trickles one byte at a time (headers included) hold the request forever."""

    def __init__(self, conn: _PinnedHTTPConnection | _PinnedHTTPSConnection, deadline: float):
        self.fired = False
        self._conn = conn
        self._timer = threading.Timer(max(deadline - time.monotonic(), 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self._conn.pinned_sock
        if sock is not None:
            with suppress(OSError):  # the plain shutdown, under TLS too: unblocks any read
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _read_body(resp: http.client.HTTPResponse, sock: socket.socket | None,
               policy: FetchPolicy, deadline: float, watchdog: _Watchdog) -> bytes:
    declared = (resp.getheader("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise TooLarge(message=_too_large_message(policy))
    decoder = _Decoder(resp.getheader("Content-Encoding") or "", policy)
    received = 0
    while not resp.isclosed():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchTimeout()
        if sock is not None:
            with suppress(OSError):
                sock.settimeout(remaining)
        chunk = resp.read1(_CHUNK)  # returns after one socket read, so the deadline is checked
        if not chunk:
            break
        received += len(chunk)
        if received > policy.max_bytes:
            raise TooLarge(message=_too_large_message(policy))
        decoder.feed(chunk)
    if watchdog.fired:  # its shutdown looks like the end of the body
        raise FetchTimeout()
    if resp.length:  # read1() does not complain when fewer bytes came than announced
        raise FetchFailed("protocol", "The site stopped sending before the end of the page.")
    return decoder.finish()


def _too_large_message(policy: FetchPolicy) -> str:
    return f"The page is larger than {policy.max_bytes // 1024} KiB."


class _Decoder:
    """Undoes gzip/deflate while counting the decoded bytes against the cap (zip bombs)."""

    def __init__(self, encoding: str, policy: FetchPolicy):
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._zlib = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
        else:
            raise FetchFailed("encoding", "The site sent content in an unsupported encoding.")
        self._policy = policy
        self._out = bytearray()

    def feed(self, data: bytes) -> None:
        if self._zlib is not None:
            if self._zlib.eof:  # trailing data after the gzip member: ignored
                return
            room = self._policy.max_bytes - len(self._out)
            data = self._inflate(lambda z: z.decompress(data, room + 1))
        self._append(data)

    def finish(self) -> bytes:
        if self._zlib is not None and not self._zlib.eof:
            self._append(self._inflate(lambda z: z.flush()))
        return bytes(self._out)

    def _inflate(self, step: Any) -> bytes:
        try:
            return step(self._zlib)
        except zlib.error as exc:
            raise FetchFailed("decode", "The site sent corrupted compressed content.") from exc

    def _append(self, data: bytes) -> None:
        if len(self._out) + len(data) > self._policy.max_bytes:
            raise TooLarge(message=_too_large_message(self._policy))
        self._out += data
