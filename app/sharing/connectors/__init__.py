"""Connectors by network (LinkedIn and X first). A connector without a client id in the
config is "not configured": hidden from the pages, refused by the routes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.sharing.connectors.base import (
    Connector,
    ConnectorError,
    Metrics,
    Profile,
    TokenSet,
)
from app.sharing.connectors.linkedin import LinkedInConnector
from app.sharing.connectors.x import XConnector

__all__ = ["CONNECTORS", "Connector", "ConnectorError", "Metrics", "Profile", "TokenSet",
           "configured_connectors", "get_connector"]

#: THE registry: network key (app.sharing.networks) → connector class
CONNECTORS: dict[str, type[Connector]] = {
    LinkedInConnector.name: LinkedInConnector,
    XConnector.name: XConnector,
}


def _config(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if config is not None:
        return config
    from flask import current_app

    return current_app.config


def get_connector(network: str, config: Mapping[str, Any] | None = None, *,
                  configured_only: bool = True) -> Connector | None:
    """The network's connector, or None when there is none (or it is not configured)."""
    cls = CONNECTORS.get(network)
    if cls is None:
        return None
    connector = cls(_config(config))
    if configured_only and not connector.configured:
        return None
    return connector


def configured_connectors(config: Mapping[str, Any] | None = None) -> list[Connector]:
    """The connectors an employee can use, in registry order."""
    config = _config(config)
    return [c for c in (cls(config) for cls in CONNECTORS.values()) if c.configured]
