"""Exceptions raised by the annotations package."""

from __future__ import annotations


class AnnotationsError(Exception):
    """Base class for domain errors of this package."""


class ValidationError(AnnotationsError):
    """Input failed validation; field names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(AnnotationsError):
    """The thing does not exist, or the asker may not see it."""


class PermissionDenied(AnnotationsError):
    """The asker is known but may not do this."""


class Conflict(AnnotationsError):
    """The request conflicts with the current state (e.g. a taken name)."""


class AuthenticationFailed(AnnotationsError):
    """Credentials did not match."""
