"""The social networks an item has suggested text for, and how each counts characters.

X counts every link as 23 characters (t.co) whatever its length, and counts some
characters (CJK, emoji) double; LinkedIn and Facebook count plain characters. The same
rules run in the browser (static/js/content-editor.js) for the live counter.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: X shortens every http(s) link to this many characters
X_LINK_LENGTH = 23
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


@dataclass(frozen=True)
class NetworkRules:
    key: str
    label: str
    limit: int
    links_count_as: int | None = None  # None: a link counts its real length
    wide_chars_double: bool = False


NETWORKS: dict[str, NetworkRules] = {
    "linkedin": NetworkRules("linkedin", "LinkedIn", 3000),
    "x": NetworkRules("x", "X", 280, links_count_as=X_LINK_LENGTH, wide_chars_double=True),
    "facebook": NetworkRules("facebook", "Facebook", 63206),
}


def _char_weight(char: str) -> int:
    # X's weighting: most Latin, Greek, Cyrillic... count 1; wide (CJK) and emoji count 2
    if unicodedata.east_asian_width(char) in ("W", "F") or ord(char) >= 0x1F000:
        return 2
    return 1


def count(network: str, text: str) -> int:
    """The length of ``text`` as ``network`` counts it."""
    rules = NETWORKS[network]
    total = 0
    if rules.links_count_as is not None:
        links = _URL.findall(text)
        text = _URL.sub("", text)
        total += rules.links_count_as * len(links)
    if rules.wide_chars_double:
        total += sum(_char_weight(c) for c in text)
    else:
        total += len(text)
    return total


def compose(network: str, text: str, *, link: str = "", hashtags: str = "",
            disclaimer: str = "") -> str:
    """The full post: text, hashtags, disclaimer, link (what the character limit applies to)."""
    parts = [text.strip()]
    tags = " ".join(f"#{t.lstrip('#')}" for t in hashtags.split() if t.strip("#"))
    if tags and tags not in text:
        parts.append(tags)
    if disclaimer.strip():
        parts.append(disclaimer.strip())
    if link:
        parts.append(link)
    return "\n\n".join(p for p in parts if p)


def remaining(network: str, full_text: str) -> int:
    return NETWORKS[network].limit - count(network, full_text)
