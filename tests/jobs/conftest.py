"""Helpers for the outbox and job tests: emails queued as a service would queue them, the
stored outbox rows, an SMTP server that can come and go or hold a message in DATA, and
``flask --app app worker`` as a real process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from extensions import db
from models import OutboxEmail
from services import outbox
from services.outbox import Email
from services.transactions import write_transaction
from tests.conftest import TEST_SECRET, SmtpSink

REPO = Path(__file__).resolve().parents[2]
# Every wait on another thread or process is bounded, so a stuck test fails instead.
WAIT_SECONDS = 30


def email(n: int = 1, **fields) -> Email:
    values = {
        "to": f"client{n}@example.com",
        "subject": f"Your session {n}",
        "text": f"See you soon ({n}).",
        "kind": "test",
    }
    return Email(**(values | fields))


def queue_emails(app, *emails: Email) -> list[int]:
    """Queue the emails in a transaction of their own, as a service does with its change;
    the send job runs (or is handed to RQ) after the commit."""
    with app.app_context(), write_transaction():
        return outbox.queue(list(emails or [email()]))


def rows(app) -> list[dict]:
    """The outbox as stored, oldest first."""
    with app.app_context():
        found = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id))
        return [
            {c.key: getattr(row, c.key) for c in OutboxEmail.__mapper__.column_attrs}
            for row in found
        ]


def row(app, outbox_id: int) -> dict:
    return next(r for r in rows(app) if r["id"] == outbox_id)


def received(sink, message_id: str) -> int:
    """How many accepted messages carry this Message-ID."""
    return len(sink.by_message_id().get(message_id, []))


class HoldingSink(SmtpSink):
    """An SMTP sink that, while ``hold`` is set, keeps each message in DATA without an
    answer until ``release`` (``in_data`` tells that a client got there). A message whose
    client goes away before the answer is not accepted: aiosmtpd cancels the handler."""

    def __init__(self):
        super().__init__()
        self.hold = False
        self.in_data = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.hold:
            self.in_data.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def smtp_server(port: int, sink: SmtpSink | None = None):
    """A sink listening on ``port`` for the duration of the block."""
    from aiosmtpd.controller import Controller

    sink = sink or SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def clean_redis(redis_url):
    """The worker's Redis database, empty before and after (queued jobs, the periodic
    chain a worker seeds, a killed worker's registrations)."""
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    yield redis_url
    connection.flushdb()
    connection.close()


def worker_env(app, **settings) -> dict:
    """The environment of a ``flask --app app worker`` on the test app's database."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MAIL_", "REDIS_", "DATABASE_", "SOCKETIO_"))
    }
    env |= {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": app.instance_path,
        "SECRET_KEY": TEST_SECRET,
        "APP_ENV": "development",
    }
    env |= {name: str(value) for name, value in settings.items() if value is not None}
    return env


def start_worker(env: dict, *args: str, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
