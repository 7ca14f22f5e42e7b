"""Errors that services raise for the user to read (views flash them)."""


class ServiceError(Exception):
    """A rule refused the action; ``message`` is user-facing and already translated."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
