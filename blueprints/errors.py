"""AppError (and every HTTP error) → the JSON error body, an htmx fragment or an HTML page."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from blueprints.paths import is_machine_request
from blueprints.toasts import toast
from domain.errors import AppError

logger = logging.getLogger(__name__)

STATUS_BY_CODE = {
    "validation_error": 400,
    "bad_request": 400,
    "csrf_failed": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "connection_exists": 409,
    "email_taken": 409,
    "slug_taken": 409,
    "coupon_exists": 409,
    "slot_unavailable": 409,
    "invalid_transition": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "internal_error": 500,
    "payment_error": 502,
    "service_unavailable": 503,
}

CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}

MESSAGES = {
    "not_found": "There is nothing here.",
    "method_not_allowed": "This method is not allowed here.",
    "rate_limited": "Too many attempts. Please wait a moment and try again.",
    "csrf_failed": "Your form expired or was not sent from this site. Please try again.",
    "payload_too_large": "The request is too large.",
    "internal_error": "Something went wrong on our side. It has been logged.",
    "service_unavailable": "We are busy or restarting. Please try again in a moment.",
}
# How long a client should wait before trying again after a 503.
RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    """API paths and callers that prefer JSON get the JSON error body."""
    if is_machine_request():
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > 0


def error_body(error: AppError) -> dict:
    return {"error": {"code": error.code, "message": error.message, "details": error.details}}


def render_error(error: AppError, status: int | None = None):
    status = status or STATUS_BY_CODE.get(error.code, 400)
    if wants_json():
        return jsonify(error_body(error)), status
    if request.headers.get("HX-Request"):
        # A toast and nothing swapped: the page stays as it was (form fragments that show
        # messages next to their fields are rendered by their views, not here).
        toast(error.message, "error")
        return "", status, {"HX-Reswap": "none"}
    return render_template("errors/page.html", error=error, status=status), status


def _from_http_exception(exc: HTTPException) -> AppError:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if status in (400, 422) and messages is not None:  # webargs: {"json": {field: [...]}}
        details = {}
        for location_messages in messages.values():
            details.update(flatten_details(location_messages))
        return AppError("validation_error", "The request is not valid.", details)
    if isinstance(exc, CSRFError):
        return AppError("csrf_failed", MESSAGES["csrf_failed"])
    code = CODE_BY_STATUS.get(status, "bad_request" if status < 500 else "internal_error")
    message = MESSAGES.get(code) or exc.description or exc.name
    return AppError(code, message)


def flatten_details(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages → ``{"duration.min": ["..."], "times.0.start": [...]}``."""
    if isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            return {prefix or "_schema": list(messages)}
        flat: dict[str, list[str]] = {}
        for item in messages:
            flat.update(flatten_details(item, prefix))
        return flat
    if isinstance(messages, dict):
        flat = {}
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_details(value, path))
        return flat
    return {prefix or "_schema": [str(messages)]}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def handle_app_error(error: AppError):
        return render_error(error)

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        response = render_error(_from_http_exception(exc), exc.code)
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            body, status = response
            return body, status, {"Allow": ", ".join(exc.valid_methods)}
        return response

    @app.errorhandler(DataError)
    def handle_data_error(exc: DataError):
        """A value the database cannot hold (a safety net: validation should catch it)."""
        logger.warning(
            "database refused a value on %s %s: %s", request.method, request.path, exc.orig
        )
        from extensions import db

        db.session.rollback()
        return render_error(AppError("validation_error", "A value is out of range.", {}), 400)

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def handle_database_unavailable(exc: Exception):
        """The database is unreachable or every pooled connection is busy: a 503 the
        client may retry, not a 500 (nothing was changed: the transaction rolled back)."""
        logger.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
        from extensions import db, login_manager

        db.session.rollback()
        # Answer as for a visitor: asking who is signed in would ask the database again.
        g._login_user = login_manager.anonymous_user()
        error = AppError("service_unavailable", MESSAGES["service_unavailable"])
        response = make_response(render_error(error))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(AppError("internal_error", MESSAGES["internal_error"]), 500)
