"""Who is asking (session cookie or bearer token), CSRF, rate limits and security headers."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user, user_loaded_from_cookie

from blueprints.bodies import check_request_input
from blueprints.errors import wants_json
from blueprints.paths import is_api_request
from domain.errors import AppError
from extensions import csrf, limiter, login_manager
from models import User
from services import accounts, web_sessions

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self' {checkout}",
        "base-uri 'self'",
        "object-src 'none'",
        "frame-ancestors {ancestors}",
    )
)


def content_security_policy() -> str:
    """The policy; forms may also lead to Stripe Checkout (the Pay button's redirect).

    No page may be framed, except what a view allows with ``allow_framing`` (the embed)."""
    ancestors = g.get("frame_ancestors") or ("'none'",)
    return CONTENT_SECURITY_POLICY.format(
        checkout=current_app.config["STRIPE_CHECKOUT_ORIGIN"], ancestors=" ".join(ancestors)
    )


def allow_framing(ancestors: list[str]) -> None:
    """Let this answer be framed by these sources (``'self'``, origins, or ``*``)."""
    g.frame_ancestors = tuple(ancestors)


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


def sign_in(user: User, *, remember: bool = False) -> None:
    """Start a web sign-in: a new revocable session whose secret the cookies carry."""
    secret = web_sessions.start(
        user,
        remember=remember,
        user_agent=request.user_agent.string,
        ip_address=request.remote_addr or "",
    )
    login_user(user, remember=remember, duration=web_sessions.lifetime(remember))
    # Flask-Login keeps what it stores under "_user_id" in the session and, with
    # "remember", in the remember cookie: the sign-in's secret, never the user's id.
    session["_user_id"] = secret


def sign_out() -> None:
    """End this web sign-in everywhere its cookies were copied, then forget it here."""
    session_id = g.pop("web_session_id", None)
    if session_id is not None:
        web_sessions.end(session_id)
    logout_user()


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths: no scheme, no host, no ``//`` or backslash tricks,
    and nothing a ``Location`` header cannot carry (control characters such as CR/LF)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if len(target) > 2000 or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


def init_security(app: Flask) -> None:
    """Who is asking, what they may send, and the headers of every answer."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see this page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_request)
    login_manager.unauthorized_handler(unauthorized)
    user_loaded_from_cookie.connect(rotate_remember_cookie, app)
    # In this order, before every view: nothing unstorable or malformed gets further, then
    # who is asking, then CSRF, then the API's JSON-only rule.
    for hook in (check_request_input, load_signed_in_user, check_csrf, require_json_bodies):
        app.before_request(hook)
    app.after_request(security_headers)


def load_user(secret: str) -> User | None:
    """The session (or remember) cookie's secret → its live sign-in's user."""
    # A request that carries a bearer token is authenticated by that token alone.
    if bearer_token() is not None:
        return None
    sign_in = web_sessions.resolve(secret)
    if sign_in is None:
        # Ended or expired: forget it, and have the remember cookie deleted too.
        session.pop("_user_id", None)
        if current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies:
            session["_remember"] = "clear"
        return None
    g.web_session_id = sign_in.session_id
    g.web_session_current = sign_in.current
    return sign_in.user


def rotate_remember_cookie(_app, user: User) -> None:
    """Restoring a sign-in from the remember cookie gives it a new secret: a copy of the
    old cookie stops working (after a short grace) once the owner has used it. A replaced
    secret used within its grace is let in as it is, never rotated again (that would hand
    whoever holds it the new one)."""
    if not g.web_session_current:
        return
    secret = web_sessions.rotate(g.web_session_id)
    session["_user_id"] = secret
    session["_remember"] = "set"
    session["_remember_seconds"] = web_sessions.REMEMBER_LIFETIME.total_seconds()


def load_user_from_request(_request) -> User | None:
    token = bearer_token()
    return accounts.user_for_token(token) if token else None


def unauthorized():
    if wants_json():
        raise AppError("unauthorized", "Sign in or send a valid bearer token.")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def load_signed_in_user() -> None:
    """Who is asking, decided before any view opens a transaction (resolving a sign-in
    may record its use)."""
    if request.endpoint != "static":
        current_user._get_current_object()


def check_csrf() -> None:
    """CSRF on every unsafe request that a browser session could have sent.

    Bearer-token calls carry no ambient credentials, and API calls without a signed-in
    session have nothing to protect (they end in 401 or act on public data).
    """
    if request.method not in UNSAFE_METHODS or bearer_token() is not None:
        return
    if is_api_request() and "_user_id" not in session:
        return
    csrf.protect(apply_exemptions=True)


def require_json_bodies() -> None:
    """The API reads JSON only; any other body is refused rather than ignored."""
    if (
        is_api_request()
        and request.method in UNSAFE_METHODS
        and request.content_length
        and not request.is_json
    ):
        raise AppError("unsupported_media_type", "Send the body as application/json.")


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if not g.get("frame_ancestors"):  # the CSP's frame-ancestors decides for the embed
        response.headers.setdefault("X-Frame-Options", "DENY")
    # API answers and every page a signed-in user sees are theirs alone: no cache (a
    # shared proxy, the browser's back button after logout) may keep a copy.
    personal = request.endpoint != "static" and current_user.is_authenticated
    if is_api_request() or personal:
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response
