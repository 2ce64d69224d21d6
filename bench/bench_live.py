"""Live updates across processes (issue 12, "Performance"): from a booking's commit in
this process to its event at a Socket.IO client connected to another app process
(gunicorn, one worker with threads, as in production), through Redis as the message
queue. Goal: p95 < 100 ms.

This process books through ``POST /api/bookings`` (Flask test client) with Redis as its
Socket.IO message queue; the client, connected over WebSocket to the other process with
the booking client's token and following the coach's calendar, receives
``booking_update`` (its user room) and ``availability_update`` (the calendar room). The
clock starts when the booking's transaction has committed (a session ``after_commit``
listener ahead of the one that emits) and stops when the client's thread has the event;
both in this process. The session type sends no e-mail, so no job runs in between.
Skipped with a note when Redis does not answer (``REDIS_URL``, ``TEST_REDIS_URL``, else
127.0.0.1:6379/15).
"""

from __future__ import annotations

import os
import queue
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import redis
import socketio
from sqlalchemy import event

from app import create_app
from bench.bench_bookings import ZONE, _booking, _client_token, _free_starts, _seed
from bench.databases import on_each_database
from bench.harness import Result
from extensions import db
from models import SessionType
from services.effects import _KEY as PENDING_EFFECTS

EVENTS, WARMUP = 200, 20
GOAL_P95_MS = 100
WAIT = 10  # seconds an event may take before the benchmark gives up
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


def run() -> list[Result]:
    url = os.environ.get("REDIS_URL") or os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        print(f"Live-update benchmarks skipped: Redis at {url} does not answer ({error})")
        return []
    return on_each_database(lambda app, label: _run_on(app, label, url))


def _run_on(seeded_app, label: str, redis_url: str) -> list[Result]:
    database_url = seeded_app.config["SQLALCHEMY_DATABASE_URI"]
    with seeded_app.app_context():
        first_day = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=2)
        coach_id, type_id = _seed(first_day)
        db.session.get(SessionType, type_id).email_notifications = False
        db.session.commit()
        token = _client_token(0)
    channel = f"coachbook-bench-{uuid.uuid4().hex[:8]}"
    with (
        tempfile.TemporaryDirectory() as tmp,
        _other_process(
            database_url, redis_url, channel, seeded_app.config["SECRET_KEY"], tmp
        ) as other,
    ):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "INSTANCE_PATH": tmp,
                "SECRET_KEY": seeded_app.config["SECRET_KEY"],
                "REDIS_URL": None,  # jobs in-process: none runs (no e-mail is sent)
                "SOCKETIO_MESSAGE_QUEUE": redis_url,
                "SOCKETIO_CHANNEL": channel,
                "RATELIMIT_ENABLED": False,
                "PERIODIC_JOBS_IN_PROCESS": False,
            }
        )
        try:
            return _measure(app, label, other, coach_id, type_id, token, first_day)
        finally:
            with app.app_context():
                db.engine.dispose()


class _Clock:
    """When the last transaction that had effects to run committed."""

    def __init__(self):
        self.committed_at = 0.0

    def __call__(self, session) -> None:
        if session.info.get(PENDING_EFFECTS):
            self.committed_at = time.perf_counter()


def _measure(app, label, other, coach_id, type_id, token, first_day) -> list[Result]:
    received: queue.Queue = queue.Queue()
    listener = socketio.Client(reconnection=False)
    for name in ("booking_update", "availability_update"):
        listener.on(name, lambda data, name=name: received.put((name, data, time.perf_counter())))
    listener.connect(other, transports=["websocket"], auth={"token": token}, wait_timeout=WAIT)
    joined = listener.call("join_calendar", {"coach_id": coach_id}, timeout=WAIT)
    assert joined == {"ok": True}, joined

    clock = _Clock()
    event.listen(db.session, "after_commit", clock, insert=True)  # before the emits
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    latencies: dict[str, list[float]] = {"booking_update": [], "availability_update": []}
    try:
        for n, start in enumerate(_free_starts(first_day, WARMUP + EVENTS)):
            response = client.post(
                "/api/bookings", json=_booking(coach_id, type_id, start), headers=headers
            )
            assert response.status_code == 201, response.get_data(as_text=True)
            committed = clock.committed_at
            for name, arrived in _both_events(received):
                if n >= WARMUP:
                    latencies[name].append((arrived - committed) * 1000)
    finally:
        event.remove(db.session, "after_commit", clock)
        listener.disconnect()
    return [_result(label, name, samples) for name, samples in latencies.items()]


def _both_events(received: queue.Queue) -> list[tuple[str, float]]:
    got: dict[str, float] = {}
    while len(got) < 2:
        name, _data, arrived = received.get(timeout=WAIT)
        got[name] = arrived
    return list(got.items())


def _result(label: str, name: str, samples: list[float]) -> Result:
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    verdict = "meets" if p95 < GOAL_P95_MS else "MISSES"
    return Result(
        f"live {label}: commit → {name} at a client of another process",
        statistics.median(samples),
        samples[int(len(samples) * 0.9) - 1],
        len(samples),
        f"p95 {p95:.1f} ms, max {samples[-1]:.1f} ms; {verdict} the goal p95 < {GOAL_P95_MS}"
        " ms (Redis message queue, gunicorn gthread)",
    )


@contextmanager
def _other_process(database_url, redis_url, channel, secret, tmp) -> Iterator[str]:
    """Another app process (gunicorn) on the same database and Redis; its base URL."""
    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SOCKETIO_CHANNEL=channel,
        SECRET_KEY=secret,
        INSTANCE_PATH=str(Path(tmp) / "other"),
    )
    command = [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "20"]
    command += ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "1"]
    command += ["--log-level", "warning", "app:create_app()"]
    base = f"http://127.0.0.1:{port}"
    with served_by(command, env, base):
        yield base


@contextmanager
def served_by(command: list[str], env: dict, base: str) -> Iterator[None]:
    """A server process from ``command``, up (``/healthz`` answers at ``base``) until the
    block ends; then stopped (killed if it does not stop within 10 s)."""
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_until_up(base, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the other app process exited ({process.returncode})")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("the other app process did not start") from None
        time.sleep(0.1)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
