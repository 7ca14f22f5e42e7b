"""Share pages: share an item, my shares (being written)."""

from app.sharing import bp  # noqa: F401
