"""Lesson videos: only YouTube (through youtube-nocookie.com) and Vimeo are embedded.

The iframe's ``src`` is always built here from a validated video id, never copied from
what the author typed, so a lesson cannot frame any other site. The CSP's ``frame-src``
(app/common/security.py) allows exactly the two hosts below.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

#: the hosts the iframe may load (kept in sync with the CSP's frame-src)
EMBED_HOSTS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")

_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com",
                  "www.youtube-nocookie.com"}
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
_VIMEO_ID = re.compile(r"[0-9]{1,12}")


def _youtube_id(host: str, path: str, query: str) -> str | None:
    if host == "youtu.be":
        candidate = path.strip("/").split("/")[0]
    elif host in _YOUTUBE_HOSTS:
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["watch"]:
            candidate = (parse_qs(query).get("v") or [""])[0]
        elif len(parts) >= 2 and parts[0] in ("embed", "shorts", "live", "v"):
            candidate = parts[1]
        else:
            return None
    else:
        return None
    return candidate if _YOUTUBE_ID.fullmatch(candidate or "") else None


def _vimeo_id(host: str, path: str) -> str | None:
    if host not in _VIMEO_HOSTS:
        return None
    parts = [p for p in path.split("/") if p]
    if host == "player.vimeo.com":
        parts = parts[1:] if parts[:1] == ["video"] else []
    candidate = parts[0] if parts else ""
    return candidate if _VIMEO_ID.fullmatch(candidate) else None


def embed_url(url: str | None) -> str | None:
    """The iframe address for a YouTube or Vimeo link; None for anything else."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.username or parts.password:
        return None
    host = (parts.hostname or "").lower()
    try:
        if parts.port not in (None, 80, 443):
            return None
    except ValueError:
        return None
    video = _youtube_id(host, parts.path, parts.query)
    if video:
        return f"https://www.youtube-nocookie.com/embed/{video}"
    video = _vimeo_id(host, parts.path)
    if video:
        return f"https://player.vimeo.com/video/{video}"
    return None
