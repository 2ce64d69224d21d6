"""What the outbox and live events cost a booking (issue 12, "Performance"): ``POST
/api/bookings`` through the Flask test client (in-process), on distinct free slots,
**with** the outbox and event emission as they ship and **without** them. Goal: with
them, no more than 10 % slower.

Two figures per variant: the **latency** of a booking made as a user makes it, the
process idle before it (the median of these is the figure the goal is about), and
**back to back**, bookings per second with no pause, the effects' work included (with
Redis it runs on a background thread of the process, ``services.effects.Dispatcher``,
and still takes its share of the interpreter).

"Without" switches off, for this benchmark only, the e-mails (composed and written to
the outbox, and their send job handed over) and the Socket.IO events (queued and
emitted after the commit); the booking, its history and its in-app notifications are
written in both. The two variants alternate in blocks, so drift in the machine falls
on both alike.

- **production** (``REDIS_URL`` set): the send job goes to RQ on real Redis (no worker
  runs; the queue is emptied afterwards) and the events are published through Redis;
  this is the row the goal is about.
- **one process** (no ``REDIS_URL``, the newcomer's ``make run``): the send job runs in
  the request right after the commit and writes the ``.eml`` files, so the request
  pays for the delivery as well; reported, not held to the goal.

**Over HTTP** (what a user feels): the same comparison against two gunicorn processes
(one worker, threads, as in production; ``served_app``), one with the effects and one
without, on the same database and Redis; paced requests over a kept-alive connection,
the two servers taking turns in blocks. Production mode only.

The production rows are skipped with a note when Redis does not answer.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import redis
from rq import Queue

import jobs
from app import create_app
from bench.bench_bookings import ZONE, _booking, _client_token, _free_starts, _seed
from bench.bench_live import _free_port, served_by
from bench.databases import on_each_database
from bench.harness import Result
from extensions import db
from services import effects, emails, live

BLOCK, BLOCKS, WARMUP = 40, 6, 30  # per variant: BLOCK x BLOCKS bookings, twice
PAUSE = 0.002  # seconds idle before a paced booking
HTTP_PAUSE = 0.005  # the same over HTTP (the server's effects are done by then)
GOAL_OVERHEAD = 0.10
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
LIVE_EVENTS = ("booking_update", "payment_update", "availability_update", "notification")


def run() -> list[Result]:
    url = os.environ.get("REDIS_URL") or os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        print(f"Booking-effects production benchmarks skipped: Redis at {url} ({error})")
        url = None
    return on_each_database(lambda app, label: _run_on(app, label, url))


def _run_on(seeded_app, label: str, redis_url: str | None) -> list[Result]:
    with seeded_app.app_context():
        first_day = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=2)
        coach_id, type_id = _seed(first_day)
        token = _client_token(0)
    starts = iter(_free_starts(first_day, 3 * (2 * WARMUP + 4 * BLOCK * BLOCKS)))
    results = []
    modes = [("one process", None)]
    if redis_url:
        modes.insert(0, ("production, RQ + Redis", redis_url))
    for mode, url in modes:
        with _app(seeded_app, url) as app:
            results += _compare(app, f"{mode}, {label}", coach_id, type_id, token, starts)
    if redis_url:
        results += _over_http(seeded_app, label, redis_url, coach_id, type_id, token, starts)
    return results


def served_app(variant: str):
    """The app gunicorn serves for the HTTP rows (configured from the environment);
    ``variant`` "without" switches the effects off in that process."""
    app = create_app({"RATELIMIT_ENABLED": False, "PERIODIC_JOBS_IN_PROCESS": False})
    if variant == "without":
        _without_effects().__enter__()  # for the life of this benchmark process
    return app


def _over_http(seeded_app, label, redis_url, coach_id, type_id, token, starts) -> list[Result]:
    database_url = seeded_app.config["SQLALCHEMY_DATABASE_URI"]
    secret = seeded_app.config["SECRET_KEY"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latency: dict[str, list[float]] = {"with": [], "without": []}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        connections = {}
        for variant in latency:
            port = stack.enter_context(_served(variant, database_url, redis_url, secret, tmp))
            connections[variant] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            stack.callback(connections[variant].close)

        def book(variant: str) -> float:
            body = json.dumps(_booking(coach_id, type_id, next(starts)))
            connection = connections[variant]
            time.sleep(HTTP_PAUSE)
            began = time.perf_counter()
            connection.request("POST", "/api/bookings", body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            elapsed = (time.perf_counter() - began) * 1000
            assert response.status == 201, payload
            return elapsed

        for variant in latency:
            for _ in range(WARMUP):
                book(variant)
        for _ in range(BLOCKS):
            for variant in latency:
                latency[variant] += [book(variant) for _ in range(BLOCK)]
    Queue(jobs.QUEUE, connection=jobs.redis_connection(redis_url)).empty()  # no worker ran
    with_ms, without_ms = (statistics.median(latency[k]) for k in ("with", "without"))
    overhead = with_ms / without_ms - 1
    verdict = "meets" if overhead <= GOAL_OVERHEAD else "MISSES"
    where = f"over HTTP, gunicorn + RQ + Redis, {label}"
    return [
        _result(
            f"POST bookings with outbox + events, {where}",
            latency["with"],
            f"{overhead:+.1%} against without: {verdict} the goal of <= +{GOAL_OVERHEAD:.0%}",
        ),
        _result(
            f"POST bookings without outbox + events, {where}",
            latency["without"],
            "e-mails and events switched off in that server",
        ),
    ]


@contextmanager
def _served(variant: str, database_url: str, redis_url: str, secret: str, tmp: str):
    """A gunicorn process serving ``served_app(variant)``; its port."""
    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SOCKETIO_CHANNEL=f"coachbook-bench-{uuid.uuid4().hex[:8]}",
        SECRET_KEY=secret,
        INSTANCE_PATH=str(Path(tmp) / variant),
    )
    command = [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "20"]
    command += ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "1", "--log-level", "warning"]
    command += [f"bench.bench_booking_effects:served_app('{variant}')"]
    with served_by(command, env, f"http://127.0.0.1:{port}"):
        yield port


@contextmanager
def _app(seeded_app, redis_url: str | None):
    channel = f"coachbook-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": seeded_app.config["SQLALCHEMY_DATABASE_URI"],
                "INSTANCE_PATH": tmp,
                "SECRET_KEY": seeded_app.config["SECRET_KEY"],
                "REDIS_URL": redis_url,
                "SOCKETIO_CHANNEL": channel,
                "RATELIMIT_ENABLED": False,
                "PERIODIC_JOBS_IN_PROCESS": False,
            }
        )
        try:
            yield app
        finally:
            if redis_url:
                jobs.queue(app).empty()  # the send jobs no worker ran
            with app.app_context():
                db.engine.dispose()


def _compare(app, label, coach_id, type_id, token, starts) -> list[Result]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def book() -> float:
        body = _booking(coach_id, type_id, next(starts))
        began = time.perf_counter()
        response = client.post("/api/bookings", json=body, headers=headers)
        elapsed = (time.perf_counter() - began) * 1000
        assert response.status_code == 201, response.get_data(as_text=True)
        return elapsed

    def paced() -> float:
        """One booking as a user makes it: the process idle before it (the last
        booking's effects handed over), the time to the response measured."""
        effects.drain(app)
        time.sleep(PAUSE)
        return book()

    def back_to_back() -> float:
        began = time.perf_counter()
        for _ in range(BLOCK):
            book()
        effects.drain(app)  # the effects' work counts too
        return BLOCK / (time.perf_counter() - began)

    for _ in range(WARMUP):
        book()
    with _without_effects():
        for _ in range(WARMUP):
            book()
    latency: dict[str, list[float]] = {"with": [], "without": []}
    rate: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(BLOCKS):
        latency["with"] += [paced() for _ in range(BLOCK)]
        rate["with"].append(back_to_back())
        with _without_effects():
            latency["without"] += [paced() for _ in range(BLOCK)]
            rate["without"].append(back_to_back())
    with_ms, without_ms = (statistics.median(latency[k]) for k in ("with", "without"))
    with_rate, without_rate = (statistics.median(rate[k]) for k in ("with", "without"))
    overhead = with_ms / without_ms - 1
    verdict = "meets" if overhead <= GOAL_OVERHEAD else "MISSES"
    return [
        _result(
            f"POST bookings with outbox + events, {label}",
            latency["with"],
            f"{overhead:+.1%} against without: {verdict} the goal of <= +{GOAL_OVERHEAD:.0%};"
            f" back to back {with_rate:.0f}/s ({with_rate / without_rate - 1:+.0%})",
        ),
        _result(
            f"POST bookings without outbox + events, {label}",
            latency["without"],
            f"e-mails and events switched off; back to back {without_rate:.0f}/s",
        ),
    ]


@contextmanager
def _without_effects():
    """No e-mail composed or queued, no live event queued; everything else as shipped."""
    saved = {name: getattr(live, name) for name in LIVE_EVENTS}
    saved_compose = emails.for_booking
    try:
        for name in LIVE_EVENTS:
            setattr(live, name, lambda *args, **kwargs: None)
        emails.for_booking = lambda *args, **kwargs: []
        yield
    finally:
        for name, function in saved.items():
            setattr(live, name, function)
        emails.for_booking = saved_compose


def _result(name: str, samples: list[float], note: str) -> Result:
    samples = sorted(samples)
    return Result(
        name,
        statistics.median(samples),
        samples[int(len(samples) * 0.9) - 1],
        len(samples),
        f"{1000 / statistics.median(samples):.0f}/s at the median; {note}",
    )
