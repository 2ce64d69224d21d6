"""Live-update fixtures: python-socketio clients connected to the served app over
WebSocket, and a second app process (gunicorn) or an RQ worker sharing the test's
database and Redis.

A ``Listener`` keeps every event its connection receives, in order. Events from one
process reach one connection in the order they were emitted, so "nothing else arrived"
is checked without sleeping: a later change whose event is awaited, and everything that
came before it is looked at (``Listener.until``).
"""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
import socketio
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import TEST_SECRET, free_port

ROOT = Path(__file__).resolve().parents[2]
WAIT = 5  # seconds an awaited event may take before the test fails (not a speed check)


class Listener:
    """A Socket.IO client (WebSocket only, as the browser's) and what it received."""

    def __init__(self, base: str, *, auth=None, headers=None, query: str = ""):
        self.events: queue.Queue = queue.Queue()
        self.seen: list[tuple[str, object]] = []
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", lambda event, *data: self.events.put((event, *data)))
        self.client.connect(
            base + query,
            transports=["websocket"],
            auth=auth,
            headers=headers or {},
            wait_timeout=WAIT,
        )

    def join(self, coach_id) -> dict:
        """``join_calendar`` with this payload; the acknowledgement."""
        payload = coach_id if isinstance(coach_id, dict) else {"coach_id": coach_id}
        return self.client.call("join_calendar", payload, timeout=WAIT)

    def next(self) -> tuple[str, object]:
        try:
            item = self.events.get(timeout=WAIT)
        except queue.Empty:
            pytest.fail(f"no event within {WAIT} s; received before: {self.seen}")
        self.seen.append(item)
        return item

    def until(self, event: str, match=lambda data: True) -> list[tuple[str, object]]:
        """Every event received up to and including the first ``event`` whose data
        matches."""
        received = []
        while True:
            item = self.next()
            received.append(item)
            if item[0] == event and match(item[1]):
                return received

    def wait_for(self, event: str, match=lambda data: True):
        """The data of the first ``event`` that matches (others before it are skipped)."""
        return self.until(event, match)[-1][1]

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


class OneRequestPerConnection(WSGIRequestHandler):
    """HTTP/1.0: the connection closes after each request. Under HTTP/1.1 Werkzeug keeps a
    finished WebSocket's connection open and reads the client's closing frame as the next
    request, so every client waits its 3 s close timeout (gunicorn closes it)."""

    protocol_version = "HTTP/1.0"


@pytest.fixture
def served(app):
    """(host, port) of the test app on Werkzeug's threaded server, as tests/conftest.py
    serves it, with connections that close after their request."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=OneRequestPerConnection
    )
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


@pytest.fixture
def base_url(served) -> str:
    host, port = served
    return f"http://{host}:{port}"


@pytest.fixture
def listen(base_url):
    """``listen(person)`` connects with that person's bearer token; ``listen(auth=…)``,
    ``listen(headers=…)``, ``listen(query=…)`` as given. Closed after the test."""
    opened: list[Listener] = []

    def connect(person=None, *, base: str | None = None, **kwargs) -> Listener:
        if person is not None:
            kwargs.setdefault("auth", {"token": person.token})
        listener = Listener(base or base_url, **kwargs)
        opened.append(listener)
        return listener

    yield connect
    for listener in opened:
        listener.close()


@pytest.fixture(scope="session", autouse=True)
def quiet_leftover_listeners():
    """Each app built with a message queue leaves its Redis listener thread running
    (python-socketio offers no way to stop it; it idles on the test's own channel). When
    the test process exits, their connections close and they would log retries."""
    yield
    logging.getLogger("socketio.server").disabled = True


@pytest.fixture
def channel() -> str:
    """A Socket.IO channel of the test's own: Redis pub/sub channels are shared by every
    database of the server (and so by the other pytest-xdist workers)."""
    return f"coachbook-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_config(redis_url, channel) -> dict:
    """The served app with Redis as its Socket.IO message queue (and its job queue)."""
    return {"REDIS_URL": redis_url, "SOCKETIO_CHANNEL": channel}


def process_env(database_url: str, redis_url: str, channel: str, instance: Path) -> dict:
    """The environment of another app process on the test's database and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SOCKETIO_CHANNEL=channel,
        SECRET_KEY=TEST_SECRET,
        INSTANCE_PATH=str(instance),
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.fixture
def second_process(app, database_url, redis_url, channel, tmp_path):
    """Base URL of another app process (gunicorn, one worker with threads, as in
    production) on the same database and Redis; stopped after the test."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "20"]
    command += ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "1", "--log-level", "warning"]
    command.append("app:create_app()")
    env = process_env(database_url, redis_url, channel, tmp_path / "second")
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(base: str, process: subprocess.Popen, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the second app process exited with {process.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    pytest.fail(f"the second app process did not answer within {limit} s")
