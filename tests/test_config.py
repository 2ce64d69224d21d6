"""Settings from the environment: the production secret check, the generated secret, URLs."""

from __future__ import annotations

import stat

import pytest

from app import create_app
from config import finalise_config, load_config, normalise_database_url

LONG_SECRET = "s" * 48
CONFIG_VARIABLES = (
    "API_TOKEN_TTL_HOURS",
    "APP_ENV",
    "AUTH_RATE_LIMIT",
    "BASE_URL",
    "DATABASE_URL",
    "INSTANCE_PATH",
    "MAIL_DEFAULT_SENDER",
    "MAIL_PASSWORD",
    "MAIL_PORT",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_USE_TLS",
    "PASSWORD_HASH_METHOD",
    "PLATFORM_FEE_FIXED",
    "PLATFORM_FEE_PAYER",
    "PLATFORM_FEE_PERCENT",
    "REDIS_URL",
    "SECRET_KEY",
    "SOCKETIO_ASYNC_MODE",
    "STRIPE_API_BASE",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A clean environment whose instance folder and SQLite file live in tmp_path."""
    for name in CONFIG_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "instance"
    monkeypatch.setenv("INSTANCE_PATH", str(folder))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'config.sqlite3'}")
    return folder


# --- production refuses to start without a real secret ------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"SECRET_KEY": None},
        {"SECRET_KEY": ""},
        {"SECRET_KEY": "change-me"},
        {"SECRET_KEY": "change-me", "SECRET_KEY_IS_DEFAULT": False},
        {"SECRET_KEY": "short-secret", "SECRET_KEY_IS_DEFAULT": False},
        {"SECRET_KEY": "s" * 31, "SECRET_KEY_IS_DEFAULT": False},
    ],
)
def test_production_refuses_a_missing_example_or_short_secret(instance, overrides):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"APP_ENV": "production", **overrides})

    assert not (instance / "secret_key").exists()


@pytest.mark.parametrize("secret", [None, "change-me", "   ", "too-short"])
def test_production_refuses_a_bad_secret_from_the_environment(instance, monkeypatch, secret):
    monkeypatch.setenv("APP_ENV", "production")
    if secret is not None:
        monkeypatch.setenv("SECRET_KEY", secret)

    with pytest.raises(RuntimeError, match="at least 32 characters"):
        create_app()

    assert not (instance / "secret_key").exists()


def test_production_with_a_long_secret_boots_with_secure_cookies(instance, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", LONG_SECRET)

    app = create_app()

    assert app.secret_key == LONG_SECRET
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert not (instance / "secret_key").exists()


def test_production_overrides_with_a_long_secret_boot(instance):
    app = create_app({"APP_ENV": "production", "SECRET_KEY": LONG_SECRET})

    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_a_production_session_cookie_is_secure_http_only_and_lax(instance, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", LONG_SECRET)
    client = create_app().test_client()

    response = client.get("/login")

    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_development_cookies_are_not_marked_secure(instance):
    app = create_app()

    assert not app.config.get("SESSION_COOKIE_SECURE")
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


# --- the generated development secret -----------------------------------------------


def test_development_without_a_secret_generates_one_into_the_instance_folder(instance):
    app = create_app()

    secret_file = instance / "secret_key"
    assert secret_file.exists()
    assert app.secret_key == secret_file.read_text().strip()
    assert len(app.secret_key) >= 32
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600


def test_the_generated_secret_is_reused_so_sessions_survive_a_restart(instance):
    first = create_app()
    signed = first.session_interface.get_signing_serializer(first).dumps({"_user_id": "1"})

    second = create_app()

    assert second.secret_key == first.secret_key
    loaded = second.session_interface.get_signing_serializer(second).loads(signed)
    assert loaded == {"_user_id": "1"}


def test_the_example_secret_in_development_is_replaced_by_a_generated_one(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "change-me")

    app = create_app()

    assert app.secret_key != "change-me"
    assert app.secret_key == (instance / "secret_key").read_text().strip()


def test_a_secret_from_the_environment_writes_no_file(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", LONG_SECRET)

    app = create_app()

    assert app.secret_key == LONG_SECRET
    assert not (instance / "secret_key").exists()


# --- other settings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/app", "postgresql+psycopg://u:p@db.example:5432/app"),
        ("postgresql://u@localhost/app", "postgresql+psycopg://u@localhost/app"),
        ("postgresql+psycopg://u@localhost/app", "postgresql+psycopg://u@localhost/app"),
        ("sqlite:////tmp/app.sqlite3", "sqlite:////tmp/app.sqlite3"),
    ],
)
def test_database_urls_are_normalised_for_psycopg(given, expected):
    assert normalise_database_url(given) == expected


def test_a_heroku_style_database_url_from_the_environment_is_normalised(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/app")

    config = load_config()

    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example:5432/app"


def test_unset_variables_take_the_embedded_defaults(tmp_path, monkeypatch):
    for name in CONFIG_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)

    config = load_config()
    finalise_config(config)

    assert config["INSTANCE_PATH"] == str(tmp_path / "instance")
    assert config["SQLALCHEMY_DATABASE_URI"].startswith(f"sqlite:///{tmp_path / 'instance'}")
    assert config["AUTH_RATE_LIMIT"] == "10/minute"
    assert config["REDIS_URL"] is None
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["APP_ENV"] == "development"


def test_settings_are_read_from_the_environment(instance, monkeypatch):
    monkeypatch.setenv("AUTH_RATE_LIMIT", "5/minute")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/2")
    monkeypatch.setenv("BASE_URL", "https://coach.example.com/")
    monkeypatch.setenv("API_TOKEN_TTL_HOURS", "2")

    config = load_config()

    assert config["AUTH_RATE_LIMIT"] == "5/minute"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache.example:6379/2"
    assert config["BASE_URL"] == "https://coach.example.com"
    assert config["API_TOKEN_TTL_HOURS"] == 2
