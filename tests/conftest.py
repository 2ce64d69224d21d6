"""Fixtures: the app on SQLite and on PostgreSQL, a test client, Redis, factories.

Every test that uses ``app`` runs twice: once on a migrated SQLite file and once on a
migrated PostgreSQL database of its own. Without PostgreSQL or Redis those runs are
skipped locally with a hint; under ``CI=true`` their absence fails the run.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from sqlalchemy import make_url, text
from werkzeug.serving import make_server

from app import create_app
from extensions import db, limiter

IN_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
TEST_SECRET = "test-secret-key-" + "x" * 32


def _unavailable(what: str, hint: str, error: Exception) -> None:
    message = f"{what} is not reachable ({error}). {hint}"
    if IN_CI:
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


def pg_server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL


def _libpq(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _migrate(url: str, tmp_path_factory) -> None:
    """Bring an empty database to the head revision with the project's migrations."""
    from flask_migrate import upgrade

    app = create_app(_base_config(url, tmp_path_factory.mktemp("migrate")))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _base_config(url: str, instance_path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": TEST_SECRET,
        "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "AUTH_RATE_LIMIT": "1000/minute",
        # A cheap hash keeps hundreds of sign-ins fast; production uses scrypt.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
        # Tests run the periodic jobs themselves, with a clock they control.
        "PERIODIC_JOBS_IN_PROCESS": False,
    }


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """A reachable PostgreSQL server URL (the maintenance connection)."""
    url = make_url(pg_server_url())
    try:
        with psycopg.connect(_libpq(url), connect_timeout=3):
            pass
    except psycopg.Error as error:
        _unavailable(
            "PostgreSQL",
            "Set TEST_DATABASE_URL=postgresql+psycopg://user@host:5432/db or start the local "
            "server (service postgresql start).",
            error,
        )
    return str(url.render_as_string(hide_password=False))


def create_pg_database(server_url: str, prefix: str = "coachbook_test") -> str:
    """A fresh, empty database on the server; returns its SQLAlchemy URL."""
    url = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(database_url: str) -> None:
    url = make_url(database_url)
    maintenance = url.set(database=make_url(pg_server_url()).database)
    with psycopg.connect(_libpq(maintenance), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request, tmp_path_factory):
    """A migrated database for the whole session: SQLite file or PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "test.sqlite3"
        url = f"sqlite:///{path}"
        _migrate(url, tmp_path_factory)
        yield url
        return
    server_url = request.getfixturevalue("postgres_server_url")
    with migrated_pg_database(server_url, tmp_path_factory) as url:
        yield url


@contextmanager
def migrated_pg_database(server_url: str, tmp_path_factory, prefix: str = "coachbook_test"):
    """A fresh PostgreSQL database, migrated, dropped after the block."""
    url = create_pg_database(server_url, prefix)
    try:
        _migrate(url, tmp_path_factory)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def app_config() -> dict:
    """Per-test overrides; a test module or test overrides this fixture to change config."""
    return {}


@pytest.fixture
def app(database_url, app_config, tmp_path):
    """The app on the session's database; tables are emptied after each test."""
    application = create_app({**_base_config(database_url, tmp_path), **app_config})
    yield application
    with application.app_context():
        _empty_tables()
        db.engine.dispose()
    limiter.reset()


def _empty_tables() -> None:
    db.session.remove()
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        with db.engine.begin() as conn:
            for table in reversed(tables):
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    from tests.helpers import ApiClient

    return ApiClient(client)


def _worker_redis_url(url: str, worker: str) -> str:
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{max(base - int(worker[2:] or 0), 0)}"))


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A reachable Redis (REDIS_URL, else 127.0.0.1:6379 db 15), flushed before use. Under
    pytest-xdist each worker takes a database of its own below that one (gw1: 14, ...)."""
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    url = _worker_redis_url(url, os.environ.get("PYTEST_XDIST_WORKER", "gw0"))
    try:
        connection = redis.Redis.from_url(url, socket_connect_timeout=2)
        connection.ping()
    except redis.RedisError as error:
        _unavailable("Redis", "Set REDIS_URL or start redis-server on 127.0.0.1:6379.", error)
    connection.flushdb()
    return url


@pytest.fixture
def served(app):
    """(host, port) of the test app served by Werkzeug's threaded server; one thread per
    request, as in production, each with its own database session."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield ("127.0.0.1", server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives: the edge of
    the machine, where a recipient's mail server would be."""

    def __init__(self):
        import email
        from email import policy

        self.messages: list = []
        self.refuse_with: str | None = None  # e.g. "451 try again later"
        self._email, self._policy = email, policy
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        message = self._email.message_from_bytes(
            envelope.original_content, policy=self._policy.default
        )
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def by_message_id(self) -> dict:
        ids: dict = {}
        for message in self.messages:
            ids.setdefault(message["Message-ID"], []).append(message)
        return ids


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_sink():
    """(sink, port): an SMTP server for the test; point ``MAIL_SERVER``/``MAIL_PORT`` at it."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
