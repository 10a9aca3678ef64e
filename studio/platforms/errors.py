"""One family of platform errors; callers decide what to do from the class alone."""
from typing import Any


class PlatformError(Exception):
    """Something a platform said no to. `message` is fit to show a user."""

    def __init__(self, message: str, status: int | None = None, payload: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.payload = payload


class RetryableError(PlatformError):
    """Timeouts, connection failures, 5xx and 429: try again later (after `retry_after` seconds)."""

    def __init__(self, message: str, status: int | None = None, payload: Any = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, status, payload)
        self.retry_after = retry_after


class AuthError(PlatformError):
    """The token was refused (expired, revoked, missing permission): refresh once, then reconnect."""


class PermanentError(PlatformError):
    """The request itself is wrong for the platform; retrying will not help."""


class UncertainError(RetryableError):
    """The call may have worked (it timed out or the connection broke after sending): look the post
    up before trying again, never retry blindly."""
