"""Who does something, and from where (for the audit log). Built by views, passed to services."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    ip: str | None = None
    user_agent: str = ""


SYSTEM = Actor(user_id=None, ip=None, user_agent="system")
