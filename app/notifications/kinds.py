"""The registry of notice kinds: each feature registers how its notices read.

A renderer receives the notice's params and returns the text, translated in the current
(the reader's) locale, so a notice written by a job reads in the language of whoever opens
it::

    @notice_kind("gamification.badge")
    def _badge(params):
        return _("You earned the badge %(name)s.", name=params["name_" + locale()])
"""

from __future__ import annotations

from collections.abc import Callable

Renderer = Callable[[dict], str]

KINDS: dict[str, Renderer] = {}


def notice_kind(kind: str):
    def register(fn: Renderer) -> Renderer:
        if kind in KINDS and KINDS[kind] is not fn:
            raise ValueError(f"notice kind {kind!r} is registered twice")
        KINDS[kind] = fn
        return fn

    return register


def render_notice(kind: str, params: dict) -> str:
    renderer = KINDS.get(kind)
    if renderer is None:  # a kind whose feature was removed: say something rather than fail
        return params.get("text", kind)
    return renderer(params)
