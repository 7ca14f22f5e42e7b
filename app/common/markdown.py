"""Markdown to sanitised HTML: raw HTML disabled, then cleaned by nh3, http(s) links only."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead",
    "tr", "ul", "del", "s",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"},
                      "td": {"align"}}


def _only_absolute_http_urls(tag: str, attribute: str, value: str) -> str | None:
    """Links and images must be absolute http(s) URLs: relative and protocol-relative
    ("//host") ones are dropped too, so nothing points where the author did not write."""
    if attribute in ("href", "src") and not value.lower().startswith(("http://", "https://")):
        return None
    return value


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "commonmark" with html off: raw HTML in the source is shown as text
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable(
        "strikethrough")


def render_markdown(source: str | None) -> Markup:
    html = _parser().render(source or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_only_absolute_http_urls,
    )
    return Markup(clean)  # noqa: S704 - nh3 output above is sanitised # nosec B704
