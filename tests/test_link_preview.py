"""Link previews: parsing Open Graph / Twitter / meta tags with the stdlib HTML parser, and
fetching through the SSRF-safe fetcher from a real HTTP server on 127.0.0.1 (loopback is
allowed only where a test says so, through FETCH_ALLOW_LOOPBACK)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.accounts.models import Role
from app.common.fetcher import FetchPolicy
from app.content.preview import (
    LinkPreview,
    PreviewError,
    absolute_http_url,
    fetch_preview,
    parse_preview,
)

OG_PAGE = """<!doctype html><html><head>
<meta charset="utf-8">
<title>Plain title</title>
<meta property="og:title" content="Caf&eacute; &amp; Co launches">
<meta property="og:description" content="  A new   blend,
  roasted in Lyon. ">
<meta property="og:image" content="/img/cover.jpg">
<meta property="og:site_name" content="Café &amp; Co">
<meta name="description" content="ignored: og:description wins">
</head><body><p>Hello</p></body></html>"""

PAGES = {
    "/og": ("text/html; charset=utf-8", OG_PAGE.encode()),
    "/twitter": ("text/html", b"<html><head><meta name='twitter:title' content='Tweet title'>"
                              b"<meta name='twitter:description' content='Short'>"
                              b"<meta name='twitter:image' content='https://cdn.acme.example/t.png'>"
                              b"</head></html>"),
    "/plain": ("text/html; charset=iso-8859-1",
               "<html><head><title> Entr\xe9e </title><meta name=description content='D\xe9j\xe0'>"
               "<link rel='image_src' href='pics/a.png'></head></html>".encode("latin-1")),
    "/pdf": ("application/pdf", b"%PDF-1.4"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/og")
            self.end_headers()
            return
        if self.path == "/to-private":
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/admin")
            self.end_headers()
            return
        found = PAGES.get(self.path)
        if found is None:
            self.send_error(404)
            return
        content_type, body = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


LOOPBACK = FetchPolicy(timeout=5, allow_loopback=True)


# --- parsing -------------------------------------------------------------------------------


def test_open_graph_tags_win_and_relative_images_become_absolute():
    found = parse_preview(OG_PAGE, "https://www.acme.example/news/launch")
    assert found == LinkPreview(url="https://www.acme.example/news/launch",
                                title="Café & Co launches",
                                description="A new blend, roasted in Lyon.",
                                image_url="https://www.acme.example/img/cover.jpg",
                                site_name="Café & Co")


def test_twitter_then_plain_meta_tags_are_fallbacks():
    page = ("<title>T</title><meta name='twitter:title' content='TT'>"
            "<meta name='description' content='desc'>")
    found = parse_preview(page, "https://acme.example/")
    assert (found.title, found.description, found.image_url) == ("TT", "desc", "")


def test_hostile_markup_is_inert():
    page = ("<!DOCTYPE x [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><title>&xxe;</title>"
            "<meta property='og:image' content='javascript:alert(1)'>"
            "<meta property='og:description' content='<script>x</script>'>"
            "<meta property='og:title'")  # cut off in the middle of a tag
    found = parse_preview(page, "https://acme.example/")
    assert "root:" not in found.title
    assert found.image_url == ""
    assert found.description == "<script>x</script>"  # text; templates escape it


@pytest.mark.parametrize(("value", "expected"), [
    ("//cdn.acme.example/a.png", "https://cdn.acme.example/a.png"),
    ("../b.png", "https://acme.example/b.png"),
    ("data:image/png;base64,AAAA", ""),
    ("ftp://acme.example/c.png", ""),
    ("", ""),
])
def test_absolute_http_url(value, expected):
    assert absolute_http_url(value, "https://acme.example/news/x") == expected


# --- fetching from a local server ------------------------------------------------------------


def test_fetch_preview_from_a_local_server(site):
    found = fetch_preview(site + "/og", LOOPBACK)
    assert found.title == "Café & Co launches"
    assert found.image_url == site + "/img/cover.jpg"


def test_fetch_preview_follows_redirects_and_reads_the_charset(site):
    assert fetch_preview(site + "/moved", LOOPBACK).url == site + "/og"
    plain = fetch_preview(site + "/plain", LOOPBACK)
    assert (plain.title, plain.description, plain.image_url) == (
        "Entrée", "Déjà", site + "/pics/a.png")


@pytest.mark.parametrize(("path", "reason"), [
    ("/pdf", "not_html"), ("/missing", "http_status"), ("/to-private", "blocked_address")])
def test_fetch_preview_errors(site, path, reason):
    with pytest.raises(PreviewError) as caught:
        fetch_preview(site + path, LOOPBACK)
    assert caught.value.reason_code == reason and caught.value.message


def test_the_default_policy_refuses_loopback(site):
    with pytest.raises(PreviewError) as caught:
        fetch_preview(site + "/og", FetchPolicy())
    assert caught.value.reason_code == "blocked_address"


# --- through the curator pages ---------------------------------------------------------------


@pytest.mark.parametrize("app_overrides", [{"FETCH_ALLOW_LOOPBACK": True}])
def test_the_preview_endpoint_fills_the_fields(client, auth, db, site):
    auth.as_role(Role.CURATOR)
    response = client.post("/curate/preview", data={"url": site + "/og", "title": "old"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<div id="preview-fields"')  # a partial, not a page
    assert 'value="Café &amp; Co launches"' in page
    assert "A new blend, roasted in Lyon." in page
    assert f'value="{site}/img/cover.jpg"' in page
    assert "preview-error" not in page


@pytest.mark.parametrize("app_overrides", [{"FETCH_ALLOW_LOOPBACK": True}])
def test_the_preview_endpoint_shows_errors(client, auth, db, site):
    auth.as_role(Role.CURATOR)
    page = client.post("/curate/preview", data={"url": site + "/pdf"}).get_data(as_text=True)
    assert 'data-testid="preview-error"' in page and "not a web page" in page
    page = client.post("/curate/preview",
                       data={"url": site + "/to-private"}).get_data(as_text=True)
    assert "private or reserved network" in page


@pytest.mark.parametrize("app_overrides", [{"FETCH_ALLOW_LOOPBACK": True}])
def test_without_javascript_the_editor_fetches_the_preview(client, auth, db, site):
    auth.as_role(Role.CURATOR)
    response = client.post("/curate/items/new", data={"url": site + "/og", "action": "fetch",
                                                      "language": "en", "priority": "0"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<form" in page and 'value="Café &amp; Co launches"' in page


def test_the_preview_endpoint_refuses_loopback_by_default(client, auth, db, site):
    auth.as_role(Role.CURATOR)
    page = client.post("/curate/preview", data={"url": site + "/og"}).get_data(as_text=True)
    assert "private or reserved network" in page
    assert "Café" not in page
