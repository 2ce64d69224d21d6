"""The one error type for expected failures; blueprints/errors.py renders it."""

from __future__ import annotations


class AppError(Exception):
    """An expected failure with a SPEC section 8 code, a message and per-field details."""

    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    def __repr__(self) -> str:
        return f"AppError({self.code!r}, {self.message!r}, {self.details!r})"


def validation_error(details: dict, message: str = "The request is not valid.") -> AppError:
    """A 400 with messages per field: ``{"field": ["message", ...]}``."""
    normalised = {
        field: messages if isinstance(messages, list | dict) else [messages]
        for field, messages in details.items()
    }
    return AppError("validation_error", message, normalised)


def not_found(what: str = "resource") -> AppError:
    return AppError("not_found", f"The {what} does not exist.")


def forbidden(message: str = "You are not allowed to do this.") -> AppError:
    return AppError("forbidden", message)
