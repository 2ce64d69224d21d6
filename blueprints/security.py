"""Who is asking (session cookie or bearer token), CSRF, rate limits and security headers."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Flask, current_app, redirect, request, session, url_for
from flask_login import current_user

from blueprints.errors import wants_json
from domain.errors import AppError
from extensions import csrf, db, limiter, login_manager
from models import User
from services import accounts

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    )
)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def api_login_required(view):
    """Like Flask-Login's login_required, answering 401 with the error body."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            raise AppError("unauthorized", "Sign in or send a valid bearer token.")
        return view(*args, **kwargs)

    return wrapper


def _auth_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


def _email_key() -> str:
    data = request.get_json(silent=True) if request.is_json else request.form
    email = data.get("email") if hasattr(data, "get") else None
    if isinstance(email, str) and email.strip():
        return "email:" + accounts.normalise_email(email)[:254]
    return "ip:" + (request.remote_addr or "unknown")


def auth_rate_limits(action: str):
    """Login: per IP and per e-mail; registration: per IP (SPEC section 12).

    Shared scopes, so the web form and the API draw on one budget. Only attempts count:
    showing the form (GET) does not.
    """

    def decorate(view):
        view = limiter.shared_limit(_auth_limit, scope=f"{action}-ip", methods=["POST"])(view)
        if action == "login":
            view = limiter.shared_limit(
                _auth_limit, scope="login-email", key_func=_email_key, methods=["POST"]
            )(view)
        return view

    return decorate


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths: no scheme, no host, no ``//`` or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


def init_security(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see this page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # A request that carries a bearer token is authenticated by that token alone.
        if bearer_token() is not None:
            return None
        try:
            user = db.session.get(User, int(user_id))
        except (TypeError, ValueError):
            return None
        return user if user is not None and user.is_active else None

    @login_manager.request_loader
    def load_user_from_request(_request) -> User | None:
        token = bearer_token()
        return accounts.user_for_token(token) if token else None

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            raise AppError("unauthorized", "Sign in or send a valid bearer token.")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def check_csrf():
        """CSRF on every unsafe request that a browser session could have sent.

        Bearer-token calls carry no ambient credentials, and API calls without a signed-in
        session have nothing to protect (they end in 401 or act on public data).
        """
        if request.method not in UNSAFE_METHODS or bearer_token() is not None:
            return
        if request.path.startswith("/api/") and "_user_id" not in session:
            return
        csrf.protect(apply_exemptions=True)

    @app.before_request
    def refuse_nul_characters():
        """No text we store may hold a NUL (PostgreSQL refuses it): a form field with one
        is a 400 naming the field, not a 500. (API bodies and queries: blueprints/api.)"""
        if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return
        fields = sorted({name for name, value in request.form.items(multi=True) if "\x00" in value})
        if fields:
            raise AppError(
                "validation_error",
                "The form holds a NUL character.",
                {name: ["Remove the NUL (\\x00) character."] for name in fields},
            )

    @app.before_request
    def require_json_bodies():
        """The API reads JSON only; any other body is refused rather than ignored."""
        if (
            request.path.startswith("/api/")
            and request.method in UNSAFE_METHODS
            and request.content_length
            and not request.is_json
        ):
            raise AppError("unsupported_media_type", "Send the body as application/json.")

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
