"""The SSRF-safe fetcher (DESIGN.md, Security), against real HTTP(S) servers on 127.0.0.1.

No database and no network. Hostile URLs are tried with the default policy and must be
refused before any socket opens: the ``connects`` guard records every connection attempt
(and fails the test on any that is not loopback), and the local server counts the requests
it receives. Names are never sent to a real resolver: ``localhost`` comes from /etc/hosts,
other names go through a fake ``socket.getaddrinfo``.
"""

from __future__ import annotations

import datetime
import gzip
import ipaddress
import json
import socket
import ssl
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from app.common import fetcher
from app.common.fetcher import (
    BadScheme,
    BlockedAddress,
    FetchError,
    FetchFailed,
    FetchPolicy,
    FetchResult,
    FetchTimeout,
    TooLarge,
    TooManyRedirects,
    fetch,
)
from config import Config

MIB = 1024 * 1024
LOOPBACK = FetchPolicy(timeout=5, max_bytes=MIB, max_redirects=5, allow_loopback=True)
QUICK = FetchPolicy(timeout=0.5, max_bytes=MIB, max_redirects=5, allow_loopback=True)
PAGE = "<html><head><title>Café</title></head><body>Bonjour</body></html>".encode()


def _gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about a thousandth of that on the wire)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MIB)
    parts = [compressor.compress(block) for _ in range(size // MIB)]
    return b"".join(parts) + compressor.flush()


BOMB = _gzip_bomb(16 * MIB)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def do_GET(self):
        self.server.requests.append((self.path, dict(self.headers)))
        route = urlsplit(self.path).path
        name = "echo" if route.startswith("/echo") else route.strip("/").split("/")[0]
        try:
            getattr(self, "route_" + name.replace("-", "_"), self.route_missing)()
        except OSError:  # the fetcher hung up (too large, too slow): expected
            pass

    do_HEAD = do_GET

    def _send(self, status: int, body: bytes = b"", content_type: str | None = None,
              **headers: str) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route_page(self):
        self._send(200, PAGE, "text/html; charset=UTF-8", X_Test="yes")

    def route_missing(self):
        self._send(404, b"not here", "text/plain")

    def route_echo(self):
        body = json.dumps({"path": self.path, "headers": dict(self.headers)}).encode()
        self._send(200, body, "application/json")

    def route_gzip(self):
        self._send(200, gzip.compress(PAGE), "text/html; charset=utf-8", Content_Encoding="gzip")

    def route_bomb(self):
        self._send(200, BOMB, "text/html", Content_Encoding="gzip")

    def route_big(self):  # announces its size
        self._send(200, b"x" * (2 * MIB), "text/plain")

    def route_stream_big(self):  # no Content-Length: read until the server closes
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        for _ in range(32):
            self.wfile.write(b"x" * (64 * 1024))

    def route_stall(self):  # headers, then nothing for a long time
        self.send_response(200)
        self.send_header("Content-Length", "10")
        self.end_headers()
        time.sleep(3)
        self.wfile.write(b"0123456789")

    def route_trickle(self):  # one byte every 50 ms: each read is quick, the whole is not
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        for _ in range(100):
            self.wfile.write(b"x")
            time.sleep(0.05)

    def route_slow_headers(self):  # even the headers trickle in
        self.wfile.write(b"HTTP/1.0 200 OK\r\n")
        for i in range(100):
            self.wfile.write(f"X-Slow-{i}: a\r\n".encode())
            time.sleep(0.05)
        self.wfile.write(b"\r\n")

    def route_truncated(self):  # announces more than it sends, then hangs up
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        self.wfile.write(b"only ten b")

    def route_redirect(self):  # /redirect/N: N redirects, then the page
        left = int(urlsplit(self.path).path.rsplit("/", 1)[-1])
        if left == 0:
            self.route_page()
        else:
            self._send(302, Location=f"/redirect/{left - 1}")

    def route_to(self):  # /to?url=...&status=...
        query = parse_qs(urlsplit(self.path).query)
        self._send(int(query.get("status", ["302"])[0]), Location=query["url"][0])

    def route_relative(self):
        self._send(301, Location="page")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # slow handlers may still sleep when the tests end

    def __init__(self, tls: ssl.SSLContext | None = None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.tls = tls
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.port = self.server_address[1]

    def get_request(self):
        sock, address = super().get_request()
        if self.tls is not None:  # the handshake happens in the handler's thread
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        pass  # refused handshakes and hang-ups are what several tests provoke


def _serve(tls: ssl.SSLContext | None = None):
    server = _Server(tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    return server


@pytest.fixture(scope="module")
def http_server():
    server = _serve()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def server(http_server):
    http_server.requests.clear()
    return http_server


@pytest.fixture(autouse=True)
def connects(monkeypatch):
    """Every connection attempt; anything but loopback fails the test before it happens."""
    attempts: list = []
    real_connect = socket.socket.connect

    def guarded(sock, address):
        if isinstance(address, tuple):
            attempts.append(address[:2])
            if not ipaddress.ip_address(address[0].split("%")[0]).is_loopback:
                pytest.fail(f"tried to connect to {address[0]}")
        return real_connect(sock, address)

    def refused(sock, address):
        pytest.fail(f"connect_ex({address}) is not expected")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", refused)
    return attempts


def fake_dns(monkeypatch, table: dict[str, list[str]]) -> list[str]:
    """Resolve the names in ``table`` (a list of answers: one per lookup, the last repeats);
    any other name but localhost fails the test. Returns the names looked up."""
    lookups: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        if host == "localhost":
            return real_getaddrinfo(host, port, *args, **kwargs)
        if host not in table:
            pytest.fail(f"no DNS in tests: {host} was looked up")
        answers = table[host]
        address = answers[min(len(lookups_of(host)) - 1, len(answers) - 1)]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    def lookups_of(host):
        return [name for name in lookups if name == host]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


# --- the hostile corpus: refused with the default policy, nothing sent anywhere ------------

HOSTILE = [
    ("http://127.0.0.1:{port}/page", BlockedAddress),
    ("http://127.0.0.1:{port}/to?url=http://10.0.0.1/", BlockedAddress),
    ("http://localhost:{port}/page", BlockedAddress),
    ("http://10.0.0.1/", BlockedAddress),
    ("http://169.254.169.254/latest/meta-data", BlockedAddress),
    ("http://[::1]/", BlockedAddress),
    ("http://[::ffff:127.0.0.1]/", BlockedAddress),
    ("http://[::ffff:a00:1]/", BlockedAddress),
    ("http://[::127.0.0.1]/", BlockedAddress),
    ("http://2130706433/", BlockedAddress),
    ("http://0x7f000001/", BlockedAddress),
    ("http://017700000001/", BlockedAddress),
    ("http://0177.0.0.1/", BlockedAddress),
    ("http://127.1/", BlockedAddress),
    ("http://127.0.0.1./", BlockedAddress),
    ("http://0.0.0.0/", BlockedAddress),
    ("http://0/", BlockedAddress),
    ("http://[::]/", BlockedAddress),
    ("http://localhost/", BlockedAddress),
    ("HTTP://LOCALHOST/", BlockedAddress),
    ("http://[fe80::1]/", BlockedAddress),
    ("http://[fc00::1]/", BlockedAddress),
    ("http://[fec0::1]/", BlockedAddress),
    ("http://100.64.0.1/", BlockedAddress),
    ("http://192.168.1.1/", BlockedAddress),
    ("http://172.16.0.1/", BlockedAddress),
    ("http://224.0.0.1/", BlockedAddress),
    ("http://255.255.255.255/", BlockedAddress),
    ("http://[2002:7f00:1::]/", BlockedAddress),
    ("http://[2002:c0a8:101::]/", BlockedAddress),
    ("http://[64:ff9b::7f00:1]/", BlockedAddress),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", BlockedAddress),
    ("https://10.0.0.1:8443/", BlockedAddress),
    ("file:///etc/passwd", BadScheme),
    ("gopher://127.0.0.1:70/_GET%20/", BadScheme),
    ("ftp://example.com/", BadScheme),
    ("javascript:alert(1)", BadScheme),
    ("data:text/html,<b>x</b>", BadScheme),
    ("//example.com/", BadScheme),
    ("http://user:pass@example.com/", BadScheme),
    ("http://example.com@127.0.0.1/", BadScheme),
    ("http://127.0.0.1\\@example.com/", BadScheme),
    ("http:///etc/passwd", BadScheme),
    ("http://", BadScheme),
    ("http://[::1%25lo]/", BadScheme),
    ("http://127.0.0.1:0/", BadScheme),
    ("http://127.0.0.1:99999/", BadScheme),
    ("http://1.2.3.4.5/", BadScheme),
    ("http://exa mple.com/", BadScheme),
    ("http://127.0.0.1\n.example.com/", BadScheme),
]


@pytest.mark.parametrize("url, error", HOSTILE, ids=[url for url, _ in HOSTILE])
def test_hostile_url_is_refused_before_any_connection(url, error, server, connects, monkeypatch):
    fake_dns(monkeypatch, {})
    with pytest.raises(error) as refused:
        fetch(url.format(port=server.port))
    assert refused.value.message and refused.value.reason_code
    assert connects == []
    assert server.requests == []


def test_hostile_corpus_makes_zero_internal_fetches(server, connects, monkeypatch):
    fake_dns(monkeypatch, {})
    refused = 0
    for url, _ in HOSTILE:
        with pytest.raises((BlockedAddress, BadScheme)):
            fetch(url.format(port=server.port))
        refused += 1
    assert refused == len(HOSTILE)
    assert (connects, server.requests) == ([], [])


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data", "http://[fc00::1]/",
    "http://192.168.1.1/", "http://172.16.0.1/", "http://100.64.0.1/", "http://[fe80::1]/",
    "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://[2002:7f00:1::]/",
    "http://[64:ff9b::7f00:1]/",
])
def test_allow_loopback_still_refuses_everything_else(url, connects):
    with pytest.raises(BlockedAddress):
        fetch(url, policy=LOOPBACK)
    assert connects == []


def test_a_name_is_refused_when_any_of_its_addresses_is_private(monkeypatch, connects):
    def two_answers(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                for address in ("93.184.215.14", "10.0.0.1")]

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(BlockedAddress):
        fetch("http://mixed.test/")
    assert connects == []


def test_public_addresses_pass_the_check(monkeypatch):
    fake_dns(monkeypatch, {"public.test": ["93.184.215.14"]})
    policy = FetchPolicy()
    assert fetcher._resolve("public.test", 80, policy) == (
        ipaddress.ip_address("93.184.215.14"),)
    for address in ["8.8.8.8", "2606:4700:4700::1111", "2002:5db8:d70e::"]:
        assert not fetcher._is_blocked(ipaddress.ip_address(address))


def test_an_unknown_name_is_a_dns_failure(monkeypatch):
    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    with pytest.raises(FetchFailed) as failed:
        fetch("http://nowhere.test/")
    assert failed.value.reason_code == "dns"


# --- pinning: one lookup, connect to the checked address, Host is the URL's -----------------


def test_connects_to_the_checked_address_and_sends_the_original_host(server, connects,
                                                                       monkeypatch):
    lookups = fake_dns(monkeypatch, {"preview.test": ["127.0.0.1"]})
    result = fetch(f"http://preview.test:{server.port}/echo", policy=LOOPBACK)
    assert json.loads(result.content)["headers"]["Host"] == f"preview.test:{server.port}"
    assert lookups == ["preview.test"]
    assert connects == [("127.0.0.1", server.port)]


def test_dns_rebinding_cannot_swap_the_address(server, connects, monkeypatch):
    lookups = fake_dns(monkeypatch, {"rebind.test": ["127.0.0.1", "10.0.0.1"]})
    result = fetch(f"http://rebind.test:{server.port}/page", policy=LOOPBACK)
    assert result.content == PAGE
    assert lookups == ["rebind.test"]  # resolved once; the socket went to that answer
    assert connects == [("127.0.0.1", server.port)]
    with pytest.raises(BlockedAddress):  # the next request resolves (and checks) again
        fetch(f"http://rebind.test:{server.port}/page", policy=LOOPBACK)
    assert lookups == ["rebind.test", "rebind.test"]
    assert len(connects) == 1 and len(server.requests) == 1


# --- what a normal fetch gives --------------------------------------------------------------


def test_fetches_a_page(server):
    url = f"http://127.0.0.1:{server.port}/page"
    result = fetch(url, policy=LOOPBACK)
    assert isinstance(result, FetchResult)
    assert (result.url, result.final_url, result.status, result.ok) == (url, url, 200, True)
    assert result.content == PAGE
    assert (result.content_type, result.charset) == ("text/html", "utf-8")
    assert result.headers["x-test"] == result.headers["X-TEST"] == "yes"
    assert "content-length" in result.headers


def test_request_headers(server):
    result = fetch(f"http://127.0.0.1:{server.port}/echo/café?q=é", policy=LOOPBACK,
                   accept="application/rss+xml")
    sent = json.loads(result.content)
    assert sent["path"] == "/echo/caf%C3%A9?q=%C3%A9"
    assert sent["headers"]["User-Agent"] == "RelaisBot/0.1 (+link preview)"
    assert sent["headers"]["Accept"] == "application/rss+xml"
    assert sent["headers"]["Accept-Encoding"] == "gzip"
    assert sent["headers"]["Host"] == f"127.0.0.1:{server.port}"
    assert result.content_type == "application/json" and result.charset is None


def test_gzip_is_decoded(server):
    result = fetch(f"http://127.0.0.1:{server.port}/gzip", policy=LOOPBACK)
    assert result.content == PAGE
    assert result.headers["Content-Encoding"] == "gzip"


def test_error_statuses_are_returned_not_raised(server):
    result = fetch(f"http://127.0.0.1:{server.port}/nothing", policy=LOOPBACK)
    assert (result.status, result.ok, result.content) == (404, False, b"not here")


def test_head(server):
    result = fetch(f"http://127.0.0.1:{server.port}/page", policy=LOOPBACK, method="HEAD")
    assert (result.status, result.content) == (200, b"")
    assert server.requests[0][0] == "/page"


def test_only_get_and_head():
    with pytest.raises(ValueError):
        fetch("http://127.0.0.1/", policy=LOOPBACK, method="POST")


def test_a_truncated_body_is_a_fetch_failure(server):
    with pytest.raises(FetchFailed) as failed:
        fetch(f"http://127.0.0.1:{server.port}/truncated", policy=LOOPBACK)
    assert failed.value.reason_code == "protocol"


def test_connection_refused_is_a_fetch_failure(connects):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchFailed) as failed:
        fetch(f"http://127.0.0.1:{port}/", policy=LOOPBACK)
    assert failed.value.reason_code == "unreachable"


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_followed(server, status):
    target = f"http://127.0.0.1:{server.port}/page"
    url = f"http://127.0.0.1:{server.port}/to?url={target}&status={status}"
    result = fetch(url, policy=LOOPBACK)
    assert (result.url, result.final_url, result.content) == (url, target, PAGE)


def test_relative_redirect(server):
    result = fetch(f"http://127.0.0.1:{server.port}/relative", policy=LOOPBACK)
    assert result.final_url == f"http://127.0.0.1:{server.port}/page"
    assert result.content == PAGE


def test_redirect_chain_up_to_the_limit(server):
    result = fetch(f"http://127.0.0.1:{server.port}/redirect/5", policy=LOOPBACK)
    assert result.final_url.endswith("/redirect/0") and result.content == PAGE
    assert len(server.requests) == 6


def test_too_many_redirects(server):
    with pytest.raises(TooManyRedirects):
        fetch(f"http://127.0.0.1:{server.port}/redirect/6", policy=LOOPBACK)
    assert len(server.requests) == 6  # the 7th request is never made


@pytest.mark.parametrize("target, error", [
    ("http://10.0.0.1/", BlockedAddress),
    ("http://169.254.169.254/latest/meta-data", BlockedAddress),
    ("http://[::ffff:10.0.0.1]/", BlockedAddress),
    ("http://internal.test/", BlockedAddress),
    ("file:///etc/passwd", BadScheme),
    ("http://user:pass@127.0.0.1/", BadScheme),
])
def test_each_redirect_is_checked_again(server, connects, monkeypatch, target, error):
    fake_dns(monkeypatch, {"internal.test": ["10.0.0.1"]})
    with pytest.raises(error):
        fetch(f"http://127.0.0.1:{server.port}/to?url={target}", policy=LOOPBACK)
    assert len(server.requests) == 1
    assert connects == [("127.0.0.1", server.port)]


def test_a_redirect_to_loopback_is_followed_when_loopback_is_allowed(server):
    target = f"http://localhost:{server.port}/page"
    result = fetch(f"http://127.0.0.1:{server.port}/to?url={target}", policy=LOOPBACK)
    assert (result.final_url, result.content) == (target, PAGE)


# --- size and time limits -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/big", "/stream-big", "/bomb"])
def test_too_large(server, path):
    with pytest.raises(TooLarge):
        fetch(f"http://127.0.0.1:{server.port}{path}", policy=LOOPBACK)


def test_the_gzip_bomb_is_small_on_the_wire():
    assert len(BOMB) < LOOPBACK.max_bytes  # so only the decoded size can stop it


@pytest.mark.parametrize("path", ["/stall", "/trickle", "/slow-headers"])
def test_the_deadline_covers_the_whole_fetch(server, path):
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetch(f"http://127.0.0.1:{server.port}{path}", policy=QUICK)
    assert time.monotonic() - started < 1.5


# --- HTTPS: the certificate is checked against the URL's host, not the pinned address -------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def usage(**on):
        flags = dict.fromkeys(["digital_signature", "content_commitment", "key_encipherment",
                               "data_encipherment", "key_agreement", "key_cert_sign",
                               "crl_sign", "encipher_only", "decipher_only"], False)
        return x509.KeyUsage(**(flags | on))

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Relais test CA"))
          .issuer_name(name("Relais test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(usage(key_cert_sign=True, crl_sign=True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name("preview.test"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("preview.test")]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "cert.pem").write_bytes(leaf.public_bytes(pem))
    (folder / "key.pem").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return folder


@pytest.fixture(scope="module")
def tls_server(tls_files):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files / "cert.pem", tls_files / "key.pem")
    server = _serve(context)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def trust_test_ca(tls_files, monkeypatch):
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context",
                        lambda *args, **kwargs: real(cafile=str(tls_files / "ca.pem")))


def test_https_verifies_the_certificate_against_the_url_host(tls_server, trust_test_ca,
                                                             monkeypatch, connects):
    fake_dns(monkeypatch, {"preview.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    result = fetch(f"https://preview.test:{tls_server.port}/echo", policy=LOOPBACK)
    assert json.loads(result.content)["headers"]["Host"] == f"preview.test:{tls_server.port}"
    assert connects == [("127.0.0.1", tls_server.port)]
    with pytest.raises(FetchFailed) as failed:  # same address, but not the certificate's name
        fetch(f"https://other.test:{tls_server.port}/page", policy=LOOPBACK)
    assert failed.value.reason_code == "tls"


def test_https_refuses_an_untrusted_certificate(tls_server, monkeypatch):
    fake_dns(monkeypatch, {"preview.test": ["127.0.0.1"]})
    with pytest.raises(FetchFailed) as failed:
        fetch(f"https://preview.test:{tls_server.port}/page", policy=LOOPBACK)
    assert failed.value.reason_code == "tls"


# --- policy and errors ----------------------------------------------------------------------


def test_policy_from_config():
    expected = FetchPolicy(timeout=10.0, max_bytes=5 * MIB, max_redirects=5,
                           allow_loopback=False)
    assert FetchPolicy.from_config(Config()) == expected
    assert FetchPolicy.from_config(Config().as_flask_config()) == expected
    assert FetchPolicy.from_config({}) == expected
    assert FetchPolicy.from_config({"FETCH_ALLOW_LOOPBACK": True}).allow_loopback


def test_allow_loopback_is_never_read_from_the_environment():
    cfg = Config.from_env({"SECRET_KEY": "k" * 40, "FETCH_ALLOW_LOOPBACK": "1"})
    assert cfg.FETCH_ALLOW_LOOPBACK is False


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        FetchPolicy(timeout=0)
    with pytest.raises(ValueError):
        FetchPolicy(max_redirects=-1)


def test_errors_carry_a_reason_and_a_message():
    error = BlockedAddress()
    assert isinstance(error, FetchError)
    assert error.reason_code == "blocked_address" and str(error) == error.message
    custom = FetchFailed("dns", "The host name could not be found.")
    assert (custom.reason_code, custom.message) == ("dns", "The host name could not be found.")


# --- POST (outgoing webhooks): same checks, no redirects followed, header whitelist ---------


class _PostHandler(_Handler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.requests.append((self.path, dict(self.headers), body))
        route = urlsplit(self.path).path.strip("/")
        try:
            if route == "ok":
                self._send(200, b'{"ok":true}', "application/json")
            elif route == "moved":
                self._send(302, Location="/ok")
            elif route == "error":
                self._send(500, b"boom", "text/plain")
            elif route == "big":
                self._send(200, b"x" * (2 * MIB), "text/plain")
            elif route == "stall":
                time.sleep(3)
                self._send(200, b"late")
            else:
                self.route_missing()
        except OSError:
            pass


@pytest.fixture(scope="module")
def post_server():
    server = _Server()
    server.RequestHandlerClass = _PostHandler
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver(post_server):
    post_server.requests.clear()
    return post_server


def test_post_sends_the_body_and_the_allowed_headers(receiver):
    result = fetcher.post(f"http://127.0.0.1:{receiver.port}/ok", b'{"a":1}',
                          content_type="application/json",
                          headers={"X-Relais-Signature": "sha256=00", "X-Relais-Delivery": "k1"},
                          policy=LOOPBACK)
    assert (result.status, result.ok, result.content) == (200, True, b'{"ok":true}')
    path, headers, body = receiver.requests[0]
    assert (path, body) == ("/ok", b'{"a":1}')
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == "7"
    assert (headers["X-Relais-Signature"], headers["X-Relais-Delivery"]) == ("sha256=00", "k1")


def test_post_does_not_follow_redirects(receiver):
    result = fetcher.post(f"http://127.0.0.1:{receiver.port}/moved", b"{}", policy=LOOPBACK)
    assert (result.status, result.ok, result.headers["Location"]) == (302, False, "/ok")
    assert [r[0] for r in receiver.requests] == ["/moved"]  # /ok was never asked for


def test_post_returns_error_statuses(receiver):
    result = fetcher.post(f"http://127.0.0.1:{receiver.port}/error", b"{}", policy=LOOPBACK)
    assert (result.status, result.ok) == (500, False)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/ok", "http://localhost:{port}/ok", "http://10.0.0.1/ok",
    "http://169.254.169.254/latest", "http://[::1]:{port}/ok", "http://192.168.1.1/",
])
def test_post_refuses_private_and_loopback_addresses_by_default(url, receiver, connects):
    with pytest.raises(BlockedAddress):
        fetcher.post(url.format(port=receiver.port), b"{}")
    assert connects == [] and receiver.requests == []


def test_post_allows_loopback_only_when_the_policy_says_so(receiver, connects):
    fetcher.post(f"http://127.0.0.1:{receiver.port}/ok", b"{}", policy=LOOPBACK)
    assert len(receiver.requests) == 1
    with pytest.raises(BlockedAddress):  # allow_loopback never opens private ranges
        fetcher.post("http://10.0.0.1/ok", b"{}", policy=LOOPBACK)
    assert all(ipaddress.ip_address(host).is_loopback for host, _port in connects)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/",
                                 "http://user:pw@example.com/"])
def test_post_refuses_other_schemes(url, connects):
    with pytest.raises(BadScheme):
        fetcher.post(url, b"{}")
    assert connects == []


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer x"}, {"Host": "evil"},
                                     {"X-Relais-Delivery": "a\r\nX-Evil: 1"}])
def test_post_only_takes_whitelisted_headers_without_control_characters(headers, receiver):
    with pytest.raises(ValueError):
        fetcher.post(f"http://127.0.0.1:{receiver.port}/ok", b"{}", headers=headers,
                     policy=LOOPBACK)
    assert receiver.requests == []


def test_post_respects_the_size_and_time_limits(receiver):
    with pytest.raises(TooLarge):
        fetcher.post(f"http://127.0.0.1:{receiver.port}/big", b"{}", policy=LOOPBACK)
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetcher.post(f"http://127.0.0.1:{receiver.port}/stall", b"{}", policy=QUICK)
    assert time.monotonic() - started < 2
