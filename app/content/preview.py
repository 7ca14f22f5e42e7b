"""Link previews: fetch a page through the SSRF-safe fetcher and read its title, description
and image from Open Graph, Twitter card and plain HTML meta tags.

The page is parsed with the standard library's ``html.parser`` (a tolerant tokenizer that
never resolves external entities or fetches anything); relative image addresses are made
absolute against the page's final URL, and only http(s) images are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask_babel import gettext as _

from app.common.fetcher import FetchError, FetchPolicy, fetch

#: enough for any <head>; the rest of a page is not read
_PARSE_LIMIT = 512 * 1024
_HTML_TYPES = {"", "text/html", "application/xhtml+xml"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class LinkPreview:
    #: the address that answered (after redirects)
    url: str
    title: str = ""
    description: str = ""
    image_url: str = ""
    site_name: str = ""


class PreviewError(Exception):
    """The preview could not be made; ``message`` is translated and can be shown."""

    def __init__(self, reason_code: str, message: str):
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


def fetch_preview(url: str, policy: FetchPolicy) -> LinkPreview:
    """Fetch ``url`` and read its preview, or raise ``PreviewError``."""
    try:
        result = fetch(url, policy=policy, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.1")
    except FetchError as exc:
        raise PreviewError(exc.reason_code, fetch_error_message(exc)) from exc
    if not result.ok:
        raise PreviewError("http_status", _("The page answered with the error %(status)d.",
                                            status=result.status))
    if result.content_type not in _HTML_TYPES:
        raise PreviewError("not_html", _("This address is not a web page (%(type)s).",
                                         type=result.content_type))
    return parse_preview(decode(result.content, result.charset), result.final_url)


def decode(content: bytes, charset: str | None) -> str:
    content = content[:_PARSE_LIMIT]
    candidates = [charset] if charset else []
    found = _META_CHARSET.search(content[:4096])
    if found:
        candidates.append(found.group(1).decode("ascii", "ignore"))
    for name in [*candidates, "utf-8"]:
        try:
            return content.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return content.decode("utf-8", errors="replace")


def parse_preview(html: str, base_url: str) -> LinkPreview:
    parser = _MetaParser()
    try:
        parser.feed(html[:_PARSE_LIMIT])
        parser.close()
    except Exception:  # noqa: BLE001,S110 - a broken page gives what was read so far
        pass
    meta = parser.meta
    title = _first(meta, "og:title", "twitter:title") or parser.title
    description = _first(meta, "og:description", "twitter:description", "description")
    image = _first(meta, "og:image:secure_url", "og:image", "og:image:url", "twitter:image",
                   "twitter:image:src") or parser.image_src
    return LinkPreview(url=base_url, title=_clean(title)[:300],
                       description=_clean(description)[:5000],
                       image_url=absolute_http_url(image, base_url),
                       site_name=_clean(_first(meta, "og:site_name"))[:200])


def absolute_http_url(value: str, base_url: str) -> str:
    """``value`` made absolute against ``base_url``; "" unless it is an http(s) address."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        absolute = urljoin(base_url, value)
        parts = urlsplit(absolute)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc or len(absolute) > 2000:
        return ""
    return absolute


def fetch_error_message(exc: FetchError) -> str:
    """The fetcher's refusal, in the reader's language."""
    messages = {
        "blocked_address": _("This address points to a private or reserved network: "
                             "Relais does not fetch it."),
        "bad_scheme": _("Only http:// and https:// addresses can be fetched."),
        "userinfo": _("Addresses with a user name or password cannot be fetched."),
        "bad_url": _("This address is not valid."),
        "bad_host": _("This host name is not valid."),
        "no_host": _("This address has no host name."),
        "dns": _("The host name could not be found."),
        "timeout": _("The site took too long to answer."),
        "too_large": _("The page is too large to fetch."),
        "too_many_redirects": _("The page redirects too many times."),
        "tls": _("A secure connection to the site could not be made."),
    }
    return messages.get(exc.reason_code, _("The site could not be reached."))


def _first(meta: dict[str, str], *keys: str) -> str:
    for key in keys:
        if meta.get(key, "").strip():
            return meta[key]
    return ""


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text or "").strip()


class _MetaParser(HTMLParser):
    """Collects <meta property|name=… content=…>, <title> and <link rel=image_src>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.image_src = ""
        self._in_title = False
        self._title_parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values and key not in self.meta:
                self.meta[key] = values["content"]
        elif tag == "title" and not self.title:
            self._in_title = True
        elif tag == "link" and "image_src" in values.get("rel", "").lower().split():
            self.image_src = self.image_src or values.get("href", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self.title = "".join(self._title_parts)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_parts.append(data)
