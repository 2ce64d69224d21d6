"""Settings from the environment, each with an embedded default (SPEC section 3 and 13).

Only this module reads ``os.environ``. Unset means the embedded default: SQLite in the
instance folder, jobs in-process, email to ``instance/outbox/``, Stripe off and a secret
generated into the instance folder.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

EXAMPLE_SECRET_KEY = "change-me"
MIN_PRODUCTION_SECRET_LENGTH = 32


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or default


def _int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def normalise_database_url(url: str) -> str:
    """Accept Heroku-style and bare PostgreSQL URLs; we talk to PostgreSQL via psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _instance_secret(instance_path: Path) -> str:
    """A random secret kept in the instance folder, so a first run needs no setup."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def load_config() -> dict:
    """Read the environment into a Flask config mapping."""
    instance_path = Path(_env("INSTANCE_PATH", "instance")).resolve()
    app_env = _env("APP_ENV", "development")
    secret_key = _env("SECRET_KEY")
    if secret_key == EXAMPLE_SECRET_KEY:
        secret_key = None  # the placeholder of .env.example is never used as a key
    redis_url = _env("REDIS_URL")
    database_url = _env("DATABASE_URL")
    return {
        "APP_ENV": app_env,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": secret_key,
        "BASE_URL": _env("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url) if database_url else None,
        "REDIS_URL": redis_url,
        "AUTH_RATE_LIMIT": _env("AUTH_RATE_LIMIT", "10/minute"),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "API_TOKEN_TTL_HOURS": _int("API_TOKEN_TTL_HOURS", 24 * 30),
        "PASSWORD_HASH_METHOD": _env("PASSWORD_HASH_METHOD", "scrypt"),
        "STRIPE_SECRET_KEY": _env("STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": _env("STRIPE_WEBHOOK_SECRET"),
        "STRIPE_API_BASE": _env("STRIPE_API_BASE"),
        # Where Checkout pages live (the CSP lets the Pay form lead there).
        "STRIPE_CHECKOUT_ORIGIN": _env("STRIPE_CHECKOUT_ORIGIN", "https://checkout.stripe.com"),
        "STRIPE_TIMEOUT_SECONDS": _int("STRIPE_TIMEOUT_SECONDS", 10),
        # How long a paid firm booking holds its time for the payment (Stripe: >= 30).
        "CHECKOUT_HOLD_MINUTES": _int("CHECKOUT_HOLD_MINUTES", 30),
        "MAIL_SERVER": _env("MAIL_SERVER"),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _env("MAIL_USE_TLS", "false").lower() in {"1", "true", "yes"},
        "MAIL_DEFAULT_SENDER": _env("MAIL_DEFAULT_SENDER", "Coachbook <no-reply@localhost>"),
        "PLATFORM_FEE_PERCENT": _env("PLATFORM_FEE_PERCENT", "5"),
        "PLATFORM_FEE_FIXED": _int("PLATFORM_FEE_FIXED", 0),
        "PLATFORM_FEE_PAYER": _env("PLATFORM_FEE_PAYER", "client"),
        "SOCKETIO_ASYNC_MODE": _env("SOCKETIO_ASYNC_MODE", "threading"),
        # The Redis pub/sub channel of the Socket.IO message queue: channels are shared by
        # every database of a Redis server, so two sites (or test runs) need two names.
        "SOCKETIO_CHANNEL": _env("SOCKETIO_CHANNEL", "flask-socketio"),
        # Without Redis, each serving process runs the periodic jobs on a thread.
        "PERIODIC_JOBS_IN_PROCESS": True,
        "PERIODIC_INTERVAL_SECONDS": _int("PERIODIC_INTERVAL_SECONDS", 60),
        # An email still unsent after this many attempts is marked failed (and logged).
        "MAIL_MAX_ATTEMPTS": _int("MAIL_MAX_ATTEMPTS", 8),
        "MAIL_TIMEOUT_SECONDS": _int("MAIL_TIMEOUT_SECONDS", 10),
        # Logs: "text" lines for people, "json" lines for a log collector.
        "COOKIE_SECURE": _env("COOKIE_SECURE", "true").lower() in {"1", "true", "yes"},
        "LOG_FORMAT": _env("LOG_FORMAT", "json" if app_env == "production" else "text"),
        # How many reverse proxies stand in front (nginx: 1). Their X-Forwarded-For/-Proto/
        # -Host are believed only then: without a proxy anyone could send them.
        "TRUSTED_PROXY_COUNT": _int("TRUSTED_PROXY_COUNT", 0),
        # PostgreSQL connections per app process (each worker process has its own pool).
        "DATABASE_POOL_SIZE": _int("DATABASE_POOL_SIZE", 10),
        "DATABASE_MAX_OVERFLOW": _int("DATABASE_MAX_OVERFLOW", 10),
        "DATABASE_POOL_TIMEOUT": _int("DATABASE_POOL_TIMEOUT", 10),
    }


def finalise_config(config: dict) -> None:
    """Fill derived settings once overrides are applied; refuse unsafe production setups."""
    instance_path = Path(config["INSTANCE_PATH"])
    if config.get("APP_ENV") == "production":
        secret = config.get("SECRET_KEY") or ""
        if secret == EXAMPLE_SECRET_KEY or len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
            raise RuntimeError(
                "Refusing to start in production without a SECRET_KEY of at least "
                f"{MIN_PRODUCTION_SECRET_LENGTH} characters (set SECRET_KEY; "
                "python -c 'import secrets; print(secrets.token_hex(32))' makes one)."
            )
        # Cookies only over HTTPS; COOKIE_SECURE=false for a stack tried on plain HTTP.
        secure = config.get("COOKIE_SECURE", True)
        config["SESSION_COOKIE_SECURE"] = secure
        config["REMEMBER_COOKIE_SECURE"] = secure
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(instance_path)
    config.setdefault("OUTBOX_PATH", str(instance_path / "outbox"))
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance_path / 'coachbook.sqlite3'}"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    config["REMEMBER_COOKIE_NAME"] = "remember_token"
    # The remember cookie holds a sign-in's secret (services/web_sessions.py): it lasts as
    # long as that sign-in may go unused, not Flask-Login's default of a year.
    config["REMEMBER_COOKIE_DURATION"] = timedelta(days=30)
    # CSRF is checked in a before_request hook that skips bearer-token API calls.
    config["WTF_CSRF_CHECK_DEFAULT"] = False
    # A calendar tab stays open for hours: bind the token to the session, not the clock.
    config["WTF_CSRF_TIME_LIMIT"] = None
    config["SQLALCHEMY_TRACK_MODIFICATIONS"] = False
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        config.setdefault(
            "SQLALCHEMY_ENGINE_OPTIONS",
            {
                "pool_size": config.get("DATABASE_POOL_SIZE", 10),
                "max_overflow": config.get("DATABASE_MAX_OVERFLOW", 10),
                "pool_timeout": config.get("DATABASE_POOL_TIMEOUT", 10),
                "pool_pre_ping": True,  # a restarted server costs no request an error
                "pool_recycle": 1800,
            },
        )
    if config.get("LOG_FORMAT") not in (None, "text", "json"):
        raise RuntimeError("LOG_FORMAT must be text or json.")
    config["RATELIMIT_HEADERS_ENABLED"] = True
    # A Redis outage must not lock everybody out: fall back to per-process counting.
    config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    # No request body we accept comes near this; larger ones get 413 with the error body.
    config.setdefault("MAX_CONTENT_LENGTH", 1024 * 1024)
    config["RATELIMIT_STRATEGY"] = "fixed-window"
    config["API_TITLE"] = "Coachbook API"
    config["API_VERSION"] = "1"
    config["OPENAPI_VERSION"] = "3.1.0"
    config["OPENAPI_URL_PREFIX"] = "/api"
    config["OPENAPI_JSON_PATH"] = "openapi.json"
