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
    )
    return Markup(clean)
